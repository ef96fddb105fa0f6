"""The notebook of a call, for its MC, note-takers and Maintainers."""

from django.urls import path

import meetings.urls  # noqa: F401 - registers the date_key converter
from agenda.notebook.views import FollowView, NotebookView

app_name = "notebook"
urlpatterns = [
    path(
        "calls/<slug:series>/<date_key:date_key>/notebook/",
        NotebookView.as_view(),
        name="notebook",
    ),
    path(
        "calls/<slug:series>/<date_key:date_key>/live/",
        FollowView.as_view(),
        name="follow",
    ),
]
