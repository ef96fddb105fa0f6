"""manage.py export_notes --series SLUG --out DIR [--per-call | --archive NAME]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agenda.notes.exporter import export_series
from meetings.models import MeetingSeries


class Command(BaseCommand):
    help = (
        "Write a series' finalized (and cancelled) calls as markdown: one "
        "YYYY-MM-DD.md file per call (default) or one archive, newest first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--series", required=True, help="Slug of the series.")
        parser.add_argument("--out", required=True, help="Folder to write into.")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--per-call", action="store_true", help="One file per call (default)."
        )
        mode.add_argument("--archive", metavar="NAME", help="One archive file.")

    def handle(self, *args, **options):
        series = MeetingSeries.objects.filter(slug=options["series"]).first()
        if series is None:
            raise CommandError(f"no series with the slug {options['series']!r}")
        written = export_series(
            series=series,
            out_dir=Path(options["out"]),
            archive=options["archive"] or "",
        )
        self.stdout.write(
            f"{len(written)} file(s) written to {options['out']} for {series.title}"
        )
