import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pagecache.models import PublicModel, PublicQuerySet

# GitHub's rules: 1-39 characters, letters, digits and single hyphens, which may
# neither start nor end the handle.
GITHUB_HANDLE_RE = re.compile(r"^(?=.{1,39}$)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")


def validate_github_handle(value: str) -> None:
    """Reject anything GitHub would not accept as a user name."""
    if not GITHUB_HANDLE_RE.match(value or ""):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid GitHub handle: use 1-39 letters, digits "
                "or single hyphens, not starting or ending with a hyphen."
            ),
            code="invalid_github_handle",
            params={"value": value},
        )


def normalize_handle(value: str) -> str:
    """Strip the decoration people put around handles ("@x", spaces)."""
    return (value or "").strip().lstrip("@").strip()


class AttendeeQuerySet(PublicQuerySet):
    def with_handle(self):
        return self.exclude(github_handle="")

    def handle_is(self, handle: str):
        """The person with this GitHub handle, any case (uses the Lower() index)."""
        # The index is partial (handles only): without its condition in the query
        # PostgreSQL cannot use it and reads every person.
        return (
            self.alias(handle_ci=Lower("github_handle"))
            .filter(handle_ci=normalize_handle(handle).lower())
            .exclude(github_handle="")
        )

    def matching(self, name: str):
        """People whose GitHub handle, alias or display name is `name`.

        One lookup for everything that refers to a person in notes: "@leogr",
        "Lore" (an alias) or "Leonardo Grasso". Case-insensitive.
        """
        name = normalize_handle(name)
        if not name:
            return self.none()
        name = name.lower()
        return (
            self.alias(
                handle_ci=Lower("github_handle"),
                alias_ci=Lower("aliases__name"),
                name_ci=Lower("display_name"),
            )
            .filter(
                models.Q(handle_ci=name)
                | models.Q(alias_ci=name)
                | models.Q(name_ci=name)
            )
            .distinct()
        )


class Attendee(PublicModel):
    """A person who takes part in calls, known by name and GitHub handle."""

    display_name = models.CharField(
        _("display name"), max_length=150, help_text=_("The name shown in the notes.")
    )
    github_handle = models.CharField(
        _("GitHub handle"),
        max_length=39,
        blank=True,
        validators=[validate_github_handle],
        help_text=_("Without the @. Unique, compared case-insensitively."),
    )
    affiliation = models.CharField(
        _("affiliation"),
        max_length=150,
        blank=True,
        help_text=_("Company or organisation, if the person wants it shown."),
    )
    github_id = models.PositiveBigIntegerField(
        _("GitHub account id"),
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_(
            "GitHub's stable number for the account, set at the first sign-in; a "
            "renamed handle follows it."
        ),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attendee",
        help_text=_("The account this person signs in with (GitHub)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AttendeeQuerySet.as_manager()

    class Meta:
        ordering = [Lower("display_name"), "pk"]
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        constraints = [
            models.UniqueConstraint(
                Lower("github_handle"),
                condition=~models.Q(github_handle=""),
                name="people_attendee_unique_handle_ci",
                violation_error_message=_("A person with this GitHub handle exists."),
            ),
        ]

    def __str__(self):
        if self.github_handle:
            return f"{self.display_name} (@{self.github_handle})"
        return self.display_name

    def get_absolute_url(self):
        if not self.github_handle:
            return ""
        return reverse("people:detail", kwargs={"handle": self.github_handle})

    def clean_fields(self, exclude=None):
        # People paste "@handle"; strip it before the validator sees it.
        self.github_handle = normalize_handle(self.github_handle)
        super().clean_fields(exclude=exclude)

    @property
    def github_url(self) -> str:
        return f"https://github.com/{self.github_handle}" if self.github_handle else ""

    @property
    def avatar_url(self) -> str:
        # GitHub serves avatars by handle; an image link, never an API call.
        if not self.github_handle:
            return ""
        return f"https://github.com/{self.github_handle}.png?size=80"


class Alias(PublicModel):
    """A short name a person goes by in notes, e.g. "Lore" in "[Lore/Leo]"."""

    attendee = models.ForeignKey(
        Attendee, on_delete=models.CASCADE, related_name="aliases"
    )
    name = models.CharField(
        _("alias"),
        max_length=100,
        help_text=_("A nickname used in agenda brackets, e.g. “Lore”."),
    )

    class Meta:
        ordering = [Lower("name")]
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        constraints = [
            models.UniqueConstraint(
                "attendee",
                Lower("name"),
                name="people_alias_unique_per_attendee",
                violation_error_message=_("This person already has this alias."),
            ),
        ]
        indexes = [models.Index(Lower("name"), name="people_alias_name_ci")]

    def __str__(self):
        return self.name
