from django.core.management.base import BaseCommand

from agenda.services import refresh_stored_html
from meetings.markdown import RENDERER_VERSION
from meetings.models import Meeting
from meetings.views import publish_notes


class Command(BaseCommand):
    help = (
        "Render and store the HTML of every call's texts whose stored HTML is "
        "stale, and the notes of every finalized call not stored yet (run after "
        "a renderer upgrade, a deploy or a bulk import; pages also do it lazily "
        "for the rows they show)."
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
        published = publish_notes(meetings)
        self.stdout.write(
            f"Stored the notes of {published} finalized "
            f"call{'s' if published != 1 else ''}."
        )
