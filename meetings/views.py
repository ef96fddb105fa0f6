from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, ListView, TemplateView
from markdownx.views import MarkdownifyView

from meetings.models import (
    Attendance,
    GitHubReference,
    Meeting,
    MeetingSeries,
    ReleaseTeam,
)

ARCHIVE_PAGE_SIZE = 50


class MarkdownPreviewView(UserPassesTestMixin, MarkdownifyView):
    """markdownx's live preview, for staff only, through the sanitizing renderer."""

    raise_exception = True

    def test_func(self):
        return self.request.user.is_active and self.request.user.is_staff


@require_POST
def markdown_upload_disabled(request):
    raise PermissionDenied("Image uploads are turned off on this site.")


class HomeView(TemplateView):
    template_name = "meetings/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next_meetings"] = Meeting.objects.next_per_series().select_related(
            "series", "mc"
        )
        context["latest_finalized"] = (
            Meeting.objects.finalized()
            .select_related("series", "mc")
            .order_by("-start")[:5]
        )
        return context


class ArchiveView(ListView):
    template_name = "meetings/meeting_archive.html"
    paginate_by = ARCHIVE_PAGE_SIZE

    def get_queryset(self):
        return (
            Meeting.objects.finalized()
            .select_related("series", "mc")
            .with_counts()
            .order_by("-start", "-ordinal")
        )


class SeriesView(ListView):
    template_name = "meetings/meetingseries_detail.html"
    paginate_by = ARCHIVE_PAGE_SIZE

    def get_queryset(self):
        self.series = get_object_or_404(MeetingSeries, slug=self.kwargs["series"])
        return (
            self.series.meetings.select_related("series", "mc")
            .with_counts()
            .order_by("-start", "-ordinal")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(series=self.series, **kwargs)


class MeetingDetailView(DetailView):
    template_name = "meetings/meeting_detail.html"

    def get_object(self, queryset=None):
        meeting = (
            Meeting.objects.for_series(self.kwargs["series"])
            .on_date_key(self.kwargs["date_key"])
            .select_related("series", "mc", "next_mc")
            .prefetch_related(
                Prefetch(
                    "attendances",
                    queryset=Attendance.objects.select_related("attendee"),
                ),
                "agenda_items__presenters",
                "action_items__owners",
                "release_teams__lead",
                "release_teams__members",
            )
            .first()
        )
        if meeting is None:
            raise Http404("No call of this series on this date.")
        return meeting

    def get_context_data(self, **kwargs):
        meeting = self.object
        user = self.request.user
        return super().get_context_data(
            show_notes=meeting.notes_are_public() or (user.is_active and user.is_staff),
            now=timezone.now(),
            **kwargs,
        )


class ReleaseTeamListView(ListView):
    template_name = "meetings/releaseteam_list.html"
    paginate_by = ARCHIVE_PAGE_SIZE

    def get_queryset(self):
        return ReleaseTeam.objects.select_related(
            "lead", "meeting__series"
        ).prefetch_related("members")


class GitHubReferenceView(ListView):
    template_name = "meetings/githubreference_list.html"
    paginate_by = ARCHIVE_PAGE_SIZE

    def get_queryset(self):
        return (
            Meeting.objects.finalized()
            .filter(
                github_refs__owner__iexact=self.kwargs["owner"],
                github_refs__repo__iexact=self.kwargs["repo"],
                github_refs__number=self.kwargs["number"],
            )
            .select_related("series", "mc")
            .distinct()
            .order_by("-start")
        )

    def get_context_data(self, **kwargs):
        ref = GitHubReference(
            owner=self.kwargs["owner"],
            repo=self.kwargs["repo"],
            number=self.kwargs["number"],
        )
        return super().get_context_data(ref=ref, **kwargs)
