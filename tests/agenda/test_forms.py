import pytest

from agenda.forms import DESCRIPTION_MAX_LENGTH, ProposalForm
from tests.factories import AgendaItemFactory

pytestmark = pytest.mark.django_db

VALID = {
    "proposer_name": "Sam Visitor",
    "proposer_handle": "@sam-v",
    "title": "Monthly office hours",
    "description": "Why not **monthly**?",
    "requested_minutes": "10",
    "links": " https://example.org/a \n\nhttps://github.com/a/b/pull/1\n",
    "website": "",
}


def errors(data):
    form = ProposalForm(data=data)
    assert not form.is_valid()
    return {
        name: [e.code for e in errs] for name, errs in form.errors.as_data().items()
    }


def test_the_form_has_exactly_the_public_fields():
    assert list(ProposalForm().fields) == [
        "proposer_name",
        "proposer_handle",
        "proposer_email",
        "title",
        "description",
        "requested_minutes",
        "links",
        "website",
    ]


def test_a_valid_proposal_is_cleaned():
    form = ProposalForm(data=VALID)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["proposer_handle"] == "sam-v"
    assert form.cleaned_data["requested_minutes"] == 10
    assert form.cleaned_data["links"] == (
        "https://example.org/a\nhttps://github.com/a/b/pull/1"
    )


def test_name_and_title_are_required():
    assert errors({**VALID, "proposer_name": "", "title": " "}) == {
        "proposer_name": ["required"],
        "title": ["required"],
    }


@pytest.mark.parametrize("handle", ["-bad", "bad-", "two--hyphens", "a" * 40, "x y"])
def test_handles_are_validated_like_attendee_handles(handle):
    assert errors({**VALID, "proposer_handle": handle}) == {
        "proposer_handle": ["invalid_github_handle"]
        if len(handle) <= 39
        else ["max_length"]
    }


@pytest.mark.parametrize("minutes", ["7", "0", "120", "abc", ""])
def test_minutes_are_one_of_the_offered_lengths(minutes):
    assert "requested_minutes" in errors({**VALID, "requested_minutes": minutes})


def test_every_field_has_a_length_limit():
    too_long = {
        "proposer_name": "n" * 101,
        "title": "t" * 201,
        "description": "d" * (DESCRIPTION_MAX_LENGTH + 1),
        "links": "\n".join(f"https://example.org/{i}" + "x" * 200 for i in range(10)),
    }
    assert errors({**VALID, **too_long}) == {
        "proposer_name": ["max_length"],
        "title": ["max_length"],
        "description": ["max_length"],
        "links": ["max_length"],
    }


def test_links_must_be_web_addresses_and_few():
    assert errors({**VALID, "links": "javascript:alert(1)"}) == {
        "links": ["invalid_link"]
    }
    assert errors({**VALID, "links": "ftp://example.org/x"}) == {
        "links": ["invalid_link"]
    }
    many = "\n".join(f"https://e.org/{i}" for i in range(11))
    assert errors({**VALID, "links": many}) == {"links": ["too_many_links"]}


def test_the_honeypot_rejects_bots_without_naming_itself():
    form = ProposalForm(data={**VALID, "website": "http://spam.example"})
    assert not form.is_valid()
    assert form.non_field_errors() == ["This form could not be sent. Please try again."]
    assert "website" not in form.errors
    assert form.non_field_errors().as_data()[0].code == "refused"


@pytest.mark.django_db
def test_editing_an_existing_item_has_no_honeypot():
    item = AgendaItemFactory(status="proposed")
    assert "website" not in ProposalForm(instance=item).fields
