from urllib.parse import quote

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from people.models import normalize_handle, validate_github_handle

SEARCH_MAX_LENGTH = 200


def _attributes(attrs: dict) -> str:
    """HTML attributes as django/forms/widgets/attrs.html writes them, in order."""
    return mark_safe(
        "".join(
            format_html(" {}", name)
            if value is True
            else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False
        )
    )


class PlainSelect(forms.Select):
    """A <select> of flat choices written in Python, in the markup Django's
    templates give it.

    Django renders every option through two templates (~0.1 ms of CPU for the
    archive's year filter, which has an option per year of history): that made
    the archive's cost grow with its age."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group_name for group_name, _options, _index in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)
        options = format_html_join(
            "",
            '\n  <option value="{}"{}>{}</option>\n',
            (
                (option["value"], _attributes(option["attrs"]), option["label"])
                for _group, options, _index in widget["optgroups"]
                for option in options
            ),
        )
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            widget["name"],
            _attributes(widget["attrs"]),
            options,
        )


class ArchiveFilterForm(forms.Form):
    """The archive's filters, read from the query string; bad values are ignored."""

    series = forms.ChoiceField(label=_("Series"), required=False, widget=PlainSelect)
    year = forms.TypedChoiceField(
        label=_("Year"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=PlainSelect,
    )

    def __init__(self, *args, series_choices=(), years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].choices = [("", _("All series")), *series_choices]
        self.years = years
        self.fields["year"].choices = [("", _("All years"))] + [
            (str(year), str(year)) for year in years
        ]

    def value(self, name):
        """The cleaned filter, or None when it is missing or not a known choice."""
        # An invalid field is left out of cleaned_data; the valid ones stay.
        self.is_valid()
        return self.cleaned_data.get(name) or None

    def year_links(self) -> list[tuple[str, str]]:
        """Each year's link as (query string, label), keeping the series filter.

        Plain strings: rendered in the template, each year (one per year of
        history) cost a localized number format and the series' lookups."""
        series = self.value("series")
        keep = f"series={quote(series, safe='/')}&" if series else ""
        return [(f"{keep}year={year}", str(year)) for year in self.years]


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
