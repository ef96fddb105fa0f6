"""The archive's filter form: the select written in Python (PlainSelect) makes the
markup Django's widget templates make."""

import pytest
from django import forms
from django.utils.translation import gettext_lazy as _

from meetings.forms import ArchiveFilterForm, PlainSelect

CHOICES = [
    ("", _("All years")),
    ("2024", "2024"),
    (2023, '<b>&"quoted"</b>'),
    ("a&b", "A & B"),
]


@pytest.mark.parametrize("value", [None, "", "2024", 2023, "a&b", "unknown"])
@pytest.mark.parametrize(
    "attrs",
    [
        None,
        {"id": "id_year"},
        {"aria-invalid": "true", "aria-describedby": "x_error", "id": "id_x"},
        {"required": True, "disabled": False, "data-x": '<"&>'},
    ],
)
def test_plain_select_writes_what_djangos_templates_write(value, attrs):
    expected = forms.Select(choices=CHOICES).render("year", value, attrs)
    assert PlainSelect(choices=CHOICES).render("year", value, attrs) == expected


def test_plain_select_leaves_grouped_choices_to_django():
    grouped = [("Old", [("2001", "2001")]), ("2024", "2024")]
    expected = forms.Select(choices=grouped).render("year", "2001")
    assert PlainSelect(choices=grouped).render("year", "2001") == expected
    assert "<optgroup" in expected


def test_year_links_keep_the_series_filter():
    form = ArchiveFilterForm(
        {"series": "a/b c", "year": "2023"},
        series_choices=[("a/b c", "Odd")],
        years=[2024, 2023],
    )
    assert form.year_links() == [
        ("series=a/b%20c&year=2024", "2024"),
        ("series=a/b%20c&year=2023", "2023"),
    ]
    plain = ArchiveFilterForm({}, years=[2024])
    assert plain.year_links() == [("year=2024", "2024")]
    assert '<option value="2023" selected>2023</option>' in str(form["year"])
