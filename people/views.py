from django.db import models
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
# The newest rows of each list on a person's page; the rest are a link away.
SHOWN_PER_LIST = 10
HISTORY_PER_PAGE = 50


def _count(queryset) -> models.Expression:
    """How many rows of `queryset` (filtered on the outer person): one subquery."""
    rows = queryset.order_by().annotate(n=models.Func("pk", function="COUNT"))
    return models.Subquery(rows.values("n")[:1], output_field=models.IntegerField())


def mc_turns_of(person):
    """The finalized calls `person` hosted, newest first."""
    return (
        Meeting.objects.finalized()
        .filter(mc=person)
        .select_related("series")
        .only("series__slug", "series__title", "title", "start", "date", "ordinal")
        .order_by("-start", "-ordinal", "-pk")
    )


def items_presented_by(person):
    """The agenda items of finalized calls `person` presented, newest first."""
    return (
        AgendaItem.objects.filter(presenters=person, meeting__status=FINALIZED)
        .select_related("meeting__series")
        .order_by("-meeting__start", "position", "pk")
    )


OPEN_FIRST = models.Case(
    models.When(status=ActionItem.Status.OPEN, then=0),
    default=1,
    output_field=models.IntegerField(),
)


def action_items_of(person):
    """The open and done action items `person` owns from finalized calls: the open
    ones first (they still matter), then newest first."""
    return (
        ActionItem.objects.filter(
            owners=person,
            meeting__status=FINALIZED,
            status__in=[ActionItem.Status.OPEN, ActionItem.Status.DONE],
        )
        .select_related("meeting__series")
        .order_by(OPEN_FIRST, "-meeting__start", "position", "pk")
    )


def release_teams_of(person):
    """The release teams `person` led or helped, newest first, each with `led`."""
    # Two index lookups united, where one OR of lead and helpers reads every team.
    # (Each part unordered: SQLite allows no ORDER BY inside a UNION.)
    led = (
        ReleaseTeam.objects.filter(lead=person)
        .order_by()
        .annotate(led=models.Value(True, output_field=models.BooleanField()))
    )
    helped = (
        ReleaseTeam.objects.filter(members=person)
        .exclude(lead=person)
        .order_by()
        .annotate(led=models.Value(False, output_field=models.BooleanField()))
    )
    return led.union(helped).order_by("-planned_date", "-version")


def person_with_totals(handle: str):
    """The person with this handle and the length of each list on their page (one
    query), or None."""
    if not GITHUB_HANDLE_RE.match(normalize_handle(handle)):
        # Not a handle at all (e.g. a NUL byte PostgreSQL refuses): no query.
        return None
    person = models.OuterRef("pk")
    owned = ActionItem.owners.through.objects.filter(
        attendee=person, actionitem__meeting__status=FINALIZED
    )
    return (
        Attendee.objects.handle_is(handle)
        .annotate(
            mc_total=_count(Meeting.objects.finalized().filter(mc=person)),
            items_total=_count(
                AgendaItem.presenters.through.objects.filter(
                    attendee=person, agendaitem__meeting__status=FINALIZED
                )
            ),
            open_total=_count(owned.filter(actionitem__status=ActionItem.Status.OPEN)),
            done_total=_count(owned.filter(actionitem__status=ActionItem.Status.DONE)),
            # Led, plus helped without leading: each by its index.
            teams_total=_count(ReleaseTeam.objects.filter(lead=person))
            + _count(
                ReleaseTeam.members.through.objects.filter(attendee=person).exclude(
                    releaseteam__lead=person
                )
            ),
        )
        .first()
    )


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
        person = person_with_totals(self.kwargs["handle"])
        if person is None:
            raise Http404("No person with this GitHub handle.")
        # The newest few of each list, a LIMIT each, so a long-time contributor's
        # page costs what a newcomer's does; the totals say how many there are.
        person.mc_turns = list(mc_turns_of(person)[:SHOWN_PER_LIST])
        person.items_presented = list(items_presented_by(person)[:SHOWN_PER_LIST])
        actions = list(action_items_of(person)[:SHOWN_PER_LIST])
        person.open_actions = [a for a in actions if a.is_open]
        person.done_actions = [a for a in actions if not a.is_open]
        person.actions_total = person.open_total + person.done_total
        person.actions_hidden = person.actions_total - len(actions)
        person.release_teams_shown = list(release_teams_of(person)[:SHOWN_PER_LIST])
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


class PersonHistoryView(ForgivingPaginationMixin, ListView):
    """One whole list of a person's page (MC turns, items, ...), paged."""

    paginate_by = HISTORY_PER_PAGE
    context_object_name = "rows"
    # Set by each subclass: the rows (a function of the person) and the heading.
    rows_of = None
    heading = ""

    def get(self, request, *args, **kwargs):
        self.person = person_with_totals(kwargs["handle"])
        if self.person is None:
            raise Http404("No person with this GitHub handle.")
        if self.person.github_handle != kwargs["handle"]:
            # As the person's page: the stored spelling is the permalink.
            return redirect(
                request.resolver_match.view_name,
                handle=self.person.github_handle,
                permanent=True,
            )
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return self.rows_of(self.person)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            person=self.person, heading=self.heading, **kwargs
        )


class MCTurnsView(PersonHistoryView):
    template_name = "people/mc_turns.html"
    rows_of = staticmethod(mc_turns_of)
    heading = "MC turns"


class ItemsPresentedView(PersonHistoryView):
    template_name = "people/items_presented.html"
    rows_of = staticmethod(items_presented_by)
    heading = "Agenda items presented"


class ActionItemsView(PersonHistoryView):
    template_name = "people/action_items.html"
    rows_of = staticmethod(action_items_of)
    heading = "Action items"


class ReleaseTeamsView(PersonHistoryView):
    template_name = "people/release_teams.html"
    rows_of = staticmethod(release_teams_of)
    heading = "Release teams"
