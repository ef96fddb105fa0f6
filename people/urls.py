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
]
