from django.urls import path, register_converter

from meetings import feeds, views


class DateKeyConverter:
    """A meeting's date in a URL: 2020-09-16, or 2020-09-16-2 for a second call."""

    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:-[0-9]{1,2})?"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(DateKeyConverter, "date_key")

app_name = "meetings"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("calls.ics", feeds.calendar, name="calendar"),
    path("calls/", views.ArchiveView.as_view(), name="archive"),
    path("calls/<slug:series>.ics", feeds.calendar, name="series_calendar"),
    path("calls/<slug:series>/", views.SeriesView.as_view(), name="series"),
    path(
        "calls/<slug:series>/<date_key:date_key>/",
        views.MeetingDetailView.as_view(),
        name="detail",
    ),
    path("releases/", views.ReleaseTeamListView.as_view(), name="releases"),
    path("search/", views.SearchView.as_view(), name="search"),
    path(
        "refs/<str:owner>/<str:repo>/<int:number>/",
        views.GitHubReferenceView.as_view(),
        name="ref",
    ),
    path("feeds/notes/", feeds.LatestNotesFeed(), name="notes_feed"),
]
