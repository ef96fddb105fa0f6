from django.db import models
from django.db.models import Prefetch
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import DetailView, ListView

from agenda.models import ActionItem, AgendaItem
from meetings.charts import person_activity
from meetings.models import Attendance, Meeting, ReleaseTeam
from meetings.views import ForgivingPaginationMixin, keyset_page
from people.models import GITHUB_HANDLE_RE, Attendee, normalize_handle

PEOPLE_PAGE_SIZE = 100


FINALIZED = Meeting.Status.FINALIZED


def _correlated(queryset, value: models.Expression, default) -> models.Expression:
    """One value per person from `queryset` (filtered on the outer person)."""
    rows = queryset.order_by().values("attendee").annotate(v=value).values("v")
    return Coalesce(models.Subquery(rows), default)


class AttendeeListView(ForgivingPaginationMixin, ListView):
    """Everyone with a GitHub handle, with calls attended, MC turns, first call."""

    template_name = "people/attendee_list.html"
    paginate_by = PEOPLE_PAGE_SIZE
    context_object_name = "people"

    def get_queryset(self):
        attendance = Attendance.objects.filter(
            attendee=models.OuterRef("pk"), meeting__status=FINALIZED
        )
        mc_turns = (
            Meeting.objects.filter(mc=models.OuterRef("pk"), status=FINALIZED)
            .order_by()
            .values("mc")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return Attendee.objects.with_handle().annotate(
            calls_attended=_correlated(attendance, models.Count("pk"), 0),
            first_call=models.Subquery(
                attendance.order_by("meeting__date").values("meeting__date")[:1]
            ),
            mc_turns=Coalesce(models.Subquery(mc_turns), 0),
        )


CALLS_PER_PAGE = 50


class AttendeeDetailView(DetailView):
    """One person's record: calls, MC turns, items, action items, release teams."""

    template_name = "people/attendee_detail.html"
    context_object_name = "person"

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            renamed = self.renamed_person(kwargs["handle"])
            if renamed is None:
                raise
            # Not permanent: GitHub may give the old handle to someone else.
            return redirect(renamed)
        if self.object.github_handle != kwargs["handle"]:
            # Handles are case-insensitive; the stored spelling is the permalink.
            return redirect(self.object, permanent=True)
        return self.render_to_response(self.get_context_data(object=self.object))

    @staticmethod
    def renamed_person(handle: str):
        """The person who signed in with GitHub under this handle before a rename."""
        if not GITHUB_HANDLE_RE.match(normalize_handle(handle)):
            return None
        found = list(
            Attendee.objects.filter(
                github_id__isnull=False, aliases__name__iexact=normalize_handle(handle)
            ).exclude(github_handle="")[:2]
        )
        return found[0] if len(found) == 1 else None

    def get_object(self, queryset=None):
        if not GITHUB_HANDLE_RE.match(normalize_handle(self.kwargs["handle"])):
            # Not a handle at all (e.g. a NUL byte PostgreSQL refuses): no query.
            raise Http404("No person with this GitHub handle.")
        person = (
            Attendee.objects.handle_is(self.kwargs["handle"])
            .prefetch_related(
                Prefetch(
                    "mc_meetings",
                    queryset=Meeting.objects.finalized()
                    .select_related("series")
                    .order_by("-start", "-ordinal"),
                    to_attr="mc_turns",
                ),
                Prefetch(
                    "presented_items",
                    queryset=AgendaItem.objects.filter(meeting__status=FINALIZED)
                    .select_related("meeting__series")
                    .order_by("-meeting__start", "position"),
                    to_attr="items_presented",
                ),
                Prefetch(
                    "owned_action_items",
                    queryset=ActionItem.objects.filter(
                        meeting__status=FINALIZED,
                        status__in=[ActionItem.Status.OPEN, ActionItem.Status.DONE],
                    )
                    .select_related("meeting__series")
                    .order_by("-meeting__start", "position"),
                    to_attr="action_items",
                ),
                Prefetch(
                    "led_release_teams",
                    queryset=ReleaseTeam.objects.select_related("meeting__series"),
                    to_attr="teams_led",
                ),
                Prefetch(
                    "release_teams",
                    queryset=ReleaseTeam.objects.select_related("meeting__series"),
                    to_attr="teams_helped",
                ),
            )
            .first()
        )
        if person is None:
            raise Http404("No person with this GitHub handle.")
        person.open_actions = [a for a in person.action_items if a.is_open]
        person.done_actions = [a for a in person.action_items if not a.is_open]
        return person

    def get_context_data(self, **kwargs):
        # A long history (thousands of calls) is paged so the page's cost does not
        # grow with the archive.
        calls = (
            Meeting.objects.finalized()
            .filter(attendances__attendee=self.object)
            .select_related("series")
            .only("series__slug", "series__title", "title", "start", "date", "ordinal")
        )
        # Keyset pages (?older=/?newer= a call's id): a deep page costs what the
        # first does.
        page = keyset_page(calls, self.request, CALLS_PER_PAGE)
        activity = person_activity(self.object, today=timezone.localdate())
        return super().get_context_data(
            calls_joined=activity.calls_joined,
            first_call=calls.order_by("start", "pk").first(),
            activity=activity,
            keyset=page,
            page_query=page.query,
            **kwargs,
        )
