from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from agenda.models import AgendaItem
from agenda.services import DECLINE_REASON_REQUIRED
from meetings.markdown import strip_control_characters
from people.models import normalize_handle, validate_github_handle

MINUTES_CHOICES = [
    (5, _("5 minutes")),
    (10, _("10 minutes")),
    (15, _("15 minutes")),
    (30, _("30 minutes")),
]
DESCRIPTION_MAX_LENGTH = 5000
LINKS_MAX_COUNT = 10
HONEYPOT_FIELD = "website"


class ProposalForm(forms.ModelForm):
    """An agenda item proposed by anyone, without an account."""

    requested_minutes = forms.TypedChoiceField(
        label=_("Time needed"),
        choices=MINUTES_CHOICES,
        coerce=int,
        initial=5,
        help_text=_("How long the item needs on the call."),
    )
    description = forms.CharField(
        label=_("Description (markdown)"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What you would like to discuss, and why. Markdown."),
    )
    # A honeypot, hidden from people by CSS and from assistive technology; bots
    # fill it in. Nothing in the page may say so (label, class, message), or a bot
    # that reads the page leaves it empty.
    website = forms.CharField(
        label=_("Your website"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = AgendaItem
        fields = [
            "proposer_name",
            "proposer_handle",
            "proposer_email",
            "title",
            "description",
            "requested_minutes",
            "links",
        ]
        labels = {
            "proposer_name": _("Your name"),
            "proposer_handle": _("Your GitHub handle (optional)"),
            "proposer_email": _("Your e-mail (optional)"),
            "title": _("Title"),
            "links": _("Links (optional)"),
        }
        help_texts = {
            "proposer_name": _("Shown on the agenda next to your item."),
            "proposer_handle": _("Without the @, e.g. octocat."),
            "proposer_email": _(
                "We write to you when the MC accepts, declines or defers the item, "
                "and nothing else. Never shown publicly; every e-mail has a link "
                "to stop."
            ),
            "title": _("One line, as it should appear on the agenda."),
            "links": _("Issues, pull requests, slides: one https:// address a line."),
        }
        widgets = {
            "links": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposer_name"].required = True
        if self.instance.pk:
            # Editing through the private link: the trap is only for new items.
            del self.fields[HONEYPOT_FIELD]

    def clean_proposer_handle(self):
        handle = normalize_handle(self.cleaned_data.get("proposer_handle", ""))
        if handle:
            validate_github_handle(handle)
        return handle

    def clean_links(self):
        lines = [
            line.strip()
            for line in self.cleaned_data.get("links", "").splitlines()
            if line.strip()
        ]
        if len(lines) > LINKS_MAX_COUNT:
            raise ValidationError(
                _("Give at most %(max)d links."),
                code="too_many_links",
                params={"max": LINKS_MAX_COUNT},
            )
        check = URLValidator(schemes=["https", "http"])
        for line in lines:
            try:
                check(line)
            except ValidationError:
                raise ValidationError(
                    _("“%(line)s” is not a web address; start it with https://."),
                    code="invalid_link",
                    params={"line": line[:100]},
                ) from None
        return "\n".join(lines)

    def _get_validation_exclusions(self):
        # The time comes from MINUTES_CHOICES, all inside the model's range, so the
        # range constraint holds without asking the database once per proposal
        # (the constraint itself still guards every write).
        return {*super()._get_validation_exclusions(), "requested_minutes"}

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.pop(HONEYPOT_FIELD, ""):
            raise ValidationError(
                _("This form could not be sent. Please try again."), code="refused"
            )
        # Invisible control characters (pasted, or sent on purpose) carry nothing a
        # reader needs and would break the Atom feed: they are dropped, not refused.
        for name, value in cleaned_data.items():
            if isinstance(value, str):
                cleaned_data[name] = strip_control_characters(value)
        return cleaned_data


class AgendaItemForm(forms.ModelForm):
    """An agenda item; a decline always comes with its reason."""

    # No Meta: the admin builds it with the fields of each page.

    def clean(self):
        cleaned_data = super().clean()
        status = cleaned_data.get("status")
        if (
            status == AgendaItem.Status.DECLINED
            and not (cleaned_data.get("decline_reason") or "").strip()
        ):
            self.add_error(
                "decline_reason",
                ValidationError(DECLINE_REASON_REQUIRED, code="reason_required"),
            )
        meeting = cleaned_data.get("meeting")
        if (
            meeting is not None
            and meeting.is_finalized
            and meeting.pk != self.instance.meeting_id
        ):
            self.add_error(
                "meeting",
                ValidationError(
                    "That call's notes are finalized: pick another call.",
                    code="meeting_locked",
                ),
            )
        return cleaned_data


class DeclineForm(forms.Form):
    """The reason for declining, asked by the admin's "decline" action."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=AgendaItem._meta.get_field("decline_reason").max_length,
        help_text=_("Each proposer reads it in their e-mail and on their page."),
    )
