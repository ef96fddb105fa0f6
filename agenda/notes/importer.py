"""Import a community's markdown meeting notes into meetings, people and agenda.

`import_notes(sources=..., series_slug=...)` is the one entry point (the
`import_notes` command and the admin upload page call it). Each file is read
(`notes.parser`), each call in it is *planned* (`notes.plan`: names resolved to
people, agenda items split from their presenters, action items found, links and
closing lines read) into a `CallData`, checked for loss against its own export,
compared with the meetings already stored on that date, and written, one file
per transaction.

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

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from agenda.models import ActionItem, AgendaItem
from agenda.notes.exporter import (
    call_data,
    fingerprint,
    meetings_for_export,
    render_call,
)
from agenda.notes.format import (
    DEFAULT_VOCABULARY,
    CallData,
    PersonRef,
    Vocabulary,
    content_segments,
    fold,
    learn_style,
    line_is_found,
    missing_lines,
    token_stream,
)
from agenda.notes.parser import (
    NotesImportError,
    ParsedFile,
    ParseWarning,
    clean_title,
    decode_notes,
    parse_notes,
)
from agenda.notes.people import (
    PeopleIndex,
    Person,
)
from agenda.notes.plan import (
    CallPlan,
    ReleaseMention,
    SeriesInfo,
    learn_people,
    plan_call,
    with_standing_links,
)
from meetings import published
from meetings.models import (
    Attendance,
    GitHubReference,
    Meeting,
    MeetingSeries,
    ReleaseTeam,
)
from pagecache.models import SiteGeneration
from people.models import Alias, Attendee
from people.parsing import parse_attendee_line

__all__ = ["ImportReport", "NotesImportError", "import_notes", "sources_from_paths"]

SAME_CALL = 0.6  # likeness of two versions' wording above which they are one call
# Heading readings that no vocabulary settled: free notes, or a topic by place.
UNKNOWN_ROLES = {"notes", "topic"}


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
    attendees: int = 0
    agenda_items: int = 0
    action_items: int = 0
    # How each heading (and bold label) was read: line, level, text, role, profile.
    headings: list[dict] = field(default_factory=list)

    @property
    def unknown_headings(self) -> list[dict]:
        """Headings read by their place, not their words: a profile can name them."""
        return [h for h in self.headings if h["role"] in UNKNOWN_ROLES]


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
    # This process's CPU time: the importer's own work, whatever else the
    # machine runs (wall-clock seconds on a shared machine say little).
    cpu_seconds: float = 0.0
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

    def unknown_headings(self) -> Counter:
        """Heading texts no vocabulary named, with how often they occur."""
        return Counter(
            h["text"]
            for f in self.files
            for c in f.calls
            for h in c.unknown_headings
            if not h["profile"]
        )

    def unknown_heading_counts(self) -> list[tuple[str, int]]:
        """(text, count) of unknown headings, most frequent first (templates)."""
        return self.unknown_headings().most_common()

    def summary_lines(
        self, *, per_file: bool = True, headings: bool | None = None
    ) -> list[str]:
        headings = self.dry_run if headings is None else headings
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
                for call in report.calls if headings else []:
                    lines.append(
                        f"  call {call.date_key} ({call.series}, lines {call.lines}):"
                        f" {call.attendees} people, {call.agenda_items} agenda items,"
                        f" {call.action_items} action items"
                    )
                    for h in call.headings:
                        known = h["profile"] or h["role"] not in UNKNOWN_ROLES
                        source = f" ({h['profile']})" if h["profile"] else ""
                        lines.append(
                            f"   {' ' if known else '?'}{h['line']:>5} "
                            f"{'#' * h['level'] or '**'} {h['text'][:60]} -> "
                            f"{h['role']}{source}"
                        )
        unknown = self.unknown_headings()
        if headings and unknown:
            lines.append(
                f"Headings no profile names ({len(unknown)}; map them with "
                "--profile FILE, one 'heading: role' a line):"
            )
            for text, count in unknown.most_common(40):
                lines.append(f"  {count:>4} x {text[:70]}")
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


def folder_of(file: str) -> str:
    """The folder a source file sits in ("minutes/triage-meeting/x.md" ->
    "triage-meeting"), or "" for a file given on its own."""
    parts = file.replace("\\", "/").split("/")
    return parts[-2] if len(parts) >= 2 else ""


class _SeriesRouter:
    """Sends each call to a series: the --series one (`mode` "one"), one per
    recurring title ("split"), or one per folder ("folder")."""

    def __init__(self, slug: str, titles: Counter, mode: str = "split"):
        self.mode = mode
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

    def _most_common(self, wanted: Callable[[str], bool]) -> str:
        best = [
            (count, title)
            for title, count in self.titles.items()
            if wanted(series_key(title))
        ]
        if not best:
            return ""
        top = max(count for count, _title in best)
        return next(
            title
            for title, count in self.titles.items()
            if count == top and wanted(series_key(title))
        )

    def key_for(self, title: str, file: str = "") -> str:
        if self.mode == "one":
            return ""
        if self.mode == "folder":
            folder = folder_of(file)
            return f"folder:{folder}" if folder else ""
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
        if key.startswith("folder:"):
            folder = key.removeprefix("folder:")
            words = re.sub(r"[-_]+", " ", folder).strip()
            return (words[:1].upper() + words[1:]) or folder
        return self._most_common(lambda k: k == key) or key

    def _find(self, key: str) -> MeetingSeries | None:
        if not key:
            return MeetingSeries.objects.filter(slug=self.slug).first()
        if key.startswith("folder:"):
            slug = self._folder_slug(key)
            return MeetingSeries.objects.filter(slug=slug).first()
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
            words = re.sub(r"[/_+&]", " ", title)  # "Build/Release" -> build-release
            if not key:
                slug = self.slug
            elif key.startswith("folder:"):
                slug = self._folder_slug(key)
            else:
                slug = self._free_slug(slugify(words)[:70] or "series")
            series = MeetingSeries.objects.create(slug=slug, title=title)
            self.created.append(key)
        self.cache[key] = series
        return series

    @staticmethod
    def _folder_slug(key: str) -> str:
        return slugify(key.removeprefix("folder:"))[:70] or "notes"

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
    # One write for every handle learned: each is a person whose stored calls
    # must be found (meetings.published), best in one query.
    handles = [
        Attendee(pk=person.pk, github_handle=person.handle)
        for person in people
        if person.handle_added
    ]
    if handles:
        Attendee.objects.bulk_update(handles, ["github_handle"])
        for person in people:
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


def _words_of(lines: Iterable[str]) -> list[str]:
    return [
        word for line in lines for segment in content_segments(line) for word in segment
    ]


# Word sequences longer than this are compared by their first words only, with
# SequenceMatcher's junk heuristic: its exact ratio is quadratic or worse in the
# length, and an upload of "a a a ..." must not take minutes.
LIKENESS_WORDS = 2_000


def likeness(one: list[str], other: list[str]) -> float:
    """How much of their wording two versions share, in order (0 to 1)."""
    matcher = SequenceMatcher(None, one, other, autojunk=False)
    bound = matcher.quick_ratio()  # linear, and never below the ratio
    if bound < SAME_CALL:
        return bound
    if max(len(one), len(other)) > LIKENESS_WORDS:
        matcher = SequenceMatcher(
            None, one[:LIKENESS_WORDS], other[:LIKENESS_WORDS], autojunk=True
        )
    return matcher.ratio()


def _decide(
    plan: CallPlan, series: MeetingSeries, dates: set
) -> tuple[str, Meeting | None, int, list[str]]:
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
    rendered = render_call(with_standing_links(plan.data, info))
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
        score = likeness(body, old_body)
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
        self.written: list[int] = []  # pks of the meetings written

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
            "source_text": plan.source_text,
            "front_matter": data.front_matter,
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
                    heading_level=item.heading_level,
                    status=AgendaItem.Status.DISCUSSED,
                    position=position,
                )
                for plan, meeting, series in pending
                for position, item in enumerate(plan.data.agenda)
            ],
            AgendaItem,
            AgendaItem.objects.filter(meeting__in=[m for _p, m, _s in pending]),
        )
        by_meeting = _by_meeting(items)
        _link_people(
            AgendaItem.presenters.through,
            "agendaitem_id",
            [
                pair
                for plan, meeting, _series in pending
                for pair in zip(
                    by_meeting.get(meeting.pk, []), plan.presenters, strict=True
                )
            ],
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
        actions_by_meeting = _by_meeting(actions)
        _link_people(
            ActionItem.owners.through,
            "actionitem_id",
            [
                pair
                for plan, meeting, _series in pending
                for pair in zip(
                    actions_by_meeting.get(meeting.pk, []), plan.owners, strict=True
                )
            ],
        )
        GitHubReference.objects.bulk_create(
            [
                GitHubReference(meeting=meeting, owner=o[:39], repo=r[:100], number=n)
                for plan, meeting, _series in pending
                for o, r, n in plan.refs
            ],
            ignore_conflicts=True,
        )
        # Bulk-created agenda items bypass AgendaItem.save(), which keeps the
        # search text up to date.
        Meeting.objects.filter(
            pk__in=[meeting.pk for _plan, meeting, _series in pending]
        ).refresh_search_documents()
        self.written += [meeting.pk for _plan, meeting, _series in pending]


def _by_meeting(rows: list) -> dict[int, list]:
    """Bulk-created rows grouped by their meeting, in creation order."""
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row.meeting_id, []).append(row)
    return grouped


def _link_people(through, column: str, pairs: list[tuple[object, list]]) -> None:
    """Link each (row, people) pair through a many-to-many's `through` model in one
    INSERT; `column` is the row's side (`agendaitem_id`), a person named twice once."""
    through.objects.bulk_create(
        [
            through(**{column: row.pk}, attendee_id=person.pk)
            for row, people in pairs
            for person in dict.fromkeys(people)
        ]
    )


def _fingerprint(pks: list[int], chunk: int = 500) -> None:
    """Remember what each meeting's fields were as imported: while they are
    unchanged, the meeting exports as the text it was imported from."""
    for start in range(0, len(pks), chunk):
        stored = list(
            meetings_for_export(
                Meeting.objects.filter(pk__in=pks[start : start + chunk])
            )
        )
        for meeting in stored:
            meeting.source_fingerprint = fingerprint(call_data(meeting))
        Meeting.objects.bulk_update(stored, ["source_fingerprint"])


def _bulk_with_history(objs: list, model: type, stored) -> list:
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
            version=mention.version,
            lead_id=lead_id,
            meeting=meeting,
            planned_date=mention.planned,
        )
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


def _natural_key(path: Path) -> tuple[list, str]:
    parts = re.split(r"(\d+)", str(path.with_suffix("")))
    return [int(p) if p.isdigit() else p for p in parts], path.suffix


def import_notes(
    *,
    sources: Sequence[Source],
    series_slug: str = "",
    dry_run: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    split_series: bool = False,
    series_from_folder: bool = False,
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
) -> ImportReport:
    """Import notes files (name, bytes) and report what happened.

    Every call goes to the series `series_slug`; with `split_series`, calls
    titled after another recurring call go to a series of that title, and with
    `series_from_folder` each folder of files is a series (named after it).
    `vocabulary` adds a community's own heading words to the built-in profiles.

    Each file is its own transaction: a file that cannot be read is reported with
    its line and the others go on. With `dry_run` everything is rolled back at
    the end, so the report shows exactly what an import would do.
    """
    if series_from_folder and not series_slug:
        series_slug = "notes"
    if not re.fullmatch(r"[-a-zA-Z0-9_]{1,80}", series_slug or ""):
        raise NotesImportError(
            f"{series_slug!r} is not a series slug (letters, digits, - and _)"
        )
    mode = "folder" if series_from_folder else "split" if split_series else "one"
    started = time.perf_counter()
    cpu_started = time.process_time()
    report = ImportReport(dry_run=dry_run)
    parsed: list[tuple[FileReport, ParsedFile | None]] = []
    titles: Counter = Counter()
    names: dict[str, Counter] = {}
    for name, raw in sources:
        file_report = FileReport(file=name)
        try:
            text = decode_notes(raw, name=name)
            parsed_file = parse_notes(text, name=name, vocabulary=vocabulary)
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

    # A real import commits each file on its own; a dry run wraps them all in
    # one transaction rolled back at the end.
    with transaction.atomic() if dry_run else nullcontext():
        router = _SeriesRouter(series_slug, titles, mode)
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
        written: list[int] = []
        styles: dict[str, list] = {}  # series key -> the calls it got
        for position, (file_report, parsed_file) in enumerate(parsed, start=1):
            if progress is not None:
                progress(position, len(parsed), file_report.file)
            report.files.append(file_report)
            if parsed_file is None:
                continue
            created_before = len(router.created)
            try:
                # Hundreds of writes a file: the site stamp is bumped and their
                # calls' stored notes are deleted once, not once a write (and
                # not at all for a file rolled back).
                with (
                    transaction.atomic(),
                    SiteGeneration.bump_once(),
                    published.forget_once(),
                ):
                    written += _import_file(
                        parsed_file, file_report, router, index, dates, vocabulary
                    )
                for call in parsed_file.calls:
                    key = router.key_for(call.title, parsed_file.name)
                    styles.setdefault(key, []).append(call)
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
        with (
            transaction.atomic(),
            SiteGeneration.bump_once(),
            published.forget_once(),
        ):
            _fingerprint(list(dict.fromkeys(written)))
            _learn_styles(router, styles)
        report.series = sorted(s.slug for s in router.cache.values())
        report.seconds = time.perf_counter() - started
        report.cpu_seconds = time.process_time() - cpu_started
        if dry_run:
            transaction.set_rollback(True)
    return report


def _learn_styles(router: _SeriesRouter, styles: dict[str, list]) -> None:
    """A series' first import teaches it how its notes are written."""
    for key, calls in styles.items():
        series = router.cache.get(key)
        if series is None or series.notes_style:
            continue
        series.notes_style = learn_style(calls).to_dict()
        series.save(update_fields=["notes_style"])


def _meeting_dates() -> set:
    """(series pk, date) of every stored meeting: only those need a closer look."""
    return set(Meeting.objects.values_list("series_id", "date"))


def _failed(file_report: FileReport, message: str, line: int) -> None:
    file_report.error = {"message": message, "line": line or 1}
    file_report.new = file_report.updated = file_report.duplicate = 0
    file_report.calls = []


def _reads_alone(plan: CallPlan, key: str, router: _SeriesRouter, many: bool) -> bool:
    """Whether the call's own text, exported as is, reads back into this same
    call in any batch: alone in its file, and parsed with nobody known but the
    people it names itself. Then it is what the call exports while unedited.

    A call of an archive (a file of several calls) is exported from its fields:
    its own lines may lean on the archive's header (title, links)."""
    call = plan.call
    if many or not call.source_text.strip():
        return False
    alone = PeopleIndex()
    learn_people([call], alone)
    replan = plan_call(call, index=alone, series=router.info(key), references=False)
    return _by_key(replan.data) == _by_key(plan.data)


def _by_key(data: CallData) -> CallData:
    """The call with each person as their key: spellings may differ by batch."""

    def key(ref: PersonRef | None) -> PersonRef | None:
        return None if ref is None else PersonRef(ref.key())

    return replace(
        data,
        mc=key(data.mc),
        next_mc=key(data.next_mc),
        attendees=[key(ref) for ref in data.attendees],
        agenda=[
            replace(item, presenters=[key(ref) for ref in item.presenters])
            for item in data.agenda
        ],
        actions=[
            replace(action, owners=[key(ref) for ref in action.owners])
            for action in data.actions
        ],
    )


def _import_file(
    parsed_file: ParsedFile,
    file_report: FileReport,
    router: _SeriesRouter,
    index: PeopleIndex,
    dates: set,
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
) -> list[int]:
    """Import one parsed file; returns the pks of the meetings it wrote."""
    for warning in parsed_file.warnings:
        file_report.warnings.append(vars(warning))
    plans = []
    for call in parsed_file.calls:
        key = router.key_for(call.title, parsed_file.name)
        plan = plan_call(call, index=index, series=router.info(key))
        plan.call_file = parsed_file.name
        plans.append((key, plan))
    many = len(plans) > 1
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
            stream = token_stream(render_call(with_standing_links(plan.data, info)))
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
            if _reads_alone(plan, key, router, many):
                plan.source_text = plan.call.source_text
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
                attendees=len(plan.data.attendees),
                agenda_items=len(plan.data.agenda),
                action_items=len(plan.data.actions),
                headings=[vars(h) for h in call.headings],
            )
        )
    writer.flush()
    return writer.written
