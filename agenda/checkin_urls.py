"""The public self check-in of a call, /calls/<series>/<date>/checkin/."""

from django.urls import path

import meetings.urls  # noqa: F401 - registers the date_key converter
from agenda.checkin import CheckInView

app_name = "checkin"
urlpatterns = [
    path(
        "calls/<slug:series>/<date_key:date_key>/checkin/",
        CheckInView.as_view(),
        name="checkin",
    ),
]
