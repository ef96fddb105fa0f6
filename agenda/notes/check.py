"""Proofs about an import: nothing lost, and export then import gives it back.

Used by `manage.py corpus_check` and by the tests over the shared corpus.

- `lossless_failures`: every non-blank line of every imported file, reduced to its
  content words (see `notes.format.content_segments`), must be found in the
  export of the meeting its call went to.
- `snapshot`: every structured field of every meeting (and the release teams and
  people they point to), in a form that compares equal across databases.
- `round_trip`: export all series, import the export into an emptied database
  (inside a transaction that is rolled back), snapshot, compare.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from agenda.models import ActionItem, AgendaItem
from agenda.notes.exporter import (
    call_data,
    export_series,
    meetings_for_export,
    render_call,
)
from agenda.notes.format import (
    DEFAULT_VOCABULARY,
    Vocabulary,
    fold,
    missing_lines,
)
from agenda.notes.importer import ImportReport, import_notes, sources_from_paths
from agenda.notes.parser import decode_notes, parse_notes
from meetings.models import (
    Attendance,
    GitHubReference,
    Meeting,
    MeetingSeries,
    ReleaseTeam,
)
from people.models import Alias, Attendee


def person_key(attendee) -> str:
    if attendee is None:
        return ""
    if attendee.github_handle:
        return "@" + attendee.github_handle.lower()
    return "name:" + fold(attendee.display_name)


@dataclass
class LosslessResult:
    lines_checked: int = 0
    missing: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing


def lossless_failures(
    report: ImportReport,
    sources: list[tuple[str, bytes]],
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
) -> LosslessResult:
    """Source lines (file, number, text) whose content no stored meeting shows."""
    result = LosslessResult()
    by_name = dict(sources)
    exports: dict[int, str] = {}
    meetings = {
        m.pk: m
        for m in meetings_for_export(
            Meeting.objects.filter(
                pk__in=[
                    c.meeting_id
                    for f in report.files
                    for c in f.calls
                    if c.meeting_id is not None
                ]
            )
        )
    }
    for file_report in report.files:
        if file_report.failed:
            continue
        parsed = parse_notes(
            decode_notes(by_name[file_report.file], name=file_report.file),
            name=file_report.file,
            vocabulary=vocabulary,
        )
        for call, outcome in zip(parsed.calls, file_report.calls, strict=True):
            result.lines_checked += len(call.source)
            meeting = meetings.get(outcome.meeting_id)
            if meeting is None:
                result.missing += [(file_report.file, n, t) for n, t in call.source]
                continue
            if meeting.pk not in exports:
                exports[meeting.pk] = render_call(call_data(meeting))
            for number, text in missing_lines(call.source, exports[meeting.pk]):
                result.missing.append((file_report.file, number, text))
    return result


def snapshot() -> dict:
    """All structured fields of all meetings, release teams and their people."""
    meetings = {}
    for meeting in meetings_for_export(Meeting.objects.all()):
        data = call_data(meeting)
        items = list(meeting.agenda_items.all())
        meetings[(meeting.series.slug, meeting.date_key)] = {
            "series_title": meeting.series.title,
            "title": meeting.title,
            "status": meeting.status,
            "mc": person_key(meeting.mc),
            "next_mc": person_key(meeting.next_mc),
            "next_release": meeting.next_release,
            "highlights": meeting.highlights,
            "notes": meeting.notes,
            "info_url": data.info_url,
            "video_url": data.video_url,
            "recording_url": meeting.recording_url,
            "front_matter": meeting.front_matter,
            "attendees": [
                (person_key(a.attendee), a.attendee.display_name, a.written_as)
                for a in meeting.attendances.all()
            ],
            "agenda": [
                (
                    item.title,
                    item.presenter_names,
                    sorted(person_key(p) for p in item.presenters.all()),
                    item.description,
                    item.discussion_notes,
                    item.links,
                    item.status,
                    bool(item.heading_level),
                )
                for item in items
            ],
            "actions": [
                (
                    action.description,
                    action.owner_names,
                    sorted(person_key(p) for p in action.owners.all()),
                    action.status,
                    items.index(action.agenda_item) if action.agenda_item else None,
                )
                for action in meeting.action_items.all()
            ],
            "refs": sorted(
                (r.owner.lower(), r.repo.lower(), r.number)
                for r in meeting.github_refs.all()
            ),
        }
    teams = {
        team.version.lower(): (
            person_key(team.lead),
            sorted(person_key(m) for m in team.members.all()),
            (team.meeting.series.slug, team.meeting.date_key) if team.meeting else None,
            team.planned_date,
        )
        for team in ReleaseTeam.objects.select_related(
            "lead", "meeting__series"
        ).prefetch_related("members")
    }
    return {"meetings": meetings, "release_teams": teams}


def compare(before: dict, after: dict, *, limit: int = 20) -> list[str]:
    """Human-readable differences between two snapshots (empty when equal)."""
    diffs: list[str] = []
    for section in ("meetings", "release_teams"):
        old, new = before[section], after[section]
        for key in sorted(set(old) | set(new), key=str):
            if key not in new:
                diffs.append(f"{section} {key}: missing after the round trip")
            elif key not in old:
                diffs.append(f"{section} {key}: appeared after the round trip")
            elif old[key] != new[key]:
                if isinstance(old[key], dict):
                    for name in old[key]:
                        if old[key][name] != new[key].get(name):
                            diffs.append(
                                f"{section} {key} {name}: "
                                + _difference(old[key][name], new[key].get(name))
                            )
                else:
                    diffs.append(f"{section} {key}: {old[key]} != {new[key]}")
            if len(diffs) >= limit:
                return diffs
    return diffs


def _difference(old, new) -> str:
    if isinstance(old, list) and isinstance(new, list):
        for position, (a, b) in enumerate(zip(old, new, strict=False)):
            if a != b:
                return f"[{position}] {_short(a)} != {_short(b)}"
        return f"{len(old)} entries != {len(new)} entries"
    return f"{_short(old)} != {_short(new)}"


def _short(value, size: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= size else text[:size] + "..."


def _empty_database() -> None:
    ActionItem.owners.through.objects.all().delete()
    ActionItem.objects.all().delete()
    AgendaItem.presenters.through.objects.all().delete()
    AgendaItem.objects.all().delete()
    ReleaseTeam.objects.all().delete()
    GitHubReference.objects.all().delete()
    Attendance.objects.all().delete()
    Meeting.objects.all().delete()
    MeetingSeries.objects.all().delete()
    Alias.objects.all().delete()
    Attendee.objects.all().delete()
    for model in (Meeting, AgendaItem, ActionItem):
        model.history.all().delete()


def round_trip(
    *,
    default_series: str,
    limit: int = 20,
    split_series: bool = True,
    series_from_folder: bool = False,
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
) -> tuple[list[str], dict]:
    """Export everything, import it into an emptied database, compare; undone.

    The export of every series (a folder each) is imported in one batch the way
    the original files were: one series, a series per title, or per folder.
    """
    before = snapshot()
    with tempfile.TemporaryDirectory(prefix="callbook-roundtrip-") as tmp:
        for one in MeetingSeries.objects.all():
            export_series(series=one, out_dir=Path(tmp) / one.slug)
        sources = sources_from_paths([tmp])
        with transaction.atomic():
            _empty_database()
            report = import_notes(
                sources=sources,
                series_slug=default_series,
                split_series=split_series,
                series_from_folder=series_from_folder,
                vocabulary=vocabulary,
            )
            after = snapshot()
            transaction.set_rollback(True)
    failures = [f"{f.file}: {f.error}" for f in report.files if f.failed]
    return failures + compare(before, after, limit=limit), after


# The documented exceptions to "an unedited imported call exports as its source,
# byte for byte" (README, make corpus-check). Each has a test.
EXPORT_EXCEPTIONS = {
    "merged": "the call is also in another file (a duplicate or a newer version): "
    "the meeting keeps and exports one version",
    "archive": "a file of several calls exports one file per call, each from "
    "its fields in the series' style (its lines may lean on the archive's header)",
    "encoding": "a byte-order mark or UTF-16 file exports as plain UTF-8",
    "line-breaks": "old Mac line breaks (a lone CR) export as LF",
    "context": "the call names people only the rest of the batch identifies (a "
    "first name, a nickname): read alone it would name others, so it exports "
    "from its fields, in the series' style, with their handles",
}


@dataclass
class ExportComparison:
    identical: int = 0
    documented: dict[str, int] = field(default_factory=dict)
    undocumented: list[str] = field(default_factory=list)
    calls_identical: int = 0
    calls: int = 0

    def add(self, reason: str) -> None:
        self.documented[reason] = self.documented.get(reason, 0) + 1


def compare_exports(
    report: ImportReport, sources: list[tuple[str, bytes]]
) -> ExportComparison:
    """Each imported file against what its meetings export now, unedited."""
    from agenda.notes.exporter import render_meeting

    result = ExportComparison()
    by_name = dict(sources)
    meetings = {
        m.pk: m
        for m in meetings_for_export(
            Meeting.objects.filter(
                pk__in=[c.meeting_id for f in report.files for c in f.calls]
            )
        )
    }
    calls_per_meeting = Counter(
        c.meeting_id for f in report.files for c in f.calls if c.meeting_id
    )
    for file_report in report.files:
        if file_report.failed:
            continue
        raw = by_name[file_report.file]
        exports = []
        for outcome in file_report.calls:
            result.calls += 1
            meeting = meetings.get(outcome.meeting_id)
            text = render_meeting(meeting) if meeting is not None else None
            same = (
                meeting is not None
                and outcome.outcome == "new"
                and (text == meeting.source_text != "")
            )
            result.calls_identical += same
            exports.append((outcome, text, same))
        if any(
            outcome.outcome != "new" or calls_per_meeting[outcome.meeting_id] > 1
            for outcome, _t, _s in exports
        ):
            result.add("merged")
        elif raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            result.add("encoding")
        elif b"\r" in raw.replace(b"\r\n", b""):
            result.add("line-breaks")
        elif len(exports) > 1:
            result.add("archive")
        elif exports and (exports[0][1] or "").encode("utf-8") == raw:
            result.identical += 1
        elif exports and meetings[exports[0][0].meeting_id].source_text == "":
            result.add("context")
        else:
            result.undocumented.append(file_report.file)
    return result
