"""Write meetings back as markdown, in the layout communities keep in git.

One call reads:

    # Falco Community Call

    [More Information](https://...)
    [Video call](https://...)
    [Recording](https://...)

    ## 2020-09-16

    ### MC

    - Lorenzo Fontana ([@fntlnz](https://github.com/fntlnz))

    ### Who joined

    - Leonardo Grasso ([@leogr](https://github.com/leogr))

    ### This week highlights
    ...
    ### Agenda

    - [Lore/Leo] Release team for 0.26.0
        - nested notes, as written

    ### Action items

    - [ ] [leogr] finish the proposal

    ### Closing

    - **MC Next Call**: Spencer Krum ([@nibalizer](https://github.com/nibalizer))
    - **Next Release**: (Lead: Kris Nova) on 17th Sept

    ### Notes

    <!-- callbook:notes -->
    anything the importer could not place, verbatim
    <!-- /callbook:notes -->

An archive is the calls newest first, separated by `---`. The importer reads this
layout back into the same fields (the round trip the corpus check proves).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from django.db.models import Prefetch

from agenda.models import ActionItem, AgendaItem
from agenda.notes.format import (
    CANCELLED_MARK,
    NOTES_BEGIN,
    NOTES_END,
    ActionItemData,
    AgendaItemData,
    CallData,
    NotesStyle,
    PersonRef,
    indent,
)
from agenda.notes.people import Person, match_strength
from meetings.models import Attendance, Meeting, MeetingSeries

DEFAULT_STYLE = NotesStyle()
EXPORTED_STATUSES = [Meeting.Status.FINALIZED, Meeting.Status.CANCELLED]
AGENDA_STATUSES = [AgendaItem.Status.ACCEPTED, AgendaItem.Status.DISCUSSED]

# Characters that would turn a continuation line into another block.
_INTERRUPTS_RE = re.compile(
    r"^(?:[-*+](?:\s|$)|\d{1,9}[.)](?:\s|$)|#|>|```|~~~|<|=+\s*$)"
)


def person_line(person: PersonRef | None) -> str:
    return person.line() if person is not None else ""


def _head(prefix: str, title: str, description: str) -> list[str]:
    lines = [f"{prefix}{title}".rstrip()]
    for line in description.split("\n") if description else []:
        lines.append(("  " + line) if line.strip() else "")
    return lines


def _nested(text: str, style: NotesStyle = DEFAULT_STYLE) -> list[str]:
    if not text.strip():
        return []
    # The series' indent shifts every line alike, which keeps the nesting; but
    # notes that start indented ("  - a" then "- b") would turn into code under
    # a wider shift, so they keep Callbook's two spaces.
    width = 2 if text.lstrip("\n")[:1] in (" ", "\t") else style.indent
    body = indent(text, " " * width).split("\n")
    first = text.lstrip().split("\n", 1)[0]
    # A paragraph right under the first line would join it: keep a blank line.
    if re.match(r"^[-*+]\s", first):
        return body
    return ["", *body]


_NAME_SEP_RE = re.compile(r"\s*(?:/|,|&|\+|;|\band\b|\bor\b)\s*", re.I)


def _with_picked(written: str, people: list[PersonRef]) -> str:
    """Names as written ("Lore/Leo"), plus the people picked in the admin whom
    they do not name: more people than names means someone was added."""
    written = written.strip()
    tokens = [t for t in _NAME_SEP_RE.split(written) if t] if written else []
    missing = len(people) - len(tokens)
    if missing <= 0:
        return written  # as imported: each name resolved to at most one person
    unnamed = [
        ref
        for ref in people
        if not any(match_strength(Person(ref.name, ref.handle), t) for t in tokens)
    ]
    extra = (unnamed + [ref for ref in people if ref not in unnamed])[:missing]
    return "/".join(
        [written, *(ref.handle or ref.name for ref in extra)]
        if written
        else [ref.handle or ref.name for ref in extra]
    )


def presenters_written(item: AgendaItemData) -> str:
    """The bracket text for an item: as the notes wrote it, plus anyone picked
    as a presenter whom it does not name ("Lore/Leo" + Ann -> "Lore/Leo/annlee")."""
    return _with_picked(item.presenter_names, item.presenters)


def needs_presenter_prefix(item: AgendaItemData) -> bool:
    """False when the title already names the presenters ("Talk (Ann)")."""
    names = item.presenter_names.strip()
    if presenters_written(item) != names:
        return True  # someone the title does not name
    if not names:
        return False
    title = item.title
    for pattern in (
        r"\s[-\u2013\u2014]\s+" + re.escape(names),
        r"\(" + re.escape(names) + r"\)",
        r"(?<!^)\[" + re.escape(names) + r"\](?!\()",
        r"\bby\s+" + re.escape(names),
        r"^\(\[" + re.escape(names) + r"\]\(",
    ):
        if re.search(pattern, title):
            return False
    return True


def render_agenda_item(
    item: AgendaItemData, style: NotesStyle = DEFAULT_STYLE
) -> list[str]:
    if item.heading_level:
        # A topic section: under the agenda heading, as a heading one level deeper.
        level = max(item.heading_level, style.section_level + 1)
        lines = [style.heading(level, item.title), ""]
        for part in (item.description, item.discussion_notes):
            if part.strip():
                lines += [*part.strip("\n").split("\n"), ""]
        return lines
    prefix = f"{style.bullet} "
    if needs_presenter_prefix(item):
        prefix += f"[{presenters_written(item)}] "
    if not item.title and not item.description:
        lines = [style.bullet] if prefix == f"{style.bullet} " else [prefix.rstrip()]
        body = indent(item.discussion_notes, "  ").split("\n")
        return lines + body if item.discussion_notes.strip() else lines
    return _head(prefix, item.title, item.description) + _nested(
        item.discussion_notes, style
    )


def owners_written(action: ActionItemData) -> str:
    """The owners as written, plus anyone picked as an owner it does not name."""
    return _with_picked(action.owner_names, action.owners)


def render_action_item(
    action: ActionItemData, style: NotesStyle = DEFAULT_STYLE
) -> list[str]:
    box = "[x]" if action.status in ("done", "dropped") else "[ ]"
    prefix = f"{style.bullet} {box} "
    owners = owners_written(action)
    if owners and (
        owners != action.owner_names
        or not re.search(r"\b" + re.escape(owners) + r"\b", action.description)
    ):
        prefix += f"[{owners}] "
    first, _sep, rest = action.description.partition("\n\n")
    head_lines = first.split("\n")
    text = head_lines[0]
    if action.status == "dropped":
        text = f"~~{text}~~"
    return _head(prefix, text, "\n".join(head_lines[1:])) + _nested(rest, style)


def render_call(data: CallData, style: NotesStyle = DEFAULT_STYLE) -> str:
    """One call as markdown, in the series' own style (Callbook's by default).

    Line breaks are LF only: text typed in a browser brings CRLF.
    """
    out: list[str] = []
    bullet = style.bullet
    section = style.section_level
    if data.front_matter:
        out += [data.front_matter, ""]
    if data.title:
        out += [style.heading(style.title_level, data.title), ""]
    links = [
        f"[{style.label(kind)}]({url})"
        for kind, url in (
            ("info", data.info_url),
            ("video", data.video_url),
            ("recording", data.recording_url),
        )
        if url
    ]
    if links:
        out += [*links, ""]
    out += [style.heading(style.date_level, data.date.isoformat()), ""]
    if data.cancelled:
        out += [CANCELLED_MARK, ""]
    out += [style.heading(section, "MC"), ""]
    if data.mc is not None:
        out += [f"{bullet} {person_line(data.mc)}", ""]
    out += [style.heading(section, "Who joined"), ""]
    if data.attendees:
        out += [f"{bullet} {person_line(person)}" for person in data.attendees] + [""]
    if data.highlights.strip():
        out += [
            style.heading(section, "This week highlights"),
            "",
            data.highlights.strip("\n"),
            "",
        ]
    out += [style.heading(section, "Agenda"), ""]
    for item in data.agenda:
        out += render_agenda_item(item, style)
    if data.agenda and not data.agenda[-1].heading_level:
        out.append("")
    actions = [a for a in data.actions if a.status != "suggested"]
    if actions:
        out += [style.heading(section, "Action items"), ""]
        for action in actions:
            out += render_action_item(action, style)
        out.append("")
    if data.next_mc is not None or data.next_release:
        out += [style.heading(section, "Closing"), ""]
        out.append(f"{bullet} **MC Next Call**: {person_line(data.next_mc)}".rstrip())
        release = data.next_release
        if "\n" in release or _INTERRUPTS_RE.match(release):
            out.append(f"{bullet} **Next Release**:")
            out += indent(release, "    ").split("\n")
        else:
            out.append(f"{bullet} **Next Release**: {release}".rstrip())
        out.append("")
    if data.notes.strip():
        out += [
            style.heading(section, "Notes"),
            "",
            NOTES_BEGIN,
            data.notes.strip("\n"),
            NOTES_END,
            "",
        ]
    while out and not out[-1]:
        out.pop()
    text = "\n".join(out) + "\n"
    return text.replace("\r\n", "\n").replace("\r", "\n")


def render_archive(calls: Iterable[CallData], style: NotesStyle = DEFAULT_STYLE) -> str:
    """Calls newest first; the importer numbers same-day calls in this order."""
    ordered = sorted(calls, key=lambda c: (-c.date.toordinal(), c.ordinal))
    return "\n---\n\n".join(render_call(call, style) for call in ordered)


# ---------------------------------------------------------------------------
# From the database
# ---------------------------------------------------------------------------


def _ref(attendee, written: str = "") -> PersonRef | None:
    if attendee is None:
        return None
    return PersonRef(attendee.display_name, attendee.github_handle, written)


def meetings_for_export(queryset=None):
    """Meetings with everything `call_data` reads, in few queries."""
    queryset = Meeting.objects.all() if queryset is None else queryset
    return queryset.select_related("series", "mc", "next_mc").prefetch_related(
        Prefetch(
            "attendances",
            queryset=Attendance.objects.select_related("attendee").order_by(
                "position", "pk"
            ),
        ),
        Prefetch(
            "agenda_items",
            queryset=AgendaItem.objects.filter(status__in=AGENDA_STATUSES)
            .order_by("position", "pk")
            .prefetch_related("presenters"),
        ),
        Prefetch(
            "action_items",
            queryset=ActionItem.objects.order_by("position", "pk").prefetch_related(
                "owners"
            ),
        ),
    )


def call_data(meeting: Meeting) -> CallData:
    """What a stored meeting's notes say, ready to render."""
    series = meeting.series
    # Filtered and sorted here too, for meetings not read by meetings_for_export.
    items = sorted(
        (i for i in meeting.agenda_items.all() if i.status in AGENDA_STATUSES),
        key=lambda i: (i.position, i.pk),
    )
    index_of = {item.pk: position for position, item in enumerate(items)}
    return CallData(
        date=meeting.date,
        ordinal=meeting.ordinal,
        title=meeting.display_title,
        cancelled=meeting.status == Meeting.Status.CANCELLED,
        info_url=meeting.info_url or series.info_url,
        video_url=meeting.video_url or series.video_url,
        recording_url=meeting.recording_url,
        mc=_ref(meeting.mc),
        attendees=[
            _ref(a.attendee, a.written_as)
            for a in sorted(meeting.attendances.all(), key=lambda a: (a.position, a.pk))
        ],
        highlights=meeting.highlights,
        agenda=[
            AgendaItemData(
                title=item.title,
                presenter_names=item.presenter_names,
                presenters=sorted(
                    (_ref(p) for p in item.presenters.all()), key=PersonRef.key
                ),
                description=item.description,
                discussion_notes=item.discussion_notes,
                links=item.links,
                heading_level=item.heading_level,
            )
            for item in items
        ],
        actions=[
            ActionItemData(
                description=action.description,
                owner_names=action.owner_names,
                owners=sorted(
                    (_ref(p) for p in action.owners.all()), key=PersonRef.key
                ),
                status=action.status,
                agenda_index=index_of.get(action.agenda_item_id),
            )
            for action in sorted(
                meeting.action_items.all(), key=lambda a: (a.position, a.pk)
            )
        ],
        next_mc=_ref(meeting.next_mc),
        next_release=meeting.next_release,
        notes=meeting.notes,
        front_matter=meeting.front_matter,
    )


def fingerprint(data: CallData) -> str:
    """SHA-256 of everything a call's export shows, people and owners included."""
    return hashlib.sha256(repr(data).encode("utf-8")).hexdigest()


def is_unedited(meeting: Meeting, data: CallData | None = None) -> bool:
    """True for an imported call whose fields are as the import left them."""
    if not meeting.source_text or not meeting.source_fingerprint:
        return False
    data = call_data(meeting) if data is None else data
    return fingerprint(data) == meeting.source_fingerprint


def render_meeting(meeting: Meeting) -> str:
    """The markdown of one stored meeting (the public `.md` download): the
    imported text itself while nobody has edited the call, else rendered."""
    data = call_data(meeting)
    if is_unedited(meeting, data):
        return meeting.source_text
    return render_call(data, NotesStyle.from_dict(meeting.series.notes_style))


def export_series(
    *, series: MeetingSeries, out_dir: Path, archive: str = ""
) -> list[Path]:
    """Write a series' finalized and cancelled calls; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    meetings = list(
        meetings_for_export(
            series.meetings.filter(status__in=EXPORTED_STATUSES)
        ).order_by("-date", "ordinal")
    )
    if archive:
        name = archive if archive.endswith(".md") else f"{archive}.md"
        path = out_dir / Path(name).name
        style = NotesStyle.from_dict(series.notes_style)
        path.write_text(
            render_archive((call_data(m) for m in meetings), style), "utf-8"
        )
        return [path]
    written = []
    for meeting in meetings:
        path = out_dir / f"{meeting.date_key}.md"
        # Bytes, not text: an unedited call keeps its own line endings.
        path.write_bytes(render_meeting(meeting).encode("utf-8"))
        written.append(path)
    return written
