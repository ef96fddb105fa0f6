"""manage.py corpus_check DIR: import a notes folder and prove nothing was lost.

Imports every .md file in DIR (but a corpus's own SOURCE.md and README.md at its
top), checks that every source line is found in the export of its meeting
(lossless), exports everything and imports the export into an emptied database
(round trip, rolled back), compares each file with what its calls export while
unedited (byte for byte, or one of the documented exceptions), prints the
figures and ends with

    corpus-check: files=F calls=C meetings=M failures=N roundtrip=ok|FAIL
    lossless=ok|FAIL seconds=S  (on one line)

Exits non-zero unless there are no failures and both checks are ok.
"""

import time
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from agenda.models import ActionItem, AgendaItem
from agenda.notes.check import (
    compare_exports,
    lossless_failures,
    round_trip,
)
from agenda.notes.format import DEFAULT_VOCABULARY, load_profile
from agenda.notes.importer import (
    NotesImportError,
    folder_of,
    import_notes,
    sources_from_paths,
)
from agenda.notes.parser import decode_notes, filename_date, front_matter
from meetings.models import (
    Attendance,
    GitHubReference,
    Meeting,
    MeetingSeries,
    ReleaseTeam,
)

# A corpus folder's own description, not meeting notes.
CORPUS_DOCS = {"source.md", "readme.md"}


class Command(BaseCommand):
    help = "Import a folder of notes, then check losslessness and the round trip."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="A folder of .md meeting notes.")
        parser.add_argument(
            "--series", default="community", help="Default series slug."
        )
        parser.add_argument(
            "--show", type=int, default=15, help="Examples of problems to print."
        )
        parser.add_argument(
            "--mode",
            choices=["auto", "one", "split", "folder"],
            default="auto",
            help="Series: one, one per recurring title, or one per folder "
            "(auto: per folder when the notes sit in several folders, else by title).",
        )
        parser.add_argument(
            "--profile", help="A community's heading mapping ('heading: role' lines)."
        )

    def handle(self, *args, **options):
        folder = Path(options["folder"])
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        if Meeting.objects.exists():
            raise CommandError(
                "the database already has meetings: run this on an empty database "
                "(make corpus-check uses a throwaway PostgreSQL)"
            )
        started = time.perf_counter()
        try:
            sources = sources_from_paths([folder])
        except NotesImportError as exc:
            raise CommandError(exc.message) from exc
        top = folder.resolve().name
        sources = [
            (name, data)
            for name, data in sources
            if not (
                name.count("/") == 1
                and name.startswith(f"{top}/")
                and name.rsplit("/", 1)[-1].lower() in CORPUS_DOCS
            )
        ]
        vocabulary = DEFAULT_VOCABULARY
        if options["profile"]:
            try:
                vocabulary = load_profile(Path(options["profile"]).read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
        mode = options["mode"]
        if mode == "auto":
            folders = {folder_of(name) for name, _data in sources}
            mode = "folder" if len(folders) > 1 else "split"
        modes = {
            "split_series": mode == "split",
            "series_from_folder": mode == "folder",
        }
        # How many series each choice makes, before the real import.
        series_counts = {}
        for name, flags in (
            ("--series", {}),
            ("--series-from-folder", {"series_from_folder": True}),
        ):
            dry = import_notes(
                sources=sources,
                series_slug=options["series"],
                dry_run=True,
                vocabulary=vocabulary,
                **flags,
            )
            series_counts[name] = len(dry.series)
        report = import_notes(
            sources=sources,
            series_slug=options["series"],
            vocabulary=vocabulary,
            **modes,
        )
        seconds = report.seconds
        show = options["show"]
        for file_report in report.files:
            if file_report.failed:
                error = file_report.error
                self.stdout.write(
                    f"FAILED {file_report.file}:{error['line']}: {error['message']}"
                )

        lossless = lossless_failures(report, sources, vocabulary)
        for file, number, text in lossless.missing[:show]:
            self.stdout.write(f"LOST {file}:{number}: {text.strip()[:120]}")
        exports = compare_exports(report, sources)
        for file in exports.undocumented[:show]:
            self.stdout.write(f"EXPORT {file}: differs from its source")
        layout = _layout_figures(report, sources)
        diffs, _after = round_trip(
            default_series=options["series"],
            limit=max(show, 1),
            vocabulary=vocabulary,
            **modes,
        )
        for diff in diffs[:show]:
            self.stdout.write(f"ROUNDTRIP {diff}")

        meetings = Meeting.objects.all()
        items = AgendaItem.objects.filter(meeting__isnull=False)
        handles = (
            Attendance.objects.exclude(attendee__github_handle="")
            .values("attendee__github_handle")
            .distinct()
            .count()
        )
        kinds = report.warnings_by_kind()
        figures = [
            ("files", len(report.files)),
            ("calls", report.total("calls_found")),
            (
                "new / updated / duplicate",
                f"{report.total('new')} / "
                f"{report.total('updated')} / {report.total('duplicate')}",
            ),
            ("distinct meetings", meetings.count()),
            ("series", ", ".join(report.series)),
            ("cancelled", meetings.filter(status=Meeting.Status.CANCELLED).count()),
            ("meetings with an MC", meetings.filter(mc__isnull=False).count()),
            ("attendee entries", Attendance.objects.count()),
            ("distinct handles", handles),
            ("agenda items", items.count()),
            (
                "items with a resolved presenter",
                items.annotate(n=Count("presenters")).filter(n__gt=0).count(),
            ),
            (
                "action items (open+done / suggested)",
                f"{ActionItem.objects.filter(~Q(status='suggested')).count()} / "
                f"{ActionItem.objects.filter(status='suggested').count()}",
            ),
            ("release teams", ReleaseTeam.objects.count()),
            ("GitHub references", GitHubReference.objects.count()),
            ("warnings", sum(kinds.values())),
            (
                "warnings by kind",
                ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())),
            ),
            ("series mode", mode),
            ("series with --series", series_counts["--series"]),
            ("series with --series-from-folder", series_counts["--series-from-folder"]),
            *layout,
            (
                "export: byte-identical files",
                f"{exports.identical} (calls: {exports.calls_identical} of "
                f"{exports.calls})",
            ),
            (
                "export: documented-difference files",
                f"{sum(exports.documented.values())} ("
                + ", ".join(f"{k}={v}" for k, v in sorted(exports.documented.items()))
                + ")",
            ),
            ("export: undocumented differences", len(exports.undocumented)),
            ("lines checked for loss", lossless.lines_checked),
            ("lines lost", len(lossless.missing)),
            ("round-trip differences", len(diffs)),
            ("failures", report.failures),
            ("import seconds", f"{seconds:.2f}"),
            ("total seconds", f"{time.perf_counter() - started:.2f}"),
        ]
        for name, value in figures:
            self.stdout.write(f"{name:>38}: {value}")
        ok = report.failures == 0 and lossless.ok and not diffs
        self.stdout.write(
            f"corpus-check: files={len(report.files)} "
            f"calls={report.total('calls_found')} meetings={meetings.count()} "
            f"failures={report.failures} roundtrip={'ok' if not diffs else 'FAIL'} "
            f"lossless={'ok' if lossless.ok else 'FAIL'} seconds={seconds:.2f}"
        )
        if not ok:
            raise SystemExit(1)


def _layout_figures(report, sources) -> list[tuple[str, object]]:
    """How the importer read the layout: dates, front matter, people, topics."""
    by_name = dict(sources)
    named = dated_right = fronted = split_by_front = 0
    misdated: list[str] = []
    for file_report in report.files:
        if file_report.failed:
            continue
        text = decode_notes(by_name[file_report.file], name=file_report.file)
        if front_matter(text.split("\n")) is not None:
            fronted += 1
            split_by_front += file_report.calls_found > 1
        day = filename_date(file_report.file)
        if day is None or file_report.calls_found != 1:
            continue
        named += 1
        if file_report.calls[0].date_key.startswith(day.isoformat()):
            dated_right += 1
        else:
            misdated.append(
                f"{file_report.file.rsplit('/', 1)[-1]} -> "
                f"{file_report.calls[0].date_key}"
            )
    headings = Counter(
        h["role"] for f in report.files for c in f.calls for h in c.headings
    )
    topic_calls = [
        c
        for f in report.files
        for c in f.calls
        if any(h["role"] == "topic" for h in c.headings)
    ]
    one_per_topic = sum(
        1
        for c in topic_calls
        if c.agenda_items >= sum(h["role"] == "topic" for h in c.headings)
    )
    meetings = Meeting.objects.all()
    with_attendees = meetings.filter(attendances__isnull=False).distinct().count()
    roles = ", ".join(f"{k}={v}" for k, v in sorted(headings.items()))
    return [
        ("files with front matter", fronted),
        ("  of them split into several calls", split_by_front),
        (
            "one-call files dated as their name says",
            f"{dated_right} of {named}"
            + (f" (not: {', '.join(misdated[:5])})" if misdated else ""),
        ),
        ("series made", MeetingSeries.objects.count()),
        ("meetings with attendees", with_attendees),
        ("headings by role", roles),
        ("calls organised by topic sections", len(topic_calls)),
        ("  with one agenda item per topic section", one_per_topic),
        (
            "unknown headings (no profile names them)",
            sum(report.unknown_headings().values()),
        ),
    ]
