import pytest

from people.models import Attendee
from people.parsing import ParsedAttendee
from people.services import PersonError, create_attendee, match_attendee
from tests.factories import AliasFactory, AttendeeFactory

pytestmark = pytest.mark.django_db


def test_handle_matches_first_and_ignores_case():
    ada = AttendeeFactory(display_name="Ada Quill", github_handle="AdaQuill")
    AttendeeFactory(display_name="ada", github_handle="")
    match = match_attendee(ParsedAttendee("Someone Else", "adaquill"))
    assert (match.attendee, match.matched_by) == (ada, "handle")


def test_alias_matches_before_name():
    lore = AttendeeFactory(display_name="Leonardo Grasso", github_handle="leogr")
    AliasFactory(attendee=lore, name="Lore")
    AttendeeFactory(display_name="Lore", github_handle="")
    match = match_attendee(ParsedAttendee("Lore"))
    assert (match.attendee, match.matched_by) == (lore, "alias")


def test_a_handle_used_as_an_alias_matches_the_alias():
    chen = AttendeeFactory(display_name="Chen Wei", github_handle="")
    AliasFactory(attendee=chen, name="chenwei-dev")
    match = match_attendee(ParsedAttendee("chenwei-dev", "chenwei-dev"))
    assert (match.attendee, match.matched_by) == (chen, "alias")
    assert match.sets_handle


def test_name_matches_a_person_without_handle():
    bram = AttendeeFactory(display_name="Bram Okafor", github_handle="")
    match = match_attendee(ParsedAttendee("bram okafor"))
    assert (match.attendee, match.matched_by) == (bram, "name")
    assert not match.sets_handle


def test_same_name_with_another_handle_is_a_new_person():
    AttendeeFactory(display_name="Sam Lee", github_handle="samlee")
    match = match_attendee(ParsedAttendee("Sam Lee", "sam-lee-2"))
    assert match.is_new
    assert match.attendee is None


def test_two_people_with_the_same_name_are_ambiguous_not_guessed():
    one = AttendeeFactory(display_name="Alex", github_handle="")
    two = AttendeeFactory(display_name="Alex", github_handle="alex2")
    match = match_attendee(ParsedAttendee("Alex"))
    assert match.is_ambiguous
    assert set(match.candidates) == {one, two}


def test_unknown_person_is_new():
    assert match_attendee(ParsedAttendee("Nobody Known", "nobody-known")).is_new


def test_create_attendee_reuses_an_existing_handle():
    ada = AttendeeFactory(github_handle="adaquill")
    assert create_attendee(name="Ada", handle="@ADAQUILL") == ada
    assert Attendee.objects.count() == 1


def test_create_attendee_refuses_a_bad_handle_with_the_validator_message():
    with pytest.raises(PersonError, match="is not a valid GitHub handle"):
        create_attendee(name="X", handle="-bad-")


def test_create_attendee_needs_a_name_or_handle():
    with pytest.raises(PersonError, match="needs a name or a GitHub handle"):
        create_attendee(name="  ", handle="")
