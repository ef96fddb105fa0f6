from django.urls import path

from agenda import views

# Importing meetings.urls registers the date_key converter used below.
from meetings.urls import DateKeyConverter  # noqa: F401

app_name = "agenda"
urlpatterns = [
    path(
        "calls/<slug:series>/<date_key:date_key>/propose/",
        views.ProposeView.as_view(),
        name="propose",
    ),
    path("proposals/mine/", views.MyProposalsView.as_view(), name="my_proposals"),
    path("proposals/<str:token>/", views.ProposalView.as_view(), name="proposal"),
    path(
        "proposals/<str:token>/withdraw/",
        views.withdraw_proposal,
        name="withdraw",
    ),
    path(
        "calls/<slug:series>/<date_key:date_key>.md",
        views.MeetingMarkdownView.as_view(),
        name="meeting_markdown",
    ),
    path("actions/", views.ActionItemListView.as_view(), name="actions"),
    path(
        "calls/<slug:series>/<date_key:date_key>/notebook/",
        views.NotebookView.as_view(),
        name="notebook",
    ),
    path(
        "calls/<slug:series>/<date_key:date_key>/live/",
        views.FollowView.as_view(),
        name="notebook_follow",
    ),
]
