import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from people.models import Attendee, validate_github_handle
from tests.factories import AliasFactory, AttendeeFactory


@pytest.mark.parametrize(
    "handle", ["a", "leogr", "Leo-Grasso", "x1-y2-z3", "a" * 39, "0xDEADBEEF"]
)
def test_valid_github_handles_pass(handle):
    validate_github_handle(handle)


@pytest.mark.parametrize(
    "handle",
    ["", "-x", "x-", "a--b", "a" * 40, "with space", "under_score", "dot.ted", "@at"],
)
def test_invalid_github_handles_are_refused_with_a_clear_message(handle):
    with pytest.raises(ValidationError) as excinfo:
        validate_github_handle(handle)
    assert excinfo.value.code == "invalid_github_handle"
    assert "not a valid GitHub handle" in str(excinfo.value)


@pytest.mark.django_db
def test_full_clean_rejects_a_bad_handle():
    person = Attendee(display_name="Bad", github_handle="a--b")
    with pytest.raises(ValidationError) as excinfo:
        person.full_clean()
    assert "github_handle" in excinfo.value.message_dict


@pytest.mark.django_db
def test_full_clean_strips_the_at_sign():
    person = Attendee(display_name="Ann", github_handle="@ann")
    person.full_clean()
    assert person.github_handle == "ann"


@pytest.mark.django_db
def test_handles_are_unique_case_insensitively_in_the_database():
    AttendeeFactory(github_handle="LeoGr")
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendee.objects.create(display_name="Dup", github_handle="leogr")


@pytest.mark.django_db
def test_duplicate_handle_is_a_friendly_validation_error():
    AttendeeFactory(github_handle="LeoGr")
    with pytest.raises(ValidationError) as excinfo:
        Attendee(display_name="Dup", github_handle="leogr").full_clean()
    assert "A person with this GitHub handle exists." in str(excinfo.value)


@pytest.mark.django_db
def test_many_people_may_have_no_handle():
    Attendee.objects.create(display_name="No handle one")
    Attendee.objects.create(display_name="No handle two")
    assert Attendee.objects.filter(github_handle="").count() == 2


@pytest.mark.django_db
def test_lookup_by_handle_alias_or_name_is_case_insensitive():
    lore = AttendeeFactory(display_name="Lorenzo", github_handle="fntlnz")
    AliasFactory(attendee=lore, name="Lore")
    AttendeeFactory(display_name="Someone else", github_handle="other")

    assert list(Attendee.objects.matching("lore")) == [lore]
    assert list(Attendee.objects.matching("@FNTLNZ")) == [lore]
    assert list(Attendee.objects.matching("lorenzo")) == [lore]
    assert list(Attendee.objects.matching("  ")) == []


@pytest.mark.django_db
def test_an_alias_shared_by_two_people_finds_both():
    first = AttendeeFactory(display_name="Leonardo G")
    second = AttendeeFactory(display_name="Leonardo D")
    AliasFactory(attendee=first, name="Leo")
    AliasFactory(attendee=second, name="leo")
    assert set(Attendee.objects.matching("Leo")) == {first, second}


@pytest.mark.django_db
def test_alias_unique_per_person():
    lore = AttendeeFactory()
    AliasFactory(attendee=lore, name="Lore")
    with pytest.raises(IntegrityError), transaction.atomic():
        AliasFactory(attendee=lore, name="LORE")


@pytest.mark.django_db
def test_str_and_urls():
    person = AttendeeFactory(display_name="Ada Quill", github_handle="adaquill")
    assert str(person) == "Ada Quill (@adaquill)"
    assert person.get_absolute_url() == "/people/adaquill/"
    assert person.github_url == "https://github.com/adaquill"
    assert person.avatar_url.startswith("https://github.com/adaquill.png")
    nameless = Attendee(display_name="Kris")
    assert str(nameless) == "Kris"
    assert nameless.get_absolute_url() == ""
    assert str(AliasFactory(attendee=person, name="Ada")) == "Ada"
