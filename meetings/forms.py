from django import forms
from django.utils.translation import gettext_lazy as _

from people.models import normalize_handle, validate_github_handle

SEARCH_MAX_LENGTH = 200


class ArchiveFilterForm(forms.Form):
    """The archive's filters, read from the query string; bad values are ignored."""

    series = forms.ChoiceField(label=_("Series"), required=False)
    year = forms.TypedChoiceField(
        label=_("Year"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, series_choices=(), years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].choices = [("", _("All series")), *series_choices]
        self.fields["year"].choices = [("", _("All years"))] + [
            (str(year), str(year)) for year in years
        ]

    def value(self, name):
        """The cleaned filter, or None when it is missing or not a known choice."""
        # An invalid field is left out of cleaned_data; the valid ones stay.
        self.is_valid()
        return self.cleaned_data.get(name) or None


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the notes"),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class CheckInForm(forms.Form):
    github_handle = forms.CharField(
        label=_("Your GitHub handle"),
        max_length=60,
        help_text=_("With or without the @, e.g. adaquill."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    def clean_github_handle(self):
        handle = normalize_handle(self.cleaned_data["github_handle"])
        validate_github_handle(handle)  # ValidationError code invalid_github_handle
        return handle
