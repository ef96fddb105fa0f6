from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from notices.models import Preference

OTHER_ADDRESS = "other"


class TopicsForm(forms.Form):
    """Which notices an address gets."""

    topics = forms.MultipleChoiceField(
        label=_("Send me"),
        choices=Preference.Topic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to get nothing."),
    )


class PersonPreferencesForm(TopicsForm):
    """A signed-in person's address (a GitHub-verified one, or another to
    confirm) and which notices go there."""

    address = forms.ChoiceField(
        label=_("Send them to"), widget=forms.RadioSelect, required=True
    )
    other_address = forms.EmailField(
        label=_("Another address"),
        required=False,
        help_text=_("We send it a confirmation link first."),
    )

    field_order = ["address", "other_address", "topics"]

    def __init__(self, *args, verified=(), current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.verified = {email.lower() for email in verified}
        choices = [(email, f"{email} (verified by GitHub)") for email in verified]
        if current is not None and current.email.lower() not in self.verified:
            state = _("confirmed") if current.is_confirmed else _("not confirmed yet")
            choices.append((current.email, f"{current.email} ({state})"))
        choices.append((OTHER_ADDRESS, _("Another address")))
        self.fields["address"].choices = choices
        if current is not None:
            self.fields["address"].initial = current.email
        elif verified:
            self.fields["address"].initial = verified[0]

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("address") == OTHER_ADDRESS:
            other = (cleaned_data.get("other_address") or "").strip()
            if not other and "other_address" not in self.errors:
                self.add_error(
                    "other_address",
                    ValidationError(
                        _("Type the address, or pick one above."), code="required"
                    ),
                )
            cleaned_data["email"] = other
        else:
            cleaned_data["email"] = cleaned_data.get("address", "")
        cleaned_data["verified"] = cleaned_data["email"].lower() in self.verified
        return cleaned_data
