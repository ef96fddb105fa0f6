from django.urls import path

from pagecache.caching import public_page
from people import views

app_name = "people"
urlpatterns = [
    path("", public_page(views.AttendeeListView.as_view()), name="list"),
    path(
        "<str:handle>/",
        public_page(views.AttendeeDetailView.as_view(), query=("older", "newer")),
        name="detail",
    ),
    # The whole of each list the person's page shows the newest of.
    path(
        "<str:handle>/mc-turns/",
        public_page(views.MCTurnsView.as_view()),
        name="mc-turns",
    ),
    path(
        "<str:handle>/items/",
        public_page(views.ItemsPresentedView.as_view()),
        name="items",
    ),
    path(
        "<str:handle>/actions/",
        public_page(views.ActionItemsView.as_view()),
        name="actions",
    ),
    path(
        "<str:handle>/release-teams/",
        public_page(views.ReleaseTeamsView.as_view()),
        name="release-teams",
    ),
]
