"""The markdown of a finalized call, for download: /calls/<series>/<date>.md

The same exporter as `manage.py export_notes`, so what people download is what
the community's notes repository would hold. Drafts, scheduled and cancelled
calls are not published: 404.
"""

from django.http import Http404, HttpResponse
from django.views import View

from agenda.notes.exporter import meetings_for_export, render_meeting
from meetings.models import Meeting


class MeetingMarkdownView(View):
    """One finalized call as markdown."""

    def get(self, request, series, date_key):
        meeting = (
            meetings_for_export(
                Meeting.objects.finalized().for_series(series).on_date_key(date_key)
            )
            .order_by()
            .first()
        )
        if meeting is None:
            raise Http404("No finalized call of this series on this date.")
        response = HttpResponse(
            render_meeting(meeting), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = f'inline; filename="{series}-{date_key}.md"'
        return response
