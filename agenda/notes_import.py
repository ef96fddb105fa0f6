"""Import a community's markdown meeting notes into meetings, people and agenda.

`import_notes(sources=..., series_slug=...)` is the one entry point (the
`import_notes` command and the admin upload page call it). Each file is read
(`notes_parser`), each call in it is *planned* (names resolved to people, agenda
items split from their presenters, action items found, links and closing lines
read) into a `CallData`, checked for loss against its own export, compared with
the meetings already stored on that date, and written, one file per transaction.

Losslessness is enforced, not hoped for: after planning, every non-blank source
line of the call must be found (as content words) in the call's export; a line
that is not - a typo'd name, an attendee's affiliation, a link label that says
more than "Recording" - is kept verbatim in the meeting's free notes.

Deduplication is by content: a call whose text hash is already stored, or whose
every line is already in a stored meeting of that date, is a duplicate; a call
that mostly matches one is an update (the new version wins, lines only the old
one had are kept in the notes); otherwise it is another call on the same date and
gets the next ordinal, with a warning.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from agenda.models import ActionItem, AgendaItem
from agenda.notes_export import call_data, meetings_for_export, render_call
from agenda.notes_format import (
    MD_LINK_RE,
    ActionItemData,
    AgendaItemData,
    CallData,
    PersonRef,
    content_segments,
    first_date,
    fold,
    has_content,
    line_is_found,
    missing_lines,
    strip_markers,
    token_stream,
)
from agenda.notes_parser import (
    Entry,
    NotesImportError,
    ParsedCall,
    ParsedFile,
    ParseWarning,
    clean_title,
    decode_notes,
    parse_notes,
)
from agenda.notes_people import (
    NOT_A_PERSON,
    PeopleIndex,
    Person,
    Resolver,
    person_like,
)
from meetings.models import (
    Attendance,
    GitHubReference,
    Meeting,
    MeetingSeries,
    ReleaseTeam,
)
from people.models import Alias, Attendee
from people.parsing import ParsedAttendee, parse_attendee_line

__all__ = ["NotesImportError", "import_notes", "plan_call", "ImportReport"]

TITLE_MAX = 200
SAME_CALL = 0.6  # likeness of two versions' wording above which they are one call


# ---------------------------------------------------------------------------
# Presenters, owners, action items
# ---------------------------------------------------------------------------

_SEP_RE = re.compile(r"\s*(?:/|,|&|\+|;|\band\b|\bor\b)\s*", re.I)
_LEADING_BRACKET_RE = re.compile(r"^\[(?P<names>[^\[\]\n]{1,100})\](?!\()\s*:?\s*")
_LEADING_PROFILE_RE = re.compile(
    r"^\(\[(?P<names>[^\]]{1,60})\]\((?P<url>[^)\s]+)\)\)\s*:?\s*"
)
_LEADING_NAME_RE = re.compile(
    r"^(?:\*\*|__)?(?P<names>[^\s*_:\[\]()][^*_:\[\]()\n]{0,40}?)(?:\*\*|__)?\s*:"
    r"(?:\*\*|__)?\s+"
)
_CHECKBOX_RE = re.compile(r"^\[[ xX]\]\s+")
_AT_TRAILING_RE = re.compile(
    r"\s[-\u2013\u2014]\s+(?P<names>@[\w-]+(?:\s*(?:,|/|&|\bor\b|\band\b)\s*@[\w-]+)*)"
)
_PAREN_RE = re.compile(r"\((?P<names>[^()\[\]\n]{1,60})\)")
_BRACKET_RE = re.compile(r"(?<=\S)\s*\[(?P<names>[^\[\]\n]{1,60})\](?!\()")
_BY_RE = re.compile(
    r"\bby\s+(?P<names>@?[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){0,2}"
    r"(?:\s*(?:,|and|&)\s*@?[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){0,2})*)"
)


@dataclass
class Names:
    """Names as written ("Lore/Leo") and the people they resolved to."""

    written: str = ""
    people: list[Person] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


def _names(text: str, resolver: Resolver) -> Names:
    result = Names(written=text.strip())
    for name in _SEP_RE.split(text):
        name = name.strip()
        if not name:
            continue
        person = resolver.find(name)
        if person is None:
            result.unresolved.append(name)
        elif person not in result.people:
            result.people.append(person)
    return result


def _all_resolve(text: str, resolver: Resolver) -> Names | None:
    names = _names(text, resolver)
    if names.people and not names.unresolved:
        return names
    return None


def split_presenters(head: str, resolver: Resolver) -> tuple[Names, str]:
    """(presenters, title) from an agenda line such as "[Lore/Leo] Release plan"."""
    text = _CHECKBOX_RE.sub("", head.strip(), count=1)
    profile = _LEADING_PROFILE_RE.match(text)
    if profile:
        handle = re.search(r"github\.com/([A-Za-z0-9-]{1,39})/?$", profile.group("url"))
        names = Names(written=profile.group("names"))
        person = resolver.index.handle(handle.group(1)) if handle else None
        if person is None:
            person = resolver.find(profile.group("names"))
        if person is not None:
            names.people.append(person)
        else:
            names.unresolved.append(profile.group("names"))
        # The link stays in the title: it is how the notes credit the presenter.
        return names, text
    brackets = []
    rest = text
    for _ in range(4):
        match = _LEADING_BRACKET_RE.match(rest)
        if not match or not match.group("names").strip(" xX"):
            break
        brackets.append(match.group("names").strip())
        rest = rest[match.end() :]
    if brackets:
        written = "/".join(brackets)
        names = _names(written, resolver)
        names.written = written
        return names, rest.strip()
    leading = _LEADING_NAME_RE.match(text)
    if leading:
        names = _all_resolve(leading.group("names"), resolver)
        if names is not None:
            return names, text[leading.end() :].strip()
    at = _AT_TRAILING_RE.search(text)
    if at:
        names = _names(at.group("names"), resolver)
        return names, text
    for pattern in (_PAREN_RE, _BRACKET_RE, _BY_RE):
        for match in pattern.finditer(text):
            names = _all_resolve(match.group("names"), resolver)
            if names is not None:
                return names, text
    return Names(), text


_INLINE_ACTION_RE = re.compile(
    r"(?<![\w])(?:action(?:\s+item)?|todo)\s*:\s*(?P<text>\S[^\n]*)", re.I
)
_WHO = r"@?[\w][\w.@-]*(?:\s+[A-Z][\w.-]*)?"
_TO_DO_RE = re.compile(
    rf"^(?:\[[^\]]*\]\s*)?(?P<who>{_WHO}(?:\s*(?:,|\band\b|&|/)\s*{_WHO})*)"
    r"\s+(?:is\s+|are\s+|will\s+)?to\s+(?P<verb>[a-z][a-z-]+)\b"
)
_NOT_VERBS = {"be", "the", "a", "an", "do", "me", "us", "them", "it"}


def _balanced(text: str) -> str:
    text = text.strip().strip("*").strip()
    while text.endswith(")") and text.count(")") > text.count("("):
        text = text[:-1].rstrip()
    return text


def _sentence_owner(text: str, resolver: Resolver) -> Names | None:
    match = _TO_DO_RE.match(text)
    if not match or match.group("verb") in _NOT_VERBS:
        return None
    who = match.group("who")
    if fold(who) in NOT_A_PERSON:
        return None
    return _all_resolve(who, resolver)


def find_actions(
    texts: list[tuple[str, int | None]], resolver: Resolver
) -> list[tuple[ActionItemData, list[Person]]]:
    """ACTION:/Action Item:/TODO: items, and "X to do Y" suggestions, in order."""
    found: list[tuple[ActionItemData, list[Person]]] = []
    seen: set[str] = set()
    for text, agenda_index in texts:
        for raw in text.split("\n"):
            line = re.sub(r"\*\*|__", "", strip_markers(raw)).strip()
            if not line:
                continue
            inline = _INLINE_ACTION_RE.search(line)
            if inline:
                description = _balanced(inline.group("text"))[:2000]
                key = _key(description)
                if description and key not in seen:
                    seen.add(key)
                    owner = _sentence_owner(description, resolver)
                    found.append(
                        (
                            ActionItemData(
                                description=description,
                                owner_names=owner.written if owner else "",
                                owners=[p.ref() for p in owner.people] if owner else [],
                                status="open",
                                agenda_index=agenda_index,
                                origin="inline",
                            ),
                            owner.people if owner else [],
                        )
                    )
                continue
            owner = _sentence_owner(line, resolver)
            if owner is not None:
                description = line[:2000]
                key = _key(description)
                if key not in seen:
                    seen.add(key)
                    found.append(
                        (
                            ActionItemData(
                                description=description,
                                owner_names=owner.written[:200],
                                owners=[p.ref() for p in owner.people],
                                status="suggested",
                                agenda_index=agenda_index,
                                origin="sentence",
                            ),
                            owner.people,
                        )
                    )
    return found


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text)).strip()


# GitHub issues and pull requests mentioned anywhere in a call's text.
_REF_URL_RE = re.compile(
    r"https?://(?:www\.)?github\.com/(?P<owner>[A-Za-z0-9-]{1,39})/"
    r"(?P<repo>[A-Za-z0-9._-]{1,100})/(?:issues|pull|discussions)/(?P<number>\d{1,9})"
)
_REF_SHORT_RE = re.compile(
    r"(?<![\w/.@-])(?P<owner>[A-Za-z0-9-]{1,39})/(?P<repo>[A-Za-z0-9._-]{1,100})"
    r"#(?P<number>\d{1,9})\b"
)
_REF_REPO_RE = re.compile(
    r"(?<![\w/.#@-])(?P<repo>[A-Za-z][A-Za-z0-9._-]{0,99})#(?P<number>\d{1,9})\b"
)


def find_refs(text: str, default_repo: str = "") -> list[tuple[str, str, int]]:
    refs: dict[tuple[str, str, int], None] = {}
    for match in _REF_URL_RE.finditer(text):
        refs[(match["owner"], match["repo"], int(match["number"]))] = None
    for match in _REF_SHORT_RE.finditer(text):
        refs[(match["owner"], match["repo"], int(match["number"]))] = None
    if default_repo and "/" in default_repo:
        owner = default_repo.split("/", 1)[0]
        for match in _REF_REPO_RE.finditer(text):
            refs[(owner, match["repo"], int(match["number"]))] = None
    return [ref for ref in refs if 0 < ref[2] < 2**31]


# ---------------------------------------------------------------------------
# Release teams from "**Next Release**: 0.24.0 on July, 16th (leodido,leogr)"
# ---------------------------------------------------------------------------

_VERSION_RE = re.compile(r"(?<![\w.])v?(\d+\.\d+(?:\.\d+)?(?:-rc\d+)?)(?![\w.])")
_DAY_MONTH_RE = re.compile(
    r"(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>[A-Za-z]{3,9})\b"
    r"|(?P<m2>[A-Za-z]{3,9}),?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?\b)"
)


@dataclass
class ReleaseMention:
    version: str
    lead: Person | None = None
    members: list[Person] = field(default_factory=list)
    planned: dt.date | None = None


def parse_release(text: str, day: dt.date, resolver: Resolver) -> ReleaseMention | None:
    plain = MD_LINK_RE.sub(lambda m: f" {m.group('label')} ", text)
    version = _VERSION_RE.search(plain)
    if not version:
        return None
    mention = ReleaseMention(version=version.group(1)[:40])
    lead = re.search(r"lead(?:er)?\s*:\s*([^),\n]+)", plain, re.I) or re.search(
        r"([A-Za-z][\w-]*(?:\s+[A-Z][\w-]*)?)\s*\(lead\)", plain, re.I
    )
    if lead:
        mention.lead = resolver.find(lead.group(1).strip())
    candidates: list[str] = []
    for group in re.findall(r"\(([^()]*)\)", plain):
        candidates += _SEP_RE.split(
            re.sub(r"(?i)\b(?:lead|help|shadows?)\s*:?", "", group)
        )
    for line in plain.split("\n")[1:]:
        candidates += _SEP_RE.split(strip_markers(line))
    for name in candidates:
        name = re.sub(r"(?i)\b(?:shadows?|lead|help)\b", "", name).strip(" .:-")
        if not name or not person_like(name):
            continue
        person = resolver.find(name)
        if (
            person is not None
            and person is not mention.lead
            and person not in mention.members
        ):
            mention.members.append(person)
    if mention.lead is None and not mention.members:
        return None
    full = first_date(plain)
    if full:
        mention.planned = full.date
    else:
        for match in _DAY_MONTH_RE.finditer(plain):
            month_name = (match["m1"] or match["m2"]).lower()
            from agenda.notes_format import MONTHS

            month = MONTHS.get(month_name)
            if not month:
                continue
            try:
                planned = dt.date(day.year, month, int(match["d1"] or match["d2"]))
            except ValueError:
                continue
            if planned < day - dt.timedelta(days=60):
                planned = planned.replace(year=day.year + 1)
            mention.planned = planned
            break
    return mention


# ---------------------------------------------------------------------------
# Planning one call
# ---------------------------------------------------------------------------


@dataclass
class CallPlan:
    """A parsed call with its people resolved: what will be stored."""

    call: ParsedCall
    data: CallData
    raw_title: str = ""
    mc: Person | None = None
    next_mc: Person | None = None
    attendees: list[Person] = field(default_factory=list)
    presenters: list[list[Person]] = field(default_factory=list)
    owners: list[list[Person]] = field(default_factory=list)
    refs: list[tuple[str, str, int]] = field(default_factory=list)
    release: ReleaseMention | None = None
    warnings: list[ParseWarning] = field(default_factory=list)
    kept_as_written: list[int] = field(default_factory=list)
    written: dict[int, str] = field(default_factory=dict)  # id(person) -> line

    def people(self) -> list[Person]:
        out = [*self.attendees]
        for person in (self.mc, self.next_mc):
            if person is not None:
                out.append(person)
        for group in (*self.presenters, *self.owners):
            out += group
        if self.release:
            out += [p for p in (self.release.lead, *self.release.members) if p]
        return list(dict.fromkeys(out))


def _split_title(title: str, description: str) -> tuple[str, str]:
    """Titles hold 200 characters; the rest goes on as the description."""
    if len(title) <= TITLE_MAX:
        return title, description
    cut = TITLE_MAX
    while cut > 40:
        space = title.rfind(" ", 0, cut)
        if space <= 40:
            break
        rest = title[space + 1 :]
        if not re.match(r"^(?:[-*+#>`~=|<]|\d+[.)])", rest):
            head, tail = title[:space], rest
            return head, tail + ("\n" + description if description else "")
        cut = space
    head, tail = title[:TITLE_MAX], title[TITLE_MAX:]
    return head, tail + ("\n" + description if description else "")


def _attendee(
    index: PeopleIndex,
    parsed: ParsedAttendee,
    resolver: Resolver,
    *,
    create: bool,
    warnings: list[ParseWarning],
    line: int,
    learn: bool = False,
) -> Person | None:
    """The person an attendee line names, created if new and `create`.

    Nicknames are learned (`learn`) only in the batch-wide people pass, so what
    a name resolves to never depends on which call was read first."""
    person = None
    if parsed.handle:
        person = index.handle(parsed.handle)
        if person is None:
            namesakes = index.by_name.get(fold(parsed.name), [])
            if fold(parsed.name) == parsed.handle.lower():
                namesakes = []
            bare = [p for p in namesakes if not p.handle]
            if not parsed.handle_from_url and len(namesakes) == 1:
                # "Kris Nova @krisnova": an @mention (maybe Twitter) does not
                # make a second Kris Nova.
                person = namesakes[0]
                if learn:
                    index.learn_alias(person, parsed.handle)
            elif len(bare) == 1 and create:
                person = bare[0]
                index.set_handle(person, parsed.handle)
            elif create:
                person = index.new_person(parsed.name or parsed.handle, parsed.handle)
        if learn and person is not None and fold(parsed.name) != parsed.handle.lower():
            index.learn_alias(person, parsed.name)
    else:
        person = resolver.find(parsed.name) or index.similar_name(parsed.name)
        if person is not None:
            if learn:
                index.learn_alias(person, parsed.name)
        elif create and person_like(parsed.name):
            person = index.new_person(parsed.name, "")
    if person is not None and parsed.shown_handle:
        warnings.append(
            ParseWarning(
                "handle_mismatch",
                line,
                f"link text @{parsed.shown_handle} differs from the link "
                f"(github.com/{parsed.handle}); the link wins",
            )
        )
        if learn:
            index.learn_alias(person, parsed.shown_handle)
    if learn and person is not None and parsed.nickname:
        index.learn_alias(person, parsed.nickname)
    return person


def _person_from_text(
    text: str,
    index: PeopleIndex,
    resolver: Resolver,
    *,
    create: bool,
    warnings: list[ParseWarning],
    line: int,
) -> Person | None:
    parsed = parse_attendee_line(text)
    if parsed is None:
        return None
    if not parsed.handle and not person_like(parsed.name):
        # "Kris w/ Leogr as backup", "leogr (as backup, if nobody else can)"
        first = re.split(r"\s+(?:w/|with|or|and|as|\+|&)\s+|[,(]", parsed.name)[0]
        if first != parsed.name and person_like(first):
            return resolver.find(first)
        return None
    person = _attendee(
        index, parsed, resolver, create=create, warnings=warnings, line=line
    )
    if person is None and not parsed.handle:
        first = re.split(r"\s+(?:w/|with|or|and|as|\+|&)\s+|[,(]", parsed.name)[0]
        if first != parsed.name and person_like(first):
            person = resolver.find(first)
    return person


@dataclass
class SeriesInfo:
    title: str
    github_repo: str = ""
    info_url: str = ""
    video_url: str = ""


def learn_people(calls: Sequence[ParsedCall], index: PeopleIndex) -> None:
    """Meet everyone in the "Who joined" and MC lines of a batch, before resolving
    any other name: first the lines with a handle, then the others, so who is
    known never depends on which file or call came first."""
    entries = []
    for call in calls:
        for entry in call.attendees:
            parsed = parse_attendee_line(entry.text)
            if parsed is not None and (parsed.handle or person_like(parsed.name)):
                entries.append((call, parsed))
        for entry in call.mc:
            # An MC line names someone new only with a handle or a full name:
            # "Jacque" is the Jacqueline of the "Who joined" list.
            parsed = parse_attendee_line(entry.text)
            if parsed is not None and (
                parsed.handle or (person_like(parsed.name) and " " in parsed.name)
            ):
                entries.append((call, parsed))

    def strength(parsed: ParsedAttendee) -> int:
        # GitHub links first, then @mentions (maybe Twitter), then bare names.
        return 0 if parsed.handle_from_url else 1 if parsed.handle else 2

    for rank in (0, 1, 2):
        for _call, parsed in entries:
            if strength(parsed) == rank:
                _attendee(
                    index,
                    parsed,
                    Resolver(index, []),
                    create=True,
                    learn=True,
                    warnings=[],
                    line=0,
                )


def plan_call(
    call: ParsedCall,
    *,
    index: PeopleIndex,
    series: SeriesInfo,
) -> CallPlan:
    """Resolve a parsed call's names and build what will be stored."""
    warnings = list(call.warnings)
    plan = CallPlan(call=call, data=CallData(date=call.date), warnings=warnings)
    data = plan.data
    scope: list[Person] = []
    resolver = Resolver(index, scope)

    for entry in call.attendees:
        text = entry.text.strip()
        if not has_content(f"- {text}"):
            continue  # a template placeholder such as "[Your Name](...)"
        parsed = parse_attendee_line(text)
        if parsed is None or not (parsed.handle or person_like(parsed.name)):
            warnings.append(
                ParseWarning(
                    "malformed_attendee",
                    entry.line,
                    f"not a person, kept in the notes: {text[:80]!r}",
                )
            )
            continue
        person = _attendee(
            index, parsed, resolver, create=True, warnings=warnings, line=entry.line
        )
        if person is not None and person not in plan.attendees:
            plan.attendees.append(person)
            plan.written[id(person)] = re.sub(r"\s*\n\s*", " ", text)
            scope.append(person)

    for entry in call.mc:
        text = entry.text.strip()
        if not has_content(f"- {text}"):
            continue
        person = _person_from_text(
            text, index, resolver, create=True, warnings=warnings, line=entry.line
        )
        if person is not None:
            plan.mc = person
            if person not in scope:
                scope.append(person)
            break
        warnings.append(
            ParseWarning(
                "unresolved_mc", entry.line, f"MC not understood: {text[:80]!r}"
            )
        )
        break

    for entry in call.next_mc:
        text = entry.text.strip()
        if not has_content(f"- {text}"):
            continue
        person = _person_from_text(
            text, index, resolver, create=False, warnings=warnings, line=entry.line
        )
        if person is not None:
            plan.next_mc = person
            break
    else:
        texts = [e.text for e in call.next_mc if has_content(f"- {e.text}")]
        if texts:
            warnings.append(
                ParseWarning(
                    "unresolved_next_mc",
                    call.next_mc[0].line,
                    f"next MC not understood: {texts[0][:80]!r}",
                )
            )

    agenda_texts: list[tuple[str, int | None]] = []
    for position, item in enumerate(call.agenda):
        names, title = split_presenters(item.head, resolver)
        for name in names.unresolved:
            warnings.append(
                ParseWarning(
                    "unresolved_presenter",
                    item.line,
                    f"presenter {name!r} matches nobody (or several people)",
                )
            )
        title, description = _split_title(title, item.description)
        urls = list(
            dict.fromkeys(
                re.findall(r"https?://[^\s<>()\[\]]+", f"{title}\n{description}")
            )
        )
        data.agenda.append(
            AgendaItemData(
                title=title,
                presenter_names=names.written[:200],
                presenters=[p.ref() for p in names.people],
                description=description,
                discussion_notes=item.discussion,
                links="\n".join(u.rstrip(".,;") for u in urls)[:2000],
            )
        )
        plan.presenters.append(names.people)
        agenda_texts.append((f"{title}\n{description}\n{item.discussion}", position))

    section_actions: list[tuple[ActionItemData, list[Person]]] = []
    for action in call.actions:
        text = action.head.strip()
        owner = Names()
        match = re.match(r"^\[(?P<names>[^\[\]]{1,100})\](?!\()\s*", text)
        if match:
            owner = _names(match.group("names"), resolver)
            text = text[match.end() :]
        status = "done" if action.checked else "open"
        struck = re.fullmatch(r"~~(.+)~~", text.strip())
        if struck:
            text, status = struck.group(1), "dropped"
        description = text.strip()
        if action.details:
            description = f"{description}\n\n{action.details}"
        section_actions.append(
            (
                ActionItemData(
                    description=description[:2000],
                    owner_names=owner.written[:200],
                    owners=[p.ref() for p in owner.people],
                    status=status,
                ),
                owner.people,
            )
        )

    links = {}
    for link in call.links:
        if link.kind not in links:
            links[link.kind] = link.url
    data.info_url = links.get("info", "")[:200]
    data.video_url = links.get("video", "")[:200]
    data.recording_url = links.get("recording", "")[:200]
    if data.info_url and data.info_url == series.info_url:
        data.info_url = ""
    if data.video_url and data.video_url == series.video_url:
        data.video_url = ""

    data.highlights = call.highlights
    if call.next_release is not None:
        release = call.next_release.text.strip()
        single = re.fullmatch(r"[-*+]\s+([^\n]*)", release)
        if single:
            release = single.group(1).strip()
        data.next_release = release[:500]
        plan.release = parse_release(release, call.date, resolver)

    plan.raw_title = call.title
    data.title = call.title or series.title
    data.cancelled = call.cancelled
    data.mc = plan.mc.ref() if plan.mc else None
    data.next_mc = plan.next_mc.ref() if plan.next_mc else None
    data.attendees = [
        _as_written(person, plan.written.get(id(person), ""))
        for person in plan.attendees
    ]

    inline = find_actions([(call.highlights, None), *agenda_texts], resolver)
    plan.owners = []
    data.actions = []
    by_key: dict[str, int] = {}
    for action, people in inline:
        by_key[_key(action.description)] = len(data.actions)
        data.actions.append(action)
        plan.owners.append(people)
    for action, people in section_actions:
        key = _key(action.description)
        if key in by_key:
            existing = data.actions[by_key[key]]
            existing.status = action.status
            if action.owner_names and not existing.owner_names:
                existing.owner_names = action.owner_names
                existing.owners = action.owners
                plan.owners[by_key[key]] = people
            continue
        by_key[key] = len(data.actions)
        data.actions.append(action)
        plan.owners.append(people)

    _compose_notes(plan, call.notes)
    _keep_what_is_missing(plan, series)
    plan.refs = find_refs(_all_text(data), series.github_repo)
    return plan


def _as_written(person: Person, written: str) -> PersonRef:
    """The person, remembering the attendee line when it says more than the name."""
    ref = person.ref()
    if written and re.sub(r"\s+", " ", written).strip() != ref.canonical():
        return PersonRef(ref.name, ref.handle, written[:300])
    return ref


def _all_text(data: CallData) -> str:
    parts = [data.title, data.highlights, data.next_release, data.notes]
    for item in data.agenda:
        parts += [item.title, item.description, item.discussion_notes]
    parts += [action.description for action in data.actions]
    return "\n".join(parts)


def _compose_notes(plan: CallPlan, entries: list[Entry]) -> None:
    chunks = sorted((entry.line, entry.text) for entry in entries if entry.text.strip())
    plan.data.notes = "\n\n".join(text.strip("\n") for _line, text in chunks)
    plan._note_chunks = chunks  # type: ignore[attr-defined]


def _with_standing_links(data: CallData, series: SeriesInfo) -> CallData:
    """The call as exported: a series' standing links stand in for missing ones."""
    return replace(
        data,
        info_url=data.info_url or series.info_url,
        video_url=data.video_url or series.video_url,
    )


def _keep_what_is_missing(plan: CallPlan, series: SeriesInfo) -> None:
    """Lines whose content the export would not show go to the notes, verbatim."""
    source = plan.call.source
    missing = missing_lines(
        source, render_call(_with_standing_links(plan.data, series))
    )
    if not missing:
        return
    chunks = list(plan._note_chunks)  # type: ignore[attr-defined]
    numbers = {number for number, _line in missing}
    plan.kept_as_written = sorted(numbers)
    # Adjacent missing lines stay together, as one block.
    group: list[tuple[int, str]] = []
    for number, line in missing:
        if group and number != group[-1][0] + 1:
            chunks.append((group[0][0], "\n".join(text for _n, text in group)))
            group = []
        group.append((number, line.strip()))
    if group:
        chunks.append((group[0][0], "\n".join(text for _n, text in group)))
    chunks.sort(key=lambda chunk: chunk[0])
    plan.data.notes = "\n\n".join(text.strip("\n") for _line, text in chunks)
    plan._note_chunks = chunks  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


@dataclass
class CallOutcome:
    date_key: str
    series: str
    outcome: str  # new | updated | duplicate
    lines: str
    meeting_id: int | None = None


@dataclass
class FileReport:
    """What importing one file did."""

    file: str
    calls_found: int = 0
    new: int = 0
    updated: int = 0
    duplicate: int = 0
    error: dict | None = None
    warnings: list[dict] = field(default_factory=list)
    calls: list[CallOutcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "status": "failed" if self.failed else "ok",
            "calls_found": self.calls_found,
            "new": self.new,
            "updated": self.updated,
            "duplicate": self.duplicate,
            "error": self.error,
            "warnings": self.warnings,
            "calls": [vars(call) for call in self.calls],
        }


@dataclass
class ImportReport:
    """The outcome of an import (or a dry run) of several files."""

    files: list[FileReport] = field(default_factory=list)
    dry_run: bool = False
    seconds: float = 0.0
    series: list[str] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return sum(1 for f in self.files if f.failed)

    def total(self, attribute: str) -> int:
        return sum(getattr(f, attribute) for f in self.files)

    @property
    def total_calls(self) -> int:
        return self.total("calls_found")

    @property
    def total_new(self) -> int:
        return self.total("new")

    @property
    def total_updated(self) -> int:
        return self.total("updated")

    @property
    def total_duplicate(self) -> int:
        return self.total("duplicate")

    def warnings_by_kind(self) -> Counter:
        return Counter(w["kind"] for f in self.files for w in f.warnings)

    def to_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 3),
            "files": [f.to_dict() for f in self.files],
            "totals": {
                "files": len(self.files),
                "failed": self.failures,
                "calls_found": self.total("calls_found"),
                "new": self.total("new"),
                "updated": self.total("updated"),
                "duplicate": self.total("duplicate"),
                "warnings": dict(sorted(self.warnings_by_kind().items())),
            },
            "series": self.series,
        }

    def summary_lines(self, *, per_file: bool = True) -> list[str]:
        lines = []
        if per_file:
            for report in self.files:
                if report.failed:
                    error = report.error
                    lines.append(
                        f"FAILED {report.file}:{error['line']}: {error['message']}"
                    )
                    continue
                lines.append(
                    f"{report.file}: {report.calls_found} calls, {report.new} new, "
                    f"{report.updated} updated, {report.duplicate} duplicate, "
                    f"{len(report.warnings)} warnings"
                )
                for warning in report.warnings:
                    lines.append(
                        f"  {report.file}:{warning['line']}: {warning['kind']}: "
                        f"{warning['message']}"
                    )
        kinds = ", ".join(
            f"{k}={v}" for k, v in sorted(self.warnings_by_kind().items())
        )
        lines.append(
            f"{'DRY RUN: ' if self.dry_run else ''}{len(self.files)} files, "
            f"{self.total('calls_found')} calls: {self.total('new')} new, "
            f"{self.total('updated')} updated, {self.total('duplicate')} duplicate; "
            f"{self.failures} failed; warnings: {kinds or 'none'}; "
            f"{self.seconds:.2f} s"
        )
        return lines


# ---------------------------------------------------------------------------
# Series
# ---------------------------------------------------------------------------


def series_key(title: str) -> str:
    """ "Falco Community Call (bi-weekly)" and "falco community call" are one series."""
    text = clean_title(title)
    text = re.sub(r"\([^()]*\)", " ", text)
    return " ".join(re.findall(r"[^\W_]+", fold(text)))


class _SeriesRouter:
    """Sends each call to the --series series or to one named by its title."""

    def __init__(self, slug: str, titles: Counter):
        self.slug = slug
        self.titles = titles  # clean title -> count, over the whole batch
        self.cache: dict[str, MeetingSeries] = {}
        self.created: list[str] = []
        existing = MeetingSeries.objects.filter(slug=slug).first()
        if existing is not None:
            self.default_keys = {series_key(existing.title)}
            self.default_title = existing.title
        else:
            common = self._most_common(lambda key: True)
            self.default_title = common or slug.replace("-", " ").title()
            self.default_keys = {series_key(self.default_title)}
        self.default_keys.discard("")

    def _most_common(self, wanted) -> str:
        best = [
            (count, title)
            for title, count in self.titles.items()
            if wanted(series_key(title))
        ]
        if not best:
            return ""
        top = max(count for count, _title in best)
        return next(title for title, count in self.titles.items()
                    if count == top and wanted(series_key(title)))  # fmt: skip

    def key_for(self, title: str) -> str:
        key = series_key(title)
        if not key or key in self.default_keys:
            return ""
        return key

    def info(self, key: str) -> SeriesInfo:
        series = self.cache.get(key) or self._find(key)
        if series is not None:
            return SeriesInfo(
                series.title, series.github_repo, series.info_url, series.video_url
            )
        return SeriesInfo(self._title(key))

    def _title(self, key: str) -> str:
        if not key:
            return self.default_title
        return self._most_common(lambda k: k == key) or key

    def _find(self, key: str) -> MeetingSeries | None:
        if not key:
            return MeetingSeries.objects.filter(slug=self.slug).first()
        for series in MeetingSeries.objects.all():
            if series_key(series.title) == key:
                return series
        return None

    def get(self, key: str) -> MeetingSeries:
        if key in self.cache:
            return self.cache[key]
        series = self._find(key)
        if series is None:
            title = self._title(key)[:200]
            slug = (
                self.slug
                if not key
                else self._free_slug(slugify(title)[:70] or "series")
            )
            series = MeetingSeries.objects.create(slug=slug, title=title)
            self.created.append(key)
        self.cache[key] = series
        return series

    def _free_slug(self, base: str) -> str:
        slug, number = base, 2
        while MeetingSeries.objects.filter(slug=slug).exists():
            slug = f"{base}-{number}"
            number += 1
        return slug

    def forget(self, keys: list[str]) -> None:
        for key in keys:
            self.cache.pop(key, None)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _save_people(people: list[Person]) -> None:
    people = list(dict.fromkeys(people))
    new = [person for person in people if person.pk is None]
    if new:
        created = Attendee.objects.bulk_create(
            [Attendee(display_name=p.name[:150], github_handle=p.handle) for p in new]
        )
        for person, attendee in zip(new, created, strict=True):
            person.pk = attendee.pk
        if any(person.pk is None for person in new):  # a backend without RETURNING
            for person in new:
                person.pk = (
                    Attendee.objects.filter(
                        display_name=person.name[:150], github_handle=person.handle
                    )
                    .order_by("-pk")
                    .values_list("pk", flat=True)
                    .first()
                )
    for person in people:
        if person.handle_added:
            Attendee.objects.filter(pk=person.pk).update(github_handle=person.handle)
            person.handle_added = False
    aliases = [
        Alias(attendee_id=person.pk, name=name[:100])
        for person in people
        for name in person.new_aliases.values()
    ]
    if aliases:
        Alias.objects.bulk_create(aliases, ignore_conflicts=True)
        for person in people:
            person.new_aliases.clear()


def _words_of(lines) -> list[str]:
    return [
        word for line in lines for segment in content_segments(line) for word in segment
    ]


def _decide(plan: CallPlan, series: MeetingSeries, dates: set):
    """("duplicate"|"updated"|"new", meeting or None, ordinal, old lines to keep)."""
    if (series.pk, plan.data.date) not in dates:
        return "new", None, 1, []
    candidates = list(
        meetings_for_export(
            Meeting.objects.filter(series=series, date=plan.data.date)
        ).order_by("ordinal")
    )
    if not candidates:
        return "new", None, 1, []
    for meeting in candidates:
        if meeting.source_hash == plan.call.content_hash:
            return "duplicate", meeting, meeting.ordinal, []
    info = SeriesInfo(
        series.title, series.github_repo, series.info_url, series.video_url
    )
    rendered = render_call(_with_standing_links(plan.data, info))
    # Whether two versions are one call is judged on what follows the date
    # heading (titles, standing links and the date itself are alike anyway), by
    # how much of their wording they share, in order.
    body = _words_of(line for n, line in plan.call.source if n > plan.call.date_line)
    best = None
    for meeting in candidates:
        exported = render_call(call_data(meeting))
        if not missing_lines(plan.call.source, exported):
            return "duplicate", meeting, meeting.ordinal, []
        old_lines = list(enumerate(exported.split("\n"), start=1))
        date_at = next((n for n, line in old_lines if line.startswith("## ")), 0)
        old_body = _words_of(line for n, line in old_lines if n > date_at)
        score = SequenceMatcher(None, body, old_body, autojunk=False).ratio()
        if best is None or score > best[0]:
            best = (score, meeting, old_lines)
    score, meeting, old_lines = best
    if score >= SAME_CALL:
        stream = token_stream(rendered)
        keep = [line for _n, line in old_lines if not line_is_found(line, stream)]
        return "updated", meeting, meeting.ordinal, keep
    return "new", None, max(m.ordinal for m in candidates) + 1, []


class _Writer:
    """Writes the calls of one file: meetings one by one (their history records
    need it), their rows (attendance, agenda, action items, references) in bulk."""

    def __init__(self, file: str):
        self.file = file
        self.pending: list[tuple[CallPlan, Meeting, MeetingSeries]] = []

    def write(
        self,
        plan: CallPlan,
        series: MeetingSeries,
        meeting: Meeting | None,
        ordinal: int,
    ) -> Meeting:
        _save_people(plan.people())
        data = plan.data
        call = plan.call
        fields = {
            "title": "" if plan.raw_title in ("", series.title) else plan.raw_title,
            "status": Meeting.Status.CANCELLED
            if data.cancelled
            else Meeting.Status.FINALIZED,
            "mc_id": plan.mc.pk if plan.mc else None,
            "next_mc_id": plan.next_mc.pk if plan.next_mc else None,
            "next_release": data.next_release[:500],
            "highlights": data.highlights,
            "notes": data.notes,
            "info_url": data.info_url,
            "video_url": data.video_url,
            "recording_url": data.recording_url,
            "source_file": self.file[-300:],
            "source_lines": f"{call.first_line}-{call.last_line}",
            "source_hash": call.content_hash,
        }
        fields["title"] = fields["title"][:200]
        if meeting is None:
            meeting = Meeting(
                series=series, start=series.start_on(data.date), ordinal=ordinal
            )
            meeting.finalized_at = timezone.now()
        else:
            self.flush()
            meeting.agenda_items.all().delete()
            meeting.action_items.all().delete()
            meeting.attendances.all().delete()
            meeting.github_refs.all().delete()
            meeting.version += 1
        for name, value in fields.items():
            setattr(meeting, name, value)
        meeting.save()
        if plan.release is not None:
            _write_release(plan.release, meeting)
        self.pending.append((plan, meeting, series))
        return meeting

    def flush(self) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        Attendance.objects.bulk_create(
            [
                Attendance(
                    meeting=meeting,
                    attendee_id=person.pk,
                    position=position,
                    written_as=ref.written,
                )
                for plan, meeting, _series in pending
                for position, (person, ref) in enumerate(
                    zip(plan.attendees, plan.data.attendees, strict=True)
                )
            ]
        )
        items = _bulk_with_history(
            [
                AgendaItem(
                    series=series,
                    meeting=meeting,
                    title=item.title[:200],
                    presenter_names=item.presenter_names[:200],
                    description=item.description,
                    discussion_notes=item.discussion_notes,
                    links=item.links[:2000],
                    status=AgendaItem.Status.DISCUSSED,
                    position=position,
                )
                for plan, meeting, series in pending
                for position, item in enumerate(plan.data.agenda)
            ],
            AgendaItem,
            AgendaItem.objects.filter(meeting__in=[m for _p, m, _s in pending]),
        )
        by_meeting: dict[int, list[AgendaItem]] = {}
        for item in items:
            by_meeting.setdefault(item.meeting_id, []).append(item)
        Through = AgendaItem.presenters.through
        Through.objects.bulk_create(
            [
                Through(agendaitem_id=item.pk, attendee_id=person.pk)
                for plan, meeting, _series in pending
                for item, people in zip(
                    by_meeting.get(meeting.pk, []), plan.presenters, strict=True
                )
                for person in dict.fromkeys(people)
            ]
        )
        actions = _bulk_with_history(
            [
                ActionItem(
                    meeting=meeting,
                    agenda_item=by_meeting[meeting.pk][action.agenda_index]
                    if action.agenda_index is not None
                    else None,
                    description=action.description[:2000],
                    owner_names=action.owner_names[:200],
                    status=action.status,
                    position=position,
                )
                for plan, meeting, _series in pending
                for position, action in enumerate(plan.data.actions)
            ],
            ActionItem,
            ActionItem.objects.filter(meeting__in=[m for _p, m, _s in pending]),
        )
        actions_by_meeting: dict[int, list[ActionItem]] = {}
        for action in actions:
            actions_by_meeting.setdefault(action.meeting_id, []).append(action)
        OwnerThrough = ActionItem.owners.through
        OwnerThrough.objects.bulk_create(
            [
                OwnerThrough(actionitem_id=action.pk, attendee_id=person.pk)
                for plan, meeting, _series in pending
                for action, people in zip(
                    actions_by_meeting.get(meeting.pk, []), plan.owners, strict=True
                )
                for person in dict.fromkeys(people)
            ]
        )
        GitHubReference.objects.bulk_create(
            [
                GitHubReference(meeting=meeting, owner=o[:39], repo=r[:100], number=n)
                for plan, meeting, _series in pending
                for o, r, n in plan.refs
            ],
            ignore_conflicts=True,
        )


def _bulk_with_history(objs: list, model, stored) -> list:
    """Insert rows with their history records; the rows come back with pks."""
    if not objs:
        return []
    created = bulk_create_with_history(objs, model)
    if all(obj.pk is not None for obj in created):
        return list(created)
    return list(stored.order_by("meeting_id", "position", "pk"))


def _write_release(mention: ReleaseMention, meeting: Meeting) -> None:
    team = (
        ReleaseTeam.objects.filter(version__iexact=mention.version)
        .select_related("meeting")
        .first()
    )
    lead_id = mention.lead.pk if mention.lead else None
    if team is None:
        team = ReleaseTeam.objects.create(
            version=mention.version, lead_id=lead_id, meeting=meeting,
            planned_date=mention.planned,
        )  # fmt: skip
    else:
        earlier = team.meeting is None or meeting.date < team.meeting.date
        if earlier:
            team.meeting = meeting
            team.lead_id = lead_id or team.lead_id
            team.planned_date = mention.planned or team.planned_date
        else:
            team.lead_id = team.lead_id or lead_id
            team.planned_date = team.planned_date or mention.planned
        team.save()
    members = [p.pk for p in mention.members if p.pk and p.pk != team.lead_id]
    if members:
        team.members.add(*members)


# ---------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------

Source = tuple[str, bytes]


def sources_from_paths(paths: Sequence[str | Path]) -> list[Source]:
    """(name, bytes) of every .md file in `paths` (files or folders).

    Files found in a folder are named from that folder ("meeting-notes/2020-09-16.md"),
    a file given directly by its own name: that is what meetings record as source.
    """
    found: dict[Path, str] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in path.rglob("*"):
                if child.is_file() and child.suffix.lower() in (".md", ".markdown"):
                    found.setdefault(
                        child,
                        (
                            Path(path.resolve().name) / child.relative_to(path)
                        ).as_posix(),
                    )
        elif path.is_file():
            found.setdefault(path, path.name)
        else:
            raise NotesImportError(f"no such file or folder: {path}")
    ordered = sorted(found, key=_natural_key)
    return [(found[path], path.read_bytes()) for path in ordered]


def _natural_key(path: Path):
    parts = re.split(r"(\d+)", str(path.with_suffix("")))
    return [int(p) if p.isdigit() else p for p in parts], path.suffix


def import_notes(
    *,
    sources: Sequence[Source],
    series_slug: str,
    dry_run: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> ImportReport:
    """Import notes files (name, bytes) into `series_slug` and report what happened.

    Each file is its own transaction: a file that cannot be read is reported with
    its line and the others go on. With `dry_run` everything is rolled back at
    the end, so the report shows exactly what an import would do.
    """
    if not re.fullmatch(r"[-a-zA-Z0-9_]{1,80}", series_slug or ""):
        raise NotesImportError(
            f"{series_slug!r} is not a series slug (letters, digits, - and _)"
        )
    started = time.perf_counter()
    report = ImportReport(dry_run=dry_run)
    parsed: list[tuple[FileReport, ParsedFile | None]] = []
    titles: Counter = Counter()
    names: dict[str, Counter] = {}
    for name, raw in sources:
        file_report = FileReport(file=name)
        try:
            text = decode_notes(raw, name=name)
            parsed_file = parse_notes(text, name=name)
        except NotesImportError as exc:
            file_report.error = {"message": exc.message, "line": exc.line or 1}
            parsed.append((file_report, None))
            continue
        file_report.calls_found = len(parsed_file.calls)
        for call in parsed_file.calls:
            if call.title:
                titles[clean_title(call.title)] += 1
            for entry in (*call.attendees, *call.mc):
                person = parse_attendee_line(entry.text)
                if person is not None and person.handle and person.name:
                    names.setdefault(person.handle.lower(), Counter())[
                        (person.name, person.handle)
                    ] += 1
        parsed.append((file_report, parsed_file))

    with transaction.atomic():
        router = _SeriesRouter(series_slug, titles)
        preferred = {
            handle: max(counter.items(), key=lambda kv: (kv[1], kv[0]))[0]
            for handle, counter in names.items()
        }
        weights = {handle: sum(counter.values()) for handle, counter in names.items()}
        index = PeopleIndex.from_db()
        index.preferred_names = preferred
        index.weights = weights
        every_call = [c for _r, f in parsed if f is not None for c in f.calls]
        learn_people(every_call, index)
        dates = _meeting_dates()
        for position, (file_report, parsed_file) in enumerate(parsed, start=1):
            if progress is not None:
                progress(position, len(parsed), file_report.file)
            report.files.append(file_report)
            if parsed_file is None:
                continue
            created_before = len(router.created)
            try:
                with transaction.atomic():
                    _import_file(parsed_file, file_report, router, index, dates)
            except Exception as exc:
                # One file's problem is reported with its line; the others go on.
                if isinstance(exc, NotesImportError):
                    _failed(file_report, exc.message, exc.line)
                else:
                    _failed(file_report, f"{type(exc).__name__}: {exc}", 0)
                index = PeopleIndex.from_db()
                index.preferred_names = preferred
                index.weights = weights
                learn_people(every_call, index)
                dates = _meeting_dates()
                router.forget(router.created[created_before:])
        report.series = sorted(s.slug for s in router.cache.values())
        report.seconds = time.perf_counter() - started
        if dry_run:
            transaction.set_rollback(True)
    return report


def _meeting_dates() -> set:
    """(series pk, date) of every stored meeting: only those need a closer look."""
    return set(Meeting.objects.values_list("series_id", "date"))


def _failed(file_report: FileReport, message: str, line: int) -> None:
    file_report.error = {"message": message, "line": line or 1}
    file_report.new = file_report.updated = file_report.duplicate = 0
    file_report.calls = []


def _import_file(
    parsed_file: ParsedFile,
    file_report: FileReport,
    router: _SeriesRouter,
    index: PeopleIndex,
    dates: set,
) -> None:
    for warning in parsed_file.warnings:
        file_report.warnings.append(vars(warning))
    plans = []
    for call in parsed_file.calls:
        key = router.key_for(call.title)
        plans.append((key, plan_call(call, index=index, series=router.info(key))))
    writer = _Writer(parsed_file.name)
    for key, plan in plans:
        call = plan.call
        series = router.get(key)
        if (series.pk, call.date) in dates:
            writer.flush()  # the comparison below reads complete meetings
        outcome, meeting, ordinal, keep = _decide(plan, series, dates)
        if outcome == "updated":
            # A title block or recording link only the stored version had stays.
            for name in ("info_url", "video_url", "recording_url"):
                if not getattr(plan.data, name) and getattr(meeting, name):
                    setattr(plan.data, name, getattr(meeting, name))
            info = SeriesInfo(
                series.title, series.github_repo, series.info_url, series.video_url
            )
            stream = token_stream(render_call(_with_standing_links(plan.data, info)))
            keep = [line for line in keep if not line_is_found(line, stream)]
            header = (
                f"Lines only in the version of these notes in {meeting.source_file}"
                f" (lines {meeting.source_lines}):"
            )
            kept = "\n".join(line.strip() for line in keep if line.strip())
            if kept:
                plan.data.notes = "\n\n".join(
                    part for part in (plan.data.notes, header + "\n\n" + kept) if part
                )
            meeting = writer.write(plan, series, meeting, meeting.ordinal)
            file_report.updated += 1
        elif outcome == "new":
            if ordinal > 1:
                plan.warnings.append(
                    ParseWarning(
                        "second_call_same_date",
                        call.date_line,
                        f"another call of {series.title!r} on {call.date.isoformat()} "
                        f"differs from this one: stored as call {ordinal} of that day",
                    )
                )
            meeting = writer.write(plan, series, None, ordinal)
            dates.add((series.pk, meeting.date))
            file_report.new += 1
        else:
            file_report.duplicate += 1
        if plan.kept_as_written:
            plan.warnings.append(
                ParseWarning(
                    "kept_as_written",
                    plan.kept_as_written[0],
                    f"{len(plan.kept_as_written)} line(s) kept verbatim in the notes "
                    f"(lines {', '.join(map(str, plan.kept_as_written[:8]))}"
                    f"{'...' if len(plan.kept_as_written) > 8 else ''})",
                )
            )
        for warning in plan.warnings:
            file_report.warnings.append(vars(warning))
        file_report.calls.append(
            CallOutcome(
                date_key=meeting.date_key if meeting else call.date.isoformat(),
                series=series.slug,
                outcome=outcome,
                lines=f"{call.first_line}-{call.last_line}",
                meeting_id=meeting.pk if meeting else None,
            )
        )
    writer.flush()
