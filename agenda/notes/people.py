"""Who a name in meeting notes refers to.

Notes name people in many ways: a GitHub handle ("@leogr", "[fededp]"), a full
name ("Leonardo Grasso"), a nickname ("Lore", "dub", "POP"), a first name
("Jacque") or a squashed one ("LeoGrasso"). The importer keeps every person it
knows in a `PeopleIndex` (loaded once from the database, grown as files are read)
and resolves names in this order: handle, alias, full name, then a unique match
among the people of the same call (first names, prefixes), then a unique first
name among everyone. Aliases are learned from the notes themselves: a displayed
handle that differs from the link ("[dub](https://github.com/dwindsor)"), a
nickname in parentheses ("Spencer(nibz)") or another spelling of a name next to a
known handle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from agenda.notes.format import PersonRef, fold
from people.models import GITHUB_HANDLE_RE, Alias, Attendee

NOT_A_PERSON = {
    "n/a",
    "na",
    "none",
    "tbd",
    "tba",
    "-",
    "?",
    "nobody",
    "to be determined",
    "name",
    "your name",
    "me",
    "you",
    "all",
    "everyone",
    "everybody",
    "someone",
    "team",
    "maintainers",
    "the team",
}
_PARTICLES = {"di", "de", "da", "del", "della", "van", "von", "der", "la", "le", "du"}


@dataclass(eq=False)
class Person:
    """A person as the importer knows them; `pk` is None until saved."""

    name: str
    handle: str = ""
    pk: int | None = None
    aliases: set[str] = field(default_factory=set)  # folded
    new_aliases: dict[str, str] = field(default_factory=dict)  # folded -> as written
    handle_added: bool = False

    def ref(self) -> PersonRef:
        return PersonRef(self.name, self.handle)

    def parts(self) -> list[str]:
        return [p for p in re.split(r"[\s\"'()]+", fold(self.name)) if p]


def person_like(name: str) -> bool:
    """Could this be someone's name (not a sentence, a date or a placeholder)?"""
    text = name.strip()
    if not text or len(text) > 60 or fold(text) in NOT_A_PERSON:
        return False
    if not re.search(r"[^\W\d_]", text) or re.search(r"https?:|[!?:;/=<>{}|]", text):
        return False
    words = text.split()
    return 1 <= len(words) <= 5


class PeopleIndex:
    """Every known person, findable by handle, alias and name (case-insensitive)."""

    def __init__(self) -> None:
        # handle -> (name, handle) as most often written together in the files
        # being imported, so a new person's name does not depend on file order.
        self.preferred_names: dict[str, tuple[str, str]] = {}
        # handle -> how many "Who joined" lines of the batch carry it: when one
        # full name is two people's, the one the notes mean is usually this one.
        self.weights: dict[str, int] = {}
        self.people: list[Person] = []
        self.by_handle: dict[str, Person] = {}
        self.by_alias: dict[str, list[Person]] = {}
        self.by_name: dict[str, list[Person]] = {}
        self.by_first: dict[str, list[Person]] = {}

    @classmethod
    def from_db(cls) -> PeopleIndex:
        index = cls()
        people = {}
        for attendee in Attendee.objects.only("pk", "display_name", "github_handle"):
            person = Person(attendee.display_name, attendee.github_handle, attendee.pk)
            people[attendee.pk] = person
            index.add(person)
        for alias in Alias.objects.only("attendee_id", "name"):
            person = people.get(alias.attendee_id)
            if person is not None:
                person.aliases.add(fold(alias.name))
                index.by_alias.setdefault(fold(alias.name), []).append(person)
        return index

    def add(self, person: Person) -> None:
        self.people.append(person)
        if person.handle:
            self.by_handle[person.handle.lower()] = person
        self.by_name.setdefault(fold(person.name), []).append(person)
        parts = person.parts()
        if parts:
            self.by_first.setdefault(parts[0], []).append(person)

    def set_handle(self, person: Person, handle: str) -> None:
        person.handle = handle
        person.handle_added = True
        self.by_handle[handle.lower()] = person

    def learn_alias(self, person: Person, alias: str) -> None:
        """Remember a nickname, unless it is someone else's handle or name."""
        alias = alias.strip().strip("@").strip()
        key = fold(alias)
        if not key or len(alias) > 100 or key in NOT_A_PERSON:
            return
        if key == fold(person.name) or key == person.handle.lower():
            return
        if key in person.aliases:
            return
        other = self.by_handle.get(key)
        if other is not None and other is not person:
            return
        if any(p is not person for p in self.by_name.get(key, [])):
            return
        person.aliases.add(key)
        person.new_aliases[key] = alias
        self.by_alias.setdefault(key, []).append(person)

    # -- lookups ---------------------------------------------------------------

    def new_person(self, name: str, handle: str) -> Person:
        """A person not seen before, named as the batch most often names them."""
        if handle:
            name, handle = self.preferred_names.get(handle.lower(), (name, handle))
        person = Person(name[:150] or handle, handle)
        self.add(person)
        return person

    def handle(self, handle: str) -> Person | None:
        return self.by_handle.get(handle.strip().lstrip("@").lower())

    def unique(self, people: Iterable[Person]) -> Person | None:
        found = list(dict.fromkeys(people))
        return found[0] if len(found) == 1 else None

    def similar_name(self, name: str) -> Person | None:
        """A unique person with the same first name and a near-identical full
        name ("Loris Degioianni" for Loris Degioanni): typos, not other people."""
        key = fold(name).strip()
        parts = [p for p in re.split(r"[\s\"'()]+", key) if p]
        if len(parts) < 2 or len(key) < 8:
            return None
        candidates = [
            person
            for person in self.by_first.get(parts[0], [])
            if SequenceMatcher(None, key, fold(person.name)).ratio() >= 0.9
        ]
        return self.unique(candidates)

    def near_handle(self, key: str) -> Person | None:
        """The one person whose handle is a typo away ("jasondellalce")."""
        found = []
        for handle, person in self.by_handle.items():
            if abs(len(handle) - len(key)) > 2 or handle[:1] != key[:1]:
                continue
            matcher = SequenceMatcher(None, key, handle)
            if matcher.quick_ratio() >= 0.9 and matcher.ratio() >= 0.9:
                found.append(person)
        return self.unique(found)

    def exact(self, name: str) -> Person | None:
        """By handle, then alias, then full name; None if unknown or ambiguous."""
        text = name.strip()
        if not text:
            return None
        key = fold(text.lstrip("@"))
        if GITHUB_HANDLE_RE.match(text.lstrip("@")):
            found = self.by_handle.get(key)
            if found is not None:
                return found
        if text.startswith("@"):
            return None
        found = self.unique(self.by_alias.get(key, []))
        if found is not None:
            return found
        namesakes = list(dict.fromkeys(self.by_name.get(key, [])))
        if len(namesakes) > 1:
            # "Loris Degioanni" is the one in thirty "Who joined" lines, not the
            # one a mistyped link once made.
            ranked = sorted(
                namesakes, key=lambda p: self.weights.get(p.handle.lower(), 0)
            )
            top, second = ranked[-1], ranked[-2]
            if self.weights.get(top.handle.lower(), 0) > 2 * self.weights.get(
                second.handle.lower(), 0
            ):
                return top
            return None
        return namesakes[0] if namesakes else None


def match_strength(person: Person, name: str) -> int:
    """How well `name` fits `person`: 3 exactly (handle, alias, full name), 2 by a
    whole name part ("Stefan" ~ Stefan Uygur, "LeoGrasso"), 1 by a prefix ("Lore"
    ~ Lorenzo, "maxgio" ~ @maxgio92), 0 not at all."""
    key = fold(name).strip().lstrip("@")
    if not key:
        return 0
    handle = person.handle.lower()
    if key == handle or key in person.aliases or key == fold(person.name):
        return 3
    parts = [p for p in person.parts() if p not in _PARTICLES] or person.parts()
    words = [w for w in re.split(r"[\s\"'()]+", key) if w]
    if len(words) == 1:
        word = words[0]
        if word in parts:
            return 2
        if len(parts) >= 2:
            # "LeoGrasso", "LucaG": a first-name prefix glued to a last-name prefix.
            first, last = parts[0], parts[-1]
            for cut in range(2, len(first) + 1):
                rest = word[cut:]
                if word.startswith(first[:cut]) and rest and last.startswith(rest):
                    return 2
        if len(word) >= 3 and any(p.startswith(word) for p in parts):
            return 1
        if len(word) >= 4 and handle.startswith(word):
            return 1
        return 0
    # Several words: each must start one of the name's parts, in order.
    position = 0
    exact = True
    for word in words:
        while position < len(parts) and not parts[position].startswith(word):
            position += 1
        if position >= len(parts):
            return 0
        exact = exact and parts[position] == word
        position += 1
    return 2 if exact else 1


class Resolver:
    """Resolves names for one call: its own people first, then everyone known.

    Everyone known includes all the people of the files being imported (the
    importer reads every attendee line of the batch before resolving anything),
    so the result does not depend on the order files and calls are read in.
    """

    def __init__(self, index: PeopleIndex, scope: list[Person]):
        self.index = index
        self.scope = scope

    def find(self, name: str, *, first_names: bool = True) -> Person | None:
        text = re.sub(r"\s*\((?:on\s+\w+|[^)]*\bslack\b[^)]*)\)\s*", " ", name)
        text = text.strip().strip("*_`").strip().rstrip(":").strip()
        if not text or fold(text) in NOT_A_PERSON:
            return None
        handle = re.search(r"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9-]{0,38})\b", text)
        if handle and text != handle.group(0):
            # "Melissa Kilby @incertum": the handle says who.
            found = self.index.handle(handle.group(1))
            if found is not None:
                return found
        found, ambiguous = self._best(self.scope, text)
        if found is not None or ambiguous:
            return found  # several people of this call fit: do not guess
        found = self.index.exact(text)
        if found is not None or text.startswith("@"):
            return found
        if not first_names or " " in text:
            return self.index.similar_name(text) if " " in text else None
        found = self.index.unique(self.index.by_first.get(fold(text), []))
        if found is not None:
            return found
        key = fold(text).lstrip("@")
        if len(key) >= 5:
            found = self.index.unique(
                p for p in self.index.people if p.handle.lower().startswith(key)
            )
            if found is not None:
                return found
        if len(key) >= 6:
            return self.index.near_handle(key)
        return None

    def _best(self, people: list[Person], text: str) -> tuple[Person | None, bool]:
        scored: dict[int, list[Person]] = {}
        for person in people:
            strength = match_strength(person, text)
            if strength:
                scored.setdefault(strength, []).append(person)
        if not scored:
            return None, False
        best = scored[max(scored)]
        found = self.index.unique(best)
        return found, found is None
