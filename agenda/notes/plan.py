"""Plan one call: resolve its names and build what will be stored.

`plan_call` turns a `ParsedCall` (what the notes say, as text) into a `CallPlan`:
people resolved (`notes.people`), agenda items split from their presenters
("[Lore/Leo] Release plan", "Docs (Chen)", "- @handle", "by Name", "Name:"),
action items found (checkboxes under an action heading, ACTION:/Action Item:/
TODO:, and "X to do Y" sentences as suggestions), GitHub references and release
teams read, and a `CallData` ready to render. It touches no database.

Lossless by construction: the planned call is rendered and every source line
whose content the rendering does not show is added, verbatim, to the free notes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from agenda.notes.exporter import render_call
from agenda.notes.format import (
    MD_LINK_RE,
    MONTHS,
    ActionItemData,
    AgendaItemData,
    CallData,
    PersonRef,
    first_date,
    fold,
    has_content,
    missing_lines,
    strip_markers,
)
from agenda.notes.parser import Entry, ParsedCall, ParsedItem, ParseWarning
from agenda.notes.people import (
    NOT_A_PERSON,
    PeopleIndex,
    Person,
    Resolver,
    person_like,
)
from meetings.markdown import github_references
from people.parsing import ParsedAttendee, parse_attendee_line

TITLE_MAX = 200


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
            month = MONTHS.get((match["m1"] or match["m2"]).lower())
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
    note_chunks: list[tuple[int, str]] = field(default_factory=list)
    call_file: str = ""  # the file the call was read from
    # The call's own text, stored when it reads back alone into this same call.
    source_text: str = ""

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


# A person credited by a link to their GitHub profile ("[@ann](https://github.com/
# ann)", a reference-style link once resolved).
_MENTION_RE = re.compile(
    r"\[@?(?P<name>[^\[\]\n]{1,60})\]\(<?(?:https?:)?//(?:www\.)?github\.com/"
    r"(?P<handle>[A-Za-z0-9-]{1,39})/?>?\)"
)
# Mentions joined into one subject: "[@a](..), [@b](..) and [@c](..)".
_GLUE_RE = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s(?:and|&)\s+)")
_LEADS_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?$")


def _mention_groups(line: str) -> list[tuple[list[re.Match], str, str]]:
    """Runs of mentions in a line, with the text before and after each run."""
    groups: list[tuple[list[re.Match], str, str]] = []
    matches = list(_MENTION_RE.finditer(line))
    position = 0
    while position < len(matches):
        run = [matches[position]]
        while position + 1 < len(matches):
            between = line[run[-1].end() : matches[position + 1].start()]
            if not _GLUE_RE.fullmatch(between):
                break
            position += 1
            run.append(matches[position])
        groups.append((run, line[: run[0].start()], line[run[-1].end() :]))
        position += 1
    return groups


def participants(text: str) -> list[tuple[str, str]]:
    """(name, handle) of people the text says took part: the subject of a
    sentence ("[@ann](…) asked", "[@a](…) and [@b](…) noted")."""
    found: list[tuple[str, str]] = []
    for line in text.split("\n"):
        for run, _before, after in _mention_groups(line):
            if re.match(r"^\s+(?!(?:and|or)\b)[a-z]", after):
                found += [(m.group("name"), m.group("handle")) for m in run]
    return list(dict.fromkeys(found))


def item_presenters(text: str) -> list[tuple[str, str]]:
    """(name, handle) of people leading a list item of a topic's notes
    ("- [@ann](…) Moved the pass"): they report on the topic."""
    found: list[tuple[str, str]] = []
    for line in text.split("\n"):
        for run, before, _after in _mention_groups(line):
            if _LEADS_ITEM_RE.match(before):
                found += [(m.group("name"), m.group("handle")) for m in run]
    return list(dict.fromkeys(found))


def _linked_person(ctx: _Planning, name: str, handle: str, line: int) -> Person | None:
    parsed = ParsedAttendee(
        name=name.lstrip("@").strip(), handle=handle, handle_from_url=True
    )
    return _attendee(
        ctx.index,
        parsed,
        ctx.resolver,
        create=True,
        warnings=ctx.warnings,
        line=line,
    )


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


@dataclass
class _Planning:
    """What the section planners share while one call is planned."""

    call: ParsedCall
    plan: CallPlan
    index: PeopleIndex
    series: SeriesInfo
    resolver: Resolver
    scope: list[Person]

    @property
    def warnings(self) -> list[ParseWarning]:
        return self.plan.warnings

    def warn(self, code: str, line: int, message: str) -> None:
        self.plan.warnings.append(ParseWarning(code, line, message))


def plan_call(
    call: ParsedCall,
    *,
    index: PeopleIndex,
    series: SeriesInfo,
    references: bool = True,
) -> CallPlan:
    """Resolve a parsed call's names and build what will be stored
    (`references`: also the GitHub issues and PRs its text links to)."""
    plan = CallPlan(
        call=call, data=CallData(date=call.date), warnings=list(call.warnings)
    )
    scope: list[Person] = []
    ctx = _Planning(call, plan, index, series, Resolver(index, scope), scope)

    # Order matters: attendees and the MC join the resolver's scope before the
    # agenda and actions are read, so first names there resolve to them.
    _plan_attendees(ctx)
    _plan_mc(ctx)
    _plan_next_mc(ctx)
    agenda_texts = _plan_agenda(ctx)
    section_actions = _plan_section_actions(ctx)
    _plan_links(ctx)
    _plan_release(ctx)
    _plan_header(ctx)
    _plan_actions(ctx, agenda_texts, section_actions)

    _compose_notes(plan, call.notes)
    _keep_what_is_missing(plan, series)
    # The same references the rendered page links to, as /refs/ pages promise.
    if references:
        plan.refs = sorted(github_references(_all_text(plan.data), series.github_repo))
    return plan


def _plan_attendees(ctx: _Planning) -> None:
    """The attendee section: one person per line, created when new."""
    plan = ctx.plan
    for entry in ctx.call.attendees:
        text = entry.text.strip()
        if not has_content(f"- {text}"):
            continue  # a template placeholder such as "[Your Name](...)"
        parsed = parse_attendee_line(text)
        if parsed is None or not (parsed.handle or person_like(parsed.name)):
            ctx.warn(
                "malformed_attendee",
                entry.line,
                f"not a person, kept in the notes: {text[:80]!r}",
            )
            continue
        person = _attendee(
            ctx.index,
            parsed,
            ctx.resolver,
            create=True,
            warnings=ctx.warnings,
            line=entry.line,
        )
        if person is not None and person not in plan.attendees:
            plan.attendees.append(person)
            plan.written[id(person)] = re.sub(r"\s*\n\s*", " ", text)
            ctx.scope.append(person)
    if not any(h.role == "attendees" for h in ctx.call.headings):
        # No attendee list: the people the minutes say spoke or acted took part.
        for name, handle in participants(_call_text(ctx.call)):
            person = _linked_person(ctx, name, handle, ctx.call.date_line)
            if person is not None and person not in plan.attendees:
                plan.attendees.append(person)
                ctx.scope.append(person)


def _call_text(call: ParsedCall) -> str:
    """Everything the call says in prose, in reading order (near enough)."""
    parts = [call.highlights]
    for item in call.agenda:
        parts += [item.head, item.description, item.discussion]
    parts += [entry.text for entry in call.notes]
    return "\n".join(part for part in parts if part)


def _plan_mc(ctx: _Planning) -> None:
    """The MC: the first line with content, created when new."""
    for entry in ctx.call.mc:
        text = entry.text.strip()
        if not has_content(f"- {text}"):
            continue
        person = _person_from_text(
            text,
            ctx.index,
            ctx.resolver,
            create=True,
            warnings=ctx.warnings,
            line=entry.line,
        )
        if person is not None:
            ctx.plan.mc = person
            if person not in ctx.scope:
                ctx.scope.append(person)
            return
        ctx.warn("unresolved_mc", entry.line, f"MC not understood: {text[:80]!r}")
        return


def _plan_next_mc(ctx: _Planning) -> None:
    """The next MC: the first line naming someone already known."""
    for entry in ctx.call.next_mc:
        text = entry.text.strip()
        if not has_content(f"- {text}"):
            continue
        person = _person_from_text(
            text,
            ctx.index,
            ctx.resolver,
            create=False,
            warnings=ctx.warnings,
            line=entry.line,
        )
        if person is not None:
            ctx.plan.next_mc = person
            return
    texts = [e.text for e in ctx.call.next_mc if has_content(f"- {e.text}")]
    if texts:
        ctx.warn(
            "unresolved_next_mc",
            ctx.call.next_mc[0].line,
            f"next MC not understood: {texts[0][:80]!r}",
        )


def _plan_agenda(ctx: _Planning) -> list[tuple[str, int | None]]:
    """Agenda items with their presenters; returns each item's text for actions."""
    agenda_texts: list[tuple[str, int | None]] = []
    for position, item in enumerate(ctx.call.agenda):
        if item.heading_level:
            _plan_topic(ctx, item)
            agenda_texts.append((f"{item.head}\n{item.discussion}", position))
            continue
        names, title = split_presenters(item.head, ctx.resolver)
        for name in names.unresolved:
            ctx.warn(
                "unresolved_presenter",
                item.line,
                f"presenter {name!r} matches nobody (or several people)",
            )
        title, description = _split_title(title, item.description)
        urls = list(
            dict.fromkeys(
                re.findall(r"https?://[^\s<>()\[\]]+", f"{title}\n{description}")
            )
        )
        ctx.plan.data.agenda.append(
            AgendaItemData(
                title=title,
                presenter_names=names.written[:200],
                presenters=[p.ref() for p in names.people],
                description=description,
                discussion_notes=item.discussion,
                links="\n".join(u.rstrip(".,;") for u in urls)[:2000],
            )
        )
        ctx.plan.presenters.append(names.people)
        agenda_texts.append((f"{title}\n{description}\n{item.discussion}", position))
    return agenda_texts


def _plan_topic(ctx: _Planning, item: ParsedItem) -> None:
    """A topic section as an agenda item: its heading is the title, and the
    people leading its notes' list items present it."""
    title, description = _split_title(item.head, item.description)
    people: list[Person] = []
    for name, handle in item_presenters(item.discussion):
        person = _linked_person(ctx, name, handle, item.line)
        if person is not None and person not in people:
            people.append(person)
    urls = list(
        dict.fromkeys(re.findall(r"https?://[^\s<>()\[\]]+", f"{title}\n{description}"))
    )
    ctx.plan.data.agenda.append(
        AgendaItemData(
            title=title,
            presenters=[p.ref() for p in people],
            description=description,
            discussion_notes=item.discussion,
            links="\n".join(u.rstrip(".,;") for u in urls)[:2000],
            heading_level=item.heading_level,
        )
    )
    ctx.plan.presenters.append(people)


def _plan_section_actions(
    ctx: _Planning,
) -> list[tuple[ActionItemData, list[Person]]]:
    """Action items listed under an action heading, with their owners."""
    section_actions: list[tuple[ActionItemData, list[Person]]] = []
    for action in ctx.call.actions:
        text = action.head.strip()
        owner = Names()
        match = re.match(r"^\[(?P<names>[^\[\]]{1,100})\](?!\()\s*", text)
        if match:
            owner = _names(match.group("names"), ctx.resolver)
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
    return section_actions


def _plan_links(ctx: _Planning) -> None:
    """The call's links, leaving out those the series already shows."""
    data, series = ctx.plan.data, ctx.series
    links: dict[str, str] = {}
    for link in ctx.call.links:
        links.setdefault(link.kind, link.url)
    data.info_url = links.get("info", "")[:200]
    data.video_url = links.get("video", "")[:200]
    data.recording_url = links.get("recording", "")[:200]
    if data.info_url and data.info_url == series.info_url:
        data.info_url = ""
    if data.video_url and data.video_url == series.video_url:
        data.video_url = ""


def _plan_release(ctx: _Planning) -> None:
    """The next-release section, and the release team it names."""
    if ctx.call.next_release is None:
        return
    release = ctx.call.next_release.text.strip()
    single = re.fullmatch(r"[-*+]\s+([^\n]*)", release)
    if single:
        release = single.group(1).strip()
    ctx.plan.data.next_release = release[:500]
    ctx.plan.release = parse_release(release, ctx.call.date, ctx.resolver)


def _plan_header(ctx: _Planning) -> None:
    """Title, highlights, cancellation, MCs and attendees as the data shows them."""
    plan, call = ctx.plan, ctx.call
    data = plan.data
    data.highlights = call.highlights
    data.front_matter = call.front_matter
    plan.raw_title = call.title
    data.title = call.title or ctx.series.title
    data.cancelled = call.cancelled
    data.mc = plan.mc.ref() if plan.mc else None
    data.next_mc = plan.next_mc.ref() if plan.next_mc else None
    data.attendees = [
        _as_written(person, plan.written.get(id(person), ""))
        for person in plan.attendees
    ]


def _plan_actions(
    ctx: _Planning,
    agenda_texts: list[tuple[str, int | None]],
    section_actions: list[tuple[ActionItemData, list[Person]]],
) -> None:
    """Actions found in the text, then the action section's (merged by wording)."""
    plan = ctx.plan
    data = plan.data
    inline = find_actions([(ctx.call.highlights, None), *agenda_texts], ctx.resolver)
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
    plan.note_chunks = chunks


def with_standing_links(data: CallData, series: SeriesInfo) -> CallData:
    """The call as exported: a series' standing links stand in for missing ones."""
    return replace(
        data,
        info_url=data.info_url or series.info_url,
        video_url=data.video_url or series.video_url,
    )


def _keep_what_is_missing(plan: CallPlan, series: SeriesInfo) -> None:
    """Lines whose content the export would not show go to the notes, verbatim."""
    source = plan.call.source
    missing = missing_lines(source, render_call(with_standing_links(plan.data, series)))
    if not missing:
        return
    chunks = list(plan.note_chunks)
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
    plan.note_chunks = chunks
