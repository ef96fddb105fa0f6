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
    LINK_RENDER_LABELS,
    NOTES_BEGIN,
    NOTES_END,
    ActionItemData,
    AgendaItemData,
    CallData,
    PersonRef,
    indent,
)
from meetings.models import Attendance, Meeting, MeetingSeries

EXPORTED_STATUSES = [Meeting.Status.FINALIZED, Meeting.Status.CANCELLED]
AGENDA_STATUSES = [AgendaItem.Status.ACCEPTED, AgendaItem.Status.DISCUSSED]

# Characters that would turn a continuation line into another block.
_INTERRUPTS_RE = re.compile(
    r"^(?:[-*+](?:\s|$)|\d{1,9}[.)](?:\s|$)|#|>|```|~~~|<|=+\s*$)"
)


def person_line(person: PersonRef | None) -> str:
    return person.line() if person is not None else ""


def needs_presenter_prefix(item: AgendaItemData) -> bool:
    """False when the title already names the presenters ("Talk (Ann)")."""
    names = item.presenter_names.strip()
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


def _head(prefix: str, title: str, description: str) -> list[str]:
    lines = [f"{prefix}{title}".rstrip()]
    for line in description.split("\n") if description else []:
        lines.append(("  " + line) if line.strip() else "")
    return lines


def _nested(text: str) -> list[str]:
    if not text.strip():
        return []
    body = indent(text, "  ").split("\n")
    first = text.lstrip().split("\n", 1)[0]
    # A paragraph right under the first line would join it: keep a blank line.
    if re.match(r"^[-*+]\s", first):
        return body
    return ["", *body]


def render_agenda_item(item: AgendaItemData) -> list[str]:
    if item.heading_level:
        # A topic section: under "### Agenda", as a heading one level deeper.
        lines = [f"{'#' * max(item.heading_level, 4)} {item.title}".rstrip(), ""]
        for part in (item.description, item.discussion_notes):
            if part.strip():
                lines += [*part.strip("\n").split("\n"), ""]
        return lines
    prefix = "- "
    if needs_presenter_prefix(item):
        prefix += f"[{item.presenter_names}] "
    if not item.title and not item.description:
        lines = ["-"] if prefix == "- " else [prefix.rstrip()]
        body = indent(item.discussion_notes, "  ").split("\n")
        return lines + body if item.discussion_notes.strip() else lines
    return _head(prefix, item.title, item.description) + _nested(item.discussion_notes)


def render_action_item(action: ActionItemData) -> list[str]:
    box = "[x]" if action.status in ("done", "dropped") else "[ ]"
    prefix = f"- {box} "
    if action.owner_names and not re.search(
        r"\b" + re.escape(action.owner_names) + r"\b", action.description
    ):
        prefix += f"[{action.owner_names}] "
    first, _sep, rest = action.description.partition("\n\n")
    head_lines = first.split("\n")
    text = head_lines[0]
    if action.status == "dropped":
        text = f"~~{text}~~"
    return _head(prefix, text, "\n".join(head_lines[1:])) + _nested(rest)


def render_call(data: CallData) -> str:
    """One call as markdown, in the community's layout."""
    out: list[str] = []
    if data.front_matter:
        out += [data.front_matter, ""]
    if data.title:
        out += [f"# {data.title}", ""]
    links = [
        f"[{LINK_RENDER_LABELS[kind]}]({url})"
        for kind, url in (
            ("info", data.info_url),
            ("video", data.video_url),
            ("recording", data.recording_url),
        )
        if url
    ]
    if links:
        out += [*links, ""]
    out += [f"## {data.date.isoformat()}", ""]
    if data.cancelled:
        out += [CANCELLED_MARK, ""]
    out += ["### MC", ""]
    if data.mc is not None:
        out += [f"- {person_line(data.mc)}", ""]
    out += ["### Who joined", ""]
    if data.attendees:
        out += [f"- {person_line(person)}" for person in data.attendees] + [""]
    if data.highlights.strip():
        out += ["### This week highlights", "", data.highlights.strip("\n"), ""]
    out += ["### Agenda", ""]
    for item in data.agenda:
        out += render_agenda_item(item)
    if data.agenda and not data.agenda[-1].heading_level:
        out.append("")
    actions = [a for a in data.actions if a.status != "suggested"]
    if actions:
        out += ["### Action items", ""]
        for action in actions:
            out += render_action_item(action)
        out.append("")
    if data.next_mc is not None or data.next_release:
        out += ["### Closing", ""]
        out.append(f"- **MC Next Call**: {person_line(data.next_mc)}".rstrip())
        release = data.next_release
        if "\n" in release or _INTERRUPTS_RE.match(release):
            out.append("- **Next Release**:")
            out += indent(release, "    ").split("\n")
        else:
            out.append(f"- **Next Release**: {release}".rstrip())
        out.append("")
    if data.notes.strip():
        out += ["### Notes", "", NOTES_BEGIN, data.notes.strip("\n"), NOTES_END, ""]
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def render_archive(calls: Iterable[CallData]) -> str:
    """Calls newest first; the importer numbers same-day calls in this order."""
    ordered = sorted(calls, key=lambda c: (-c.date.toordinal(), c.ordinal))
    return "\n---\n\n".join(render_call(call) for call in ordered)


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
    return render_call(data)


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
        path.write_text(render_archive(call_data(m) for m in meetings), "utf-8")
        return [path]
    written = []
    for meeting in meetings:
        path = out_dir / f"{meeting.date_key}.md"
        # Bytes, not text: an unedited call keeps its own line endings.
        path.write_bytes(render_meeting(meeting).encode("utf-8"))
        written.append(path)
    return written
