"""manage.py import_notes PATH... --series SLUG [--dry-run] [--report FILE.json]"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agenda.notes.importer import NotesImportError, import_notes, sources_from_paths


class Command(BaseCommand):
    help = (
        "Import markdown meeting notes (files or folders of .md files) into a "
        "series; calls titled after another recurring call go to a series of "
        "that title. Exits 1 if any file failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Notes files or folders.")
        parser.add_argument(
            "--series", required=True, help="Slug of the default series."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report, then roll back."
        )
        parser.add_argument("--report", help="Also write the report as JSON here.")

    def handle(self, *args, **options):
        try:
            sources = sources_from_paths(options["paths"])
        except NotesImportError as exc:
            raise CommandError(exc.message) from exc
        if not sources:
            raise CommandError("no .md files found in the given paths")
        tty = sys.stderr.isatty()

        def progress(done: int, total: int, name: str) -> None:
            if tty:
                sys.stderr.write(f"\r\x1b[K[{done}/{total}] {Path(name).name}")
                sys.stderr.flush()

        try:
            report = import_notes(
                sources=sources,
                series_slug=options["series"],
                dry_run=options["dry_run"],
                progress=progress,
            )
        except NotesImportError as exc:
            raise CommandError(exc.message) from exc
        if tty:
            sys.stderr.write("\r\x1b[K")
        for line in report.summary_lines():
            self.stdout.write(line)
        if options["report"]:
            Path(options["report"]).write_text(
                json.dumps(report.to_dict(), indent=2, default=str), "utf-8"
            )
            self.stdout.write(f"Report written to {options['report']}")
        if report.failures:
            raise CommandError(f"{report.failures} file(s) could not be imported")
