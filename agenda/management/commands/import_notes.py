"""manage.py import_notes PATH... --series SLUG [--split-series | --series-from-folder]
[--profile FILE] [--dry-run] [--report FILE.json]"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agenda.notes.format import DEFAULT_VOCABULARY, load_profile
from agenda.notes.importer import NotesImportError, import_notes, sources_from_paths


class Command(BaseCommand):
    help = (
        "Import markdown meeting notes (files or folders of .md files) into a "
        "series (--split-series: calls titled after another recurring call go to "
        "a series of that title; --series-from-folder: a series per folder). "
        "--dry-run shows how every heading was read. Exits 1 if any file failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Notes files or folders.")
        parser.add_argument(
            "--series",
            help="Slug of the series every call goes to (with --split-series or "
            "--series-from-folder: the series of calls no title or folder names).",
        )
        split = parser.add_mutually_exclusive_group()
        split.add_argument(
            "--split-series",
            action="store_true",
            help="Calls titled after another recurring call get a series of that "
            "title.",
        )
        split.add_argument(
            "--series-from-folder",
            action="store_true",
            help="Each folder of notes is a series, named after the folder.",
        )
        parser.add_argument(
            "--profile",
            metavar="FILE",
            help="Map headings to roles, one 'heading text: role' a line (roles: "
            "attendees, absent, agenda, notes, decisions, actions, links, recording, "
            "mc, next_mc, next_release, highlights, closing, topic, ignore).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report, then roll back."
        )
        parser.add_argument("--report", help="Also write the report as JSON here.")

    def handle(self, *args, **options):
        if not options["series"] and not options["series_from_folder"]:
            raise CommandError("--series SLUG is required (or --series-from-folder)")
        vocabulary = DEFAULT_VOCABULARY
        if options["profile"]:
            try:
                vocabulary = load_profile(Path(options["profile"]).read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"--profile: {exc}") from exc
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
                series_slug=options["series"] or "",
                dry_run=options["dry_run"],
                progress=progress,
                split_series=options["split_series"],
                series_from_folder=options["series_from_folder"],
                vocabulary=vocabulary,
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
