from django.urls import path

import meetings.urls  # noqa: F401 - registers the date_key path converter
from agenda.download import MeetingMarkdownView

app_name = "notes"
urlpatterns = [
    path(
        "calls/<slug:series>/<date_key:date_key>.md",
        MeetingMarkdownView.as_view(),
        name="meeting_markdown",
    ),
]
