from django.urls import path, register_converter

from meetings import feeds, views
from pagecache.caching import public_page


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
    # Home and a call's page show what is on now: kept per stamp and minute.
    # Home reads no query parameter: /?anything is the same page, and kept once.
    path("", public_page(views.HomeView.as_view(), clock=True, query=()), name="home"),
    path("community.css", views.community_css, name="community_css"),
    path(
        "calls.ics",
        # Lists upcoming calls, which move relative to today.
        public_page(feeds.calendar, refresh_seconds=300),
        name="calendar",
    ),
    path(
        "calls/",
        public_page(
            views.ArchiveView.as_view(), query=("older", "newer", "series", "year")
        ),
        name="archive",
    ),
    path(
        "calls/<slug:series>/",
        # Lists scheduled calls too, which may be shown relative to today.
        public_page(views.SeriesView.as_view(), refresh_seconds=300),
        name="series",
    ),
    path(
        "calls/<slug:series>.ics",
        public_page(feeds.calendar, refresh_seconds=300),
        name="series_calendar",
    ),
    path(
        "calls/<slug:series>/<date_key:date_key>/",
        public_page(
            views.MeetingDetailView.as_view(), clock=True, query=("proposals",)
        ),
        name="detail",
    ),
    path(
        "calls/<slug:series>/<date_key:date_key>/checkin/",
        views.CheckInView.as_view(),
        name="checkin",
    ),
    path(
        "releases/", public_page(views.ReleaseTeamListView.as_view()), name="releases"
    ),
    path("search/", views.SearchView.as_view(), name="search"),
    path(
        "refs/",
        public_page(views.ReferencesView.as_view(), query=("until",)),
        name="refs",
    ),
    path(
        "refs/<str:owner>/<str:repo>/<int:number>/",
        public_page(views.GitHubReferenceView.as_view()),
        name="ref",
    ),
    path("feeds/notes/", public_page(feeds.LatestNotesFeed()), name="notes_feed"),
]
