import datetime as dt
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


class SiteGeneration(models.Model):
    """A stamp that changes whenever anything the public site shows is written.

    The page cache keys pages and ETags by it, so one write invalidates every cached
    page at once. It lives in the lowest app so that every model can bump it without
    imports pointing upwards. One row (pk=1), created on first use.
    """

    stamp = models.CharField(_("stamp"), max_length=32)
    changed_at = models.DateTimeField(_("changed at"))

    # Bumps made by this process, so that a stamp it remembers is dropped at once.
    local_bumps = 0
    # The PostgreSQL channel on which every bump is announced.
    CHANNEL = "callbook_site_generation"

    class Meta:
        verbose_name = _("site generation")
        verbose_name_plural = _("site generations")

    def __str__(self):
        return f"{self.stamp} ({self.changed_at:%Y-%m-%d %H:%M:%S})"

    @classmethod
    def bump(cls) -> None:
        """Start a new generation: a fresh random stamp, never a reused one."""
        cls.local_bumps += 1
        values = {"stamp": secrets.token_hex(16), "changed_at": timezone.now()}
        if not cls.objects.filter(pk=1).update(**values):
            _row, created = cls.objects.get_or_create(pk=1, defaults=values)
            if not created:
                cls.objects.filter(pk=1).update(**values)
        if connection.vendor == "postgresql":
            # Delivered when the transaction commits, to every app process that
            # listens (people/caching.py), so they drop the stamp they remember.
            with connection.cursor() as cursor:
                cursor.execute(f"NOTIFY {cls.CHANNEL}")

    @classmethod
    def current(cls) -> tuple[str, dt.datetime]:
        """The stamp and time of the latest write (one primary-key lookup)."""
        row = cls.objects.filter(pk=1).values_list("stamp", "changed_at").first()
        if row is None:
            cls.bump()
            row = cls.objects.filter(pk=1).values_list("stamp", "changed_at").get()
        return row


class PublicQuerySet(models.QuerySet):
    """A QuerySet whose bulk writes bump the site generation, as save() does."""

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        if rows:
            SiteGeneration.bump()
        return rows

    update.alters_data = True

    def delete(self):
        deleted = super().delete()
        if deleted[0]:
            SiteGeneration.bump()
        return deleted

    delete.alters_data = True
    delete.queryset_only = True

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            SiteGeneration.bump()
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        rows = super().bulk_update(objs, fields, *args, **kwargs)
        if rows:
            SiteGeneration.bump()
        return rows


class PublicModel(models.Model):
    """A model the public site shows: every save and delete bumps the generation.

    The bump runs after the write, in the same transaction when there is one, so a
    page rendered under the new stamp always sees the new data. Changes that bypass
    save(), delete() and the QuerySet above (raw SQL, `m2m.add()` on its own outside
    a form save) must call `SiteGeneration.bump()` themselves.
    """

    objects = PublicQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        SiteGeneration.bump()

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        SiteGeneration.bump()
        return deleted


class AttendeeQuerySet(PublicQuerySet):
    def with_handle(self):
        return self.exclude(github_handle="")

    def handle_is(self, handle: str):
        """The person with this GitHub handle, any case (uses the Lower() index)."""
        return self.alias(handle_ci=Lower("github_handle")).filter(
            handle_ci=normalize_handle(handle).lower()
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

    def by_handle_or_alias(self, name: str):
        """People whose GitHub handle or one of whose aliases is `name`."""
        name = normalize_handle(name)
        if not name:
            return self.none()
        name = name.lower()
        return (
            self.alias(
                handle_ci=Lower("github_handle"), alias_ci=Lower("aliases__name")
            )
            .filter(models.Q(handle_ci=name) | models.Q(alias_ci=name))
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
