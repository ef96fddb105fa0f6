import pytest

from agenda.notes.people import (
    PeopleIndex,
    Person,
    Resolver,
    match_strength,
    person_like,
)
from people.parsing import ParsedAttendee, parse_attendee_line
from tests.factories import AliasFactory, AttendeeFactory


@pytest.mark.parametrize(
    ("line", "name", "handle"),
    [
        ("- Kris Nova - Sysdig", "Kris Nova", ""),
        ("- Andy Mcleod, Shopify", "Andy Mcleod", ""),
        (
            "- Nataly Sheinin ([@nat](https://github.com/nat)), Shopify",
            "Nataly Sheinin",
            "nat",
        ),
        ("- Aldo Lacuku[alacuku](https://github.com)", "Aldo Lacuku", "alacuku"),
        (
            "- Batuhan A (https://github.com/developer-guy)",
            "Batuhan A",
            "developer-guy",
        ),
        (
            "- Furkan [@Dentrax](https://github.com/Dentrax/falco-gpt)",
            "Furkan",
            "Dentrax",
        ),
    ],
)
def test_attendee_lines_with_affiliations_and_odd_links(line, name, handle):
    assert parse_attendee_line(line) == ParsedAttendee(name, handle)


def test_attendee_line_hints_for_nicknames():
    shown = parse_attendee_line("- Radu ([@admir-al0](https://github.com/admiral0))")
    assert (shown.handle, shown.shown_handle, shown.nickname) == (
        "admiral0",
        "admir-al0",
        "",
    )
    assert shown.handle_from_url
    nick = parse_attendee_line("- David Windsor ([dub](https://github.com/dwindsor))")
    assert (nick.handle, nick.shown_handle, nick.nickname) == ("dwindsor", "", "dub")
    paren = parse_attendee_line("- Spencer(nibz)")
    assert (paren.name, paren.handle, paren.nickname) == ("Spencer", "", "nibz")
    mention = parse_attendee_line("- Kris Nova - Sysdig @krisnova @nova")
    assert (mention.handle, mention.handle_from_url) == ("krisnova", False)


def people(*pairs: tuple[str, str]) -> tuple[PeopleIndex, list[Person]]:
    index = PeopleIndex()
    found = []
    for name, handle in pairs:
        person = Person(name, handle)
        index.add(person)
        found.append(person)
    return index, found


def test_match_strength_orders_exact_parts_and_prefixes():
    lorenzo = Person("Lorenzo Fontana", "fntlnz")
    grasso = Person("Leonardo Grasso", "leogr")
    assert match_strength(lorenzo, "fntlnz") == 3
    assert match_strength(lorenzo, "lorenzo fontana") == 3
    assert match_strength(lorenzo, "Lorenzo") == 2
    assert match_strength(lorenzo, "Lore") == 1
    assert match_strength(grasso, "LeoGrasso") == 2
    assert match_strength(grasso, "Leo Grasso") == 1
    assert match_strength(grasso, "Grasso") == 2
    assert match_strength(lorenzo, "Leo") == 0


def test_the_call_s_own_people_come_first_and_ambiguity_is_not_guessed():
    index, (stefan, stefano, leo1, leo2) = people(
        ("Stefan Uygur", "ostendali"),
        ("Stefano Chierici", "darryk10"),
        ("Leonardo Di Donato", "leodido"),
        ("Leonardo Grasso", "leogr"),
    )
    resolver = Resolver(index, [stefan, stefano, leo1, leo2])
    assert resolver.find("Stefan") is stefan  # a whole first name beats a prefix
    assert resolver.find("Leo") is None  # two Leonardos: unresolved, not guessed
    assert resolver.find("[@leogr]".strip("[]")) is leo2
    assert resolver.find("Melissa @leodido") is leo1
    assert Resolver(index, [leo1]).find("Leo") is leo1


def test_beyond_the_call_handles_aliases_first_names_and_typos():
    index, (max_, jason) = people(
        ("Massimiliano Giovagnoli", "maxgio92"), ("Jason Dellaluce", "jasondellaluce")
    )
    index.learn_alias(jason, "jason")
    resolver = Resolver(index, [])
    assert resolver.find("maxgio") is max_  # a unique handle prefix
    assert resolver.find("Jason") is jason
    assert resolver.find("jasondellalce") is jason  # one letter off
    assert resolver.find("nobody-here") is None
    assert resolver.find("@maxgio") is None  # an explicit handle must be exact


def test_aliases_are_never_someone_else_s_handle_or_name():
    index, (ann, bo) = people(("Ann Lee", "ann"), ("Bo Chen", "bo"))
    index.learn_alias(ann, "bo")
    index.learn_alias(ann, "Bo Chen")
    index.learn_alias(ann, "n/a")
    index.learn_alias(ann, "Annie")
    assert ann.new_aliases == {"annie": "Annie"}


@pytest.mark.django_db
def test_the_index_loads_people_and_aliases_from_the_database():
    lorenzo = AttendeeFactory(display_name="Lorenzo Fontana", github_handle="fntlnz")
    AliasFactory(attendee=lorenzo, name="Lore")
    index = PeopleIndex.from_db()
    found = index.exact("lore")
    assert (found.pk, found.name) == (lorenzo.pk, "Lorenzo Fontana")
    assert index.exact("FNTLNZ").pk == lorenzo.pk


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ann Lee", True),
        ("Vicente J. Jiménez Miras", True),
        ("This was the first official meeting!", False),
        ("n/a", False),
        ("8/4/2020", False),
        ("one two three four five six", False),
    ],
)
def test_person_like(text, expected):
    assert person_like(text) is expected
