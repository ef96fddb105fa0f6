"""manage.py corpus_check DIR: import a notes folder and prove nothing was lost.

Imports every .md file in DIR, checks that every source line is found in the
export of its meeting (lossless), exports everything and imports the export into
an emptied database (round trip, rolled back), prints the figures and ends with

    corpus-check: files=F calls=C meetings=M failures=N roundtrip=ok|FAIL
    lossless=ok|FAIL seconds=S  (on one line)

Exits non-zero unless there are no failures and both checks are ok.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from agenda.models import ActionItem, AgendaItem
from agenda.notes.check import lossless_failures, round_trip
from agenda.notes.importer import NotesImportError, import_notes, sources_from_paths
from meetings.models import Attendance, GitHubReference, Meeting, ReleaseTeam


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
        report = import_notes(sources=sources, series_slug=options["series"])
        seconds = report.seconds
        show = options["show"]
        for file_report in report.files:
            if file_report.failed:
                error = file_report.error
                self.stdout.write(
                    f"FAILED {file_report.file}:{error['line']}: {error['message']}"
                )

        lossless = lossless_failures(report, sources)
        for file, number, text in lossless.missing[:show]:
            self.stdout.write(f"LOST {file}:{number}: {text.strip()[:120]}")
        diffs, _after = round_trip(default_series=options["series"], limit=max(show, 1))
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
