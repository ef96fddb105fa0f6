import datetime as dt

import pytest

from agenda.notes.people import PeopleIndex, Person, Resolver
from agenda.notes.plan import find_actions, parse_release, split_presenters


@pytest.fixture
def resolver():
    index = PeopleIndex()
    people = [
        Person("Lorenzo Fontana", "fntlnz"),
        Person("Leonardo Di Donato", "leodido"),
        Person("Thomas Labarussias", "Issif"),
        Person("Carlos Panato", "cpanato"),
        Person("Alban Crequy", "alban"),
    ]
    for person in people:
        index.add(person)
    return Resolver(index, people)


def handles(names):
    return [person.handle for person in names.people]


@pytest.mark.parametrize(
    ("head", "written", "title", "who"),
    [
        ("[Lore/Leo] Release plan", "Lore/Leo", "Release plan", ["fntlnz", "leodido"]),
        (
            "[Lore] [Leo]: Release plan",
            "Lore/Leo",
            "Release plan",
            ["fntlnz", "leodido"],
        ),
        ("[lore,leo] Release plan", "lore,leo", "Release plan", ["fntlnz", "leodido"]),
        (
            "Sign it (Carlos Panato)",
            "Carlos Panato",
            "Sign it (Carlos Panato)",
            ["cpanato"],
        ),
        (
            "Release 0.18.0 - @leodido - [falco#904](https://github.com/o/falco/pull/904)",
            "@leodido",
            "Release 0.18.0 - @leodido - [falco#904](https://github.com/o/falco/pull/904)",
            ["leodido"],
        ),
        (
            "**Captures in Talon** by Thomas",
            "Thomas",
            "**Captures in Talon** by Thomas",
            ["Issif"],
        ),
        ("**Thomas**: docs for plugins", "Thomas", "docs for plugins", ["Issif"]),
        ("Lorenzo: a question", "Lorenzo", "a question", ["fntlnz"]),
        ("Driverkit: current situation", "", "Driverkit: current situation", []),
        (
            "([alban](https://github.com/alban)) Idea: seccomp",
            "alban",
            "([alban](https://github.com/alban)) Idea: seccomp",
            ["alban"],
        ),
        (
            "[Release 0.29.0](https://github.com/o/falco/issues/1) postponed",
            "",
            "[Release 0.29.0](https://github.com/o/falco/issues/1) postponed",
            [],
        ),
        ("[ ] a checkbox, not a presenter", "", "a checkbox, not a presenter", []),
        (
            "Plugins Proposal [Lorenzo, Thomas] https://x",
            "Lorenzo, Thomas",
            "Plugins Proposal [Lorenzo, Thomas] https://x",
            ["fntlnz", "Issif"],
        ),
    ],
)
def test_presenter_forms(resolver, head, written, title, who):
    names, rest = split_presenters(head, resolver)
    assert (names.written, rest, handles(names)) == (written, title, who)


def test_unknown_names_in_a_leading_bracket_stay_as_written(resolver):
    names, title = split_presenters("[Zed/Lore] Something", resolver)
    assert (names.written, title) == ("Zed/Lore", "Something")
    assert handles(names) == ["fntlnz"]
    assert names.unresolved == ["Zed"]


def test_reliable_action_items_and_suggestions(resolver):
    found = find_actions(
        [
            (
                "- (Action Item:Carlos to provide details in slack)\n"
                "- **ACTION: feedback on outline**\n"
                "- *TODO:* add the new driver version\n"
                "- TODO automate the release (no colon: not reliable)\n"
                "- Lorenzo and Thomas to update the docs\n"
                "- Need to look into proc fields\n",
                2,
            )
        ],
        resolver,
    )
    assert [
        (a.description, a.status, a.owner_names, a.agenda_index) for a, _ in found
    ] == [
        ("Carlos to provide details in slack", "open", "Carlos", 2),
        ("feedback on outline", "open", "", 2),
        ("add the new driver version", "open", "", 2),
        ("Lorenzo and Thomas to update the docs", "suggested", "Lorenzo and Thomas", 2),
    ]
    assert [p.handle for p in found[3][1]] == ["fntlnz", "Issif"]


def test_release_teams_where_the_notes_say_them(resolver):
    day = dt.date(2020, 5, 27)
    team = parse_release(
        "[0.24.0](https://github.com/o/falco/milestone/10) on June, 16th"
        " (leodido,fntlnz)",
        day,
        resolver,
    )
    assert team.version == "0.24.0"
    assert team.planned == dt.date(2020, 6, 16)
    assert [p.handle for p in team.members] == ["leodido", "fntlnz"]
    led = parse_release(
        "0.25.0 on Dec 1st, 2020 - Lorenzo (lead), Thomas", day, resolver
    )
    assert (led.lead.handle, led.planned) == ("fntlnz", dt.date(2020, 12, 1))
    assert parse_release("Mid april?", day, resolver) is None
    assert parse_release("Falco 0.28.1 planned in May", day, resolver) is None
