from django.core.management.base import BaseCommand

from agenda.services import refresh_stored_html
from meetings.markdown import RENDERER_VERSION
from meetings.models import Meeting


class Command(BaseCommand):
    help = (
        "Render and store the HTML of every call's texts whose stored HTML is "
        "stale (run after a renderer upgrade or a bulk import; pages also do it "
        "lazily for the rows they show)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--series", help="Only the calls of this series (its slug)."
        )

    def handle(self, *args, **options):
        meetings = Meeting.objects.all()
        if options["series"]:
            meetings = meetings.for_series(options["series"])
        changed = refresh_stored_html(meetings=meetings)
        self.stdout.write(
            f"Rendered {changed} stale row{'s' if changed != 1 else ''} again "
            f"(renderer version {RENDERER_VERSION})."
        )
