import re
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import (
    DisallowedHost,
    PermissionDenied,
    RequestDataTooBig,
)
from django.db.models import Count, F, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, FormView, ListView, TemplateView
from markdownx.views import MarkdownifyView

from agenda.models import ActionItem, AgendaItem
from agenda.notebook.consumers import broadcast
from meetings import charts
from meetings.forms import ArchiveFilterForm, CheckInForm, SearchForm
from meetings.markdown import GITHUB_REPO_RE
from meetings.models import (
    Attendance,
    GitHubReference,
    Meeting,
    MeetingSeries,
    ReleaseTeam,
)
from meetings.services import (
    CheckInRefused,
    check_in,
    check_in_refusal,
    check_in_signed_in,
    check_in_window,
)
from people.models import Attendee
from ratelimits.services import client_address, take

ARCHIVE_PAGE_SIZE = 50
SEARCH_PAGE_SIZE = 20
LATEST_NOTES_ON_HOME = 5
# The admin's live preview renders at most this much text per request.
PREVIEW_MAX_CHARS = 100_000


def meeting_or_404(series: str, date_key: str, queryset=None) -> Meeting:
    """The call of a series on a date (2020-09-16, or 2020-09-16-2), or a 404."""
    if queryset is None:
        queryset = Meeting.objects.select_related("series")
    meeting = queryset.for_series(series).on_date_key(date_key).first()
    if meeting is None:
        raise Http404("No call of this series on this date.")
    return meeting


def agenda_prefetch():
    """A meeting's public agenda: accepted and discussed in order, then proposals."""
    return Prefetch(
        "agenda_items",
        queryset=AgendaItem.objects.on_agenda().prefetch_related("presenters"),
        to_attr="agenda",
    )


def summarize_agenda(meeting):
    """Set the requested minutes and over-booking on a meeting with `agenda`."""
    proposed = AgendaItem.Status.PROPOSED
    meeting.minutes_requested = sum(item.requested_minutes for item in meeting.agenda)
    meeting.minutes_accepted = sum(
        item.requested_minutes for item in meeting.agenda if item.status != proposed
    )
    meeting.overbooked_by = max(0, meeting.minutes_requested - meeting.length)
    return meeting


class ForgivingPaginationMixin:
    """For a ListView: a ?page= that is not a number shows page 1, one past the end
    shows the last page, so a pasted or mistyped link never makes an error page."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(
            queryset,
            page_size,
            orphans=self.get_paginate_orphans(),
            allow_empty_first_page=self.get_allow_empty(),
        )
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return (paginator, page, page.object_list, page.has_other_pages())


def lightened(colour: str, towards_white: float = 0.6) -> str:
    """A #rrggbb colour moved part of the way to white."""
    channels = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(
        f"{round(c + (255 - c) * towards_white):02x}" for c in channels
    )


def community_css(request):
    """The configured accent colour as a stylesheet: the CSP allows no inline style,
    and the colour is checked to be #rrggbb, so nothing else can get in."""
    from meetings.context_processors import community_face

    accent = community_face()["accent"]
    # The colour is checked to read on white; on the dark scheme's near-black
    # background the same colour fails contrast, so dark mode gets it lightened.
    css = (
        f":root {{ --accent: {accent}; }}\n"
        "@media (prefers-color-scheme: dark) {\n"
        f"  :root {{ --accent: {lightened(accent)}; }}\n"
        "}\n"
    )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def is_staff(user) -> bool:
    return user.is_active and user.is_staff


class MarkdownPreviewView(UserPassesTestMixin, MarkdownifyView):
    """markdownx's live preview, for staff only, through the sanitizing renderer."""

    raise_exception = True

    def test_func(self):
        return is_staff(self.request.user)

    def post(self, request, *args, **kwargs):
        # markdownx itself answers 500 without `content` and renders any size.
        content = request.POST.get("content")
        if content is None:
            return HttpResponseBadRequest(
                "Nothing to preview: send the text as `content`.",
                content_type="text/plain; charset=utf-8",
            )
        if len(content) > PREVIEW_MAX_CHARS:
            return HttpResponseBadRequest(
                f"The text is too long to preview (more than {PREVIEW_MAX_CHARS:,} "
                "characters).",
                content_type="text/plain; charset=utf-8",
            )
        return super().post(request, *args, **kwargs)


@require_POST
def markdown_upload_disabled(request):
    raise PermissionDenied("Image uploads are turned off on this site.")


def bad_request(request, exception=None):
    """The 400 page; an oversized form says so instead of a bare error."""
    if isinstance(exception, DisallowedHost):
        # The site's pages build absolute links from the host, which is the very
        # thing refused here: a plain answer, not the templated page.
        return HttpResponseBadRequest(
            "Bad request: this site does not answer to that host name.",
            content_type="text/plain; charset=utf-8",
        )
    too_big = isinstance(exception, RequestDataTooBig)
    return render(
        request,
        "400.html",
        {"too_big": too_big, "max_kib": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024},
        status=400,
    )


HOME_ACTIONS_PER_SERIES = 10


class HomeView(TemplateView):
    """The next call of each series with its agenda so far, and the latest notes."""

    template_name = "meetings/home.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        # The calls happening now come first: join, check in, their agenda.
        on_now = [
            summarize_agenda(meeting)
            for meeting in Meeting.objects.in_progress(now)
            .select_related("series", "mc")
            .prefetch_related(agenda_prefetch())
            .order_by("start", "series__title")
            if meeting.is_on(now)
        ]
        for meeting in on_now:
            meeting.check_in_open = not check_in_refusal(meeting=meeting, now=now)
        next_meetings = list(
            Meeting.objects.next_per_series(now)
            .select_related("series", "mc")
            .prefetch_related(agenda_prefetch())
            .order_by("start", "series__title")
        )
        # The first few open items of each series, due soonest first; the rest
        # are counted and linked (/actions/), so the page does not grow with them.
        series_ids = [m.series_id for m in next_meetings]
        open_in_series = ActionItem.objects.open().filter(
            meeting__series__in=series_ids,
            meeting__status=Meeting.Status.FINALIZED,
        )
        first_open = (
            open_in_series.annotate(
                row=Window(
                    RowNumber(),
                    partition_by=F("meeting__series_id"),
                    order_by=[
                        F("due_date").asc(nulls_last=True),
                        F("meeting__start").asc(),
                        F("position").asc(),
                        F("pk").asc(),
                    ],
                )
            )
            .filter(row__lte=HOME_ACTIONS_PER_SERIES)
            .select_related("meeting__series")
            .prefetch_related("owners")
            .order_by(
                F("due_date").asc(nulls_last=True), "meeting__start", "position", "pk"
            )
        )
        open_counts = dict(
            open_in_series.order_by()
            .values_list("meeting__series_id")
            .annotate(n=Count("pk"))
        )
        by_series = {}
        for action in first_open:
            by_series.setdefault(action.meeting.series_id, []).append(action)
        for meeting in next_meetings:
            summarize_agenda(meeting)
            meeting.open_actions = by_series.get(meeting.series_id, [])
            meeting.more_open_actions = open_counts.get(meeting.series_id, 0) - len(
                meeting.open_actions
            )
        latest = (
            Meeting.objects.finalized()
            .select_related("series", "mc")
            .order_by("-start", "-ordinal")[:LATEST_NOTES_ON_HOME]
        )
        scheduled_series = {meeting.series_id for meeting in next_meetings}
        for meeting in on_now:
            # Where the next call is not scheduled yet (it is, once these notes
            # are finalized), say when it will be.
            if meeting.series_id not in scheduled_series:
                meeting.next_regular_start = meeting.series.start_following(
                    meeting.start
                )
        return super().get_context_data(
            on_now=on_now,
            next_meetings=next_meetings,
            latest_finalized=latest,
            now=now,
            is_staff=is_staff(self.request.user),
            **kwargs,
        )


class ArchiveView(ForgivingPaginationMixin, ListView):
    """Finalized notes, newest first, grouped by year; filter by series and year."""

    template_name = "meetings/meeting_archive.html"
    paginate_by = ARCHIVE_PAGE_SIZE
    context_object_name = "meetings"

    def get_queryset(self):
        series = list(MeetingSeries.objects.values_list("slug", "title"))
        meetings = Meeting.objects.finalized()
        series_filter = self.request.GET.get("series")
        if series_filter in {slug for slug, _title in series}:
            meetings = meetings.for_series(series_filter)
        years = [day.year for day in meetings.dates("date", "year", order="DESC")]
        self.filters = ArchiveFilterForm(
            self.request.GET, series_choices=series, years=years
        )
        year = self.filters.value("year")
        if year:
            meetings = meetings.filter(date__year=year)
        self.years = years
        return (
            meetings.select_related("series", "mc")
            .with_counts()
            .order_by("-start", "-ordinal")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filters=self.filters,
            years=self.years,
            page_query=self.filters_query(),
            **kwargs,
        )

    def filters_query(self) -> str:
        """The active filters as a query string for the pagination links."""
        params = self.request.GET.copy()
        params.pop("page", None)
        for name in list(params):
            if name not in {"series", "year"} or not self.filters.value(name):
                params.pop(name)
        return params.urlencode()


class SeriesView(ForgivingPaginationMixin, ListView):
    """One series: what it is, when it meets, its next call and its calls."""

    template_name = "meetings/meetingseries_detail.html"
    paginate_by = ARCHIVE_PAGE_SIZE
    context_object_name = "meetings"

    def get_queryset(self):
        self.series = get_object_or_404(MeetingSeries, slug=self.kwargs["series"])
        return (
            self.series.meetings.exclude(
                status=Meeting.Status.SCHEDULED, start__gte=timezone.now()
            )
            .select_related("series", "mc")
            .with_counts()
            .order_by("-start", "-ordinal")
        )

    def get_context_data(self, **kwargs):
        upcoming = (
            self.series.meetings.scheduled()
            .upcoming()
            .select_related("series", "mc")[:5]
        )
        context = super().get_context_data(
            series=self.series, upcoming=upcoming, **kwargs
        )
        if context["page_obj"].number == 1:
            context.update(series_pictures(self.series))
        return context


def series_pictures(series) -> dict:
    """The series page's charts: attendance, newcomers, MC rota, minutes (3 queries)."""
    calls = charts.series_calls(series)
    recent = [call.pk for call in calls[-charts.MINUTES_CALLS :]]
    attendance = charts.series_attendance(calls, charts.joined_by_call(series))
    return {
        "attendance": attendance,
        "rota_chart": charts.mc_rota(series, calls),
        "minutes_chart": charts.minutes_booked(
            series,
            calls,
            AgendaItem.objects.filter(meeting__in=recent).booked_minutes(),
        ),
    }


class MeetingDetailView(DetailView):
    """A call's permalink: the agenda before it, the notes once finalized."""

    template_name = "meetings/meeting_detail.html"
    context_object_name = "meeting"

    def get_object(self, queryset=None):
        meeting = meeting_or_404(
            self.kwargs["series"],
            self.kwargs["date_key"],
            Meeting.objects.select_related("series", "mc", "next_mc").prefetch_related(
                Prefetch(
                    "attendances",
                    queryset=Attendance.objects.select_related("attendee"),
                ),
                agenda_prefetch(),
                Prefetch(
                    "action_items",
                    queryset=ActionItem.objects.exclude(
                        status=ActionItem.Status.SUGGESTED
                    ).prefetch_related("owners"),
                ),
                Prefetch(
                    "release_teams",
                    queryset=ReleaseTeam.objects.select_related(
                        "lead"
                    ).prefetch_related("members"),
                ),
            ),
        )
        return summarize_agenda(meeting)

    def get_context_data(self, **kwargs):
        meeting = self.object
        now = timezone.now()
        draft = meeting.status == Meeting.Status.HELD
        in_series = Meeting.objects.filter(series=meeting.series_id).select_related(
            "series"
        )
        earlier = in_series.filter(
            Q(start__lt=meeting.start)
            | Q(start=meeting.start, ordinal__lt=meeting.ordinal)
        )
        later = in_series.filter(
            Q(start__gt=meeting.start)
            | Q(start=meeting.start, ordinal__gt=meeting.ordinal)
        )
        carried_over = []
        if meeting.status == Meeting.Status.SCHEDULED:
            # Open items from earlier calls, which the coming call will go through.
            carried_over = (
                ActionItem.objects.carried_over_to(meeting)
                .open()
                .select_related("meeting__series")
                .prefetch_related("owners")
                .order_by("meeting__start", "position", "pk")
            )
        return super().get_context_data(
            is_on=meeting.is_on(now),
            carried_over=carried_over,
            check_in_open=not check_in_refusal(meeting=meeting, now=now),
            show_notes=meeting.notes_are_public()
            or (draft and is_staff(self.request.user)),
            is_draft=draft,
            proposals_open=meeting.proposals_open(now),
            previous_meeting=earlier.order_by("-start", "-ordinal").first(),
            next_meeting=later.order_by("start", "ordinal").first(),
            now=now,
            **kwargs,
        )


def meeting_is_finalized(request, *, series: str, date_key: str, **kwargs) -> bool:
    """For the page cache: only finalized notes are frozen; other meeting pages
    depend on the clock."""
    return Meeting.objects.for_series(series).on_date_key(date_key).finalized().exists()


def release_sort_key(team):
    """Order versions as numbers where they are numbers: 1.10.0 after 1.9.0."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"[.\-+]", team.version.lower())
    ]


class ReleaseTeamListView(ForgivingPaginationMixin, ListView):
    """Release teams by version, newest first: lead, helpers, dates, where formed."""

    template_name = "meetings/releaseteam_list.html"
    paginate_by = ARCHIVE_PAGE_SIZE
    context_object_name = "teams"

    def get_queryset(self):
        teams = ReleaseTeam.objects.select_related(
            "lead", "meeting__series"
        ).prefetch_related("members")
        # Release teams number in the tens; a version sort needs them all in hand.
        return sorted(teams, key=release_sort_key, reverse=True)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            timeline=charts.release_timeline(self.object_list), **kwargs
        )


class SearchView(ForgivingPaginationMixin, ListView):
    """Full-text search over finalized notes."""

    template_name = "meetings/search.html"
    paginate_by = SEARCH_PAGE_SIZE
    context_object_name = "results"

    def get_queryset(self):
        self.form = SearchForm(self.request.GET or None)
        self.query = ""
        if self.form.is_bound and self.form.is_valid():
            self.query = self.form.cleaned_data["q"]
        if not self.query:
            return Meeting.objects.none()
        return Meeting.objects.search(self.query).select_related("series", "mc")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            form=self.form,
            query=self.query,
            page_query=urlencode({"q": self.query}) if self.query else "",
            **kwargs,
        )


class GitHubReferenceView(ForgivingPaginationMixin, ListView):
    """Every finalized call that discussed one issue or pull request."""

    template_name = "meetings/githubreference_list.html"
    paginate_by = ARCHIVE_PAGE_SIZE
    context_object_name = "meetings"

    def get_queryset(self):
        repo = f"{self.kwargs['owner']}/{self.kwargs['repo']}"
        if not GITHUB_REPO_RE.match(repo):
            raise Http404("Not a GitHub repository name.")
        return (
            Meeting.objects.finalized()
            .filter(
                github_refs__owner__iexact=self.kwargs["owner"],
                github_refs__repo__iexact=self.kwargs["repo"],
                github_refs__number=self.kwargs["number"],
            )
            .select_related("series", "mc")
            .distinct()
            .order_by("-start", "-ordinal")
        )

    def get_context_data(self, **kwargs):
        ref = GitHubReference(
            owner=self.kwargs["owner"],
            repo=self.kwargs["repo"],
            number=self.kwargs["number"],
        )
        return super().get_context_data(ref=ref, **kwargs)


class ReferencesView(TemplateView):
    """The repositories and issues the finalized notes discuss most, per quarter."""

    template_name = "meetings/references.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            chart=charts.references_per_quarter(),
            most_discussed=charts.most_discussed(),
            **kwargs,
        )


# Per client address and call: a whole call behind one address (an office, or a
# proxy that does not pass the client's address on) still fits, a script does not.
CHECK_INS_PER_ADDRESS = 60
CHECK_IN_PERIOD_SECONDS = 600
TOO_MANY = (
    "Too many check-ins from your network for this call. Try again in a few "
    "minutes, or ask the MC to add you."
)


class CheckInView(FormView):
    """The public "I'm here" link of a call: people say they joined.

    Open only while the call is on (start to 30 minutes after its scheduled end). A
    person signed in with GitHub checks in with one click: the check-in is verified
    and they are listed as joined at once. Anyone else types a GitHub handle, which
    records an unverified check-in for the MC to confirm (anyone can type any
    handle). Checking in twice is harmless, and a per-client limit keeps a script
    from filling the list.
    """

    template_name = "meetings/checkin.html"
    form_class = CheckInForm

    def dispatch(self, request, *args, **kwargs):
        self.meeting = meeting_or_404(kwargs["series"], kwargs["date_key"])
        return super().dispatch(request, *args, **kwargs)

    def signed_in_person(self):
        user = self.request.user
        if not user.is_authenticated:
            return None
        return Attendee.objects.filter(user=user).exclude(github_handle="").first()

    def get_context_data(self, **kwargs):
        opens, closes = check_in_window(self.meeting)
        return super().get_context_data(
            meeting=self.meeting,
            person=self.signed_in_person(),
            refusal=check_in_refusal(meeting=self.meeting),
            opens=self.meeting.format_moment(opens),
            closes=self.meeting.format_moment(closes),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        refusal = check_in_refusal(meeting=self.meeting)
        if refusal:
            return self.render_to_response(self.get_context_data(), status=403)
        if not self.within_limit():
            response = self.render_to_response(
                self.get_context_data(too_many=TOO_MANY), status=429
            )
            response["Retry-After"] = str(CHECK_IN_PERIOD_SECONDS)
            return response
        if "one_click" in request.POST:
            return self.one_click()
        return super().post(request, *args, **kwargs)

    def one_click(self):
        try:
            result = check_in_signed_in(meeting=self.meeting, user=self.request.user)
        except CheckInRefused as refused:
            messages.error(self.request, refused.message)
            return HttpResponseRedirect(self.request.path)
        return self.welcome(result, verified=True)

    def within_limit(self) -> bool:
        return take(
            scope=f"checkin:{self.meeting.pk}",
            client=client_address(self.request),
            limit=CHECK_INS_PER_ADDRESS,
            period=CHECK_IN_PERIOD_SECONDS,
        )

    def form_valid(self, form):
        try:
            result = check_in(
                meeting=self.meeting, handle=form.cleaned_data["github_handle"]
            )
        except CheckInRefused as refused:
            form.add_error("github_handle", forms.ValidationError(refused.message))
            return self.form_invalid(form)
        return self.welcome(result, verified=False)

    def welcome(self, result, *, verified: bool):
        handle = result.check_in.github_handle
        if not result.already:
            broadcast(self.meeting.pk, {"type": "notebook.changed", "what": "people"})
        if verified:
            messages.success(
                self.request,
                f"@{handle} is on the list of who joined (verified). Welcome!"
                if result.already
                else f"Thanks, @{handle}: you are on the list of who joined "
                "(verified).",
            )
        elif result.already:
            messages.info(self.request, f"@{handle} has already checked in. Welcome!")
        else:
            messages.success(
                self.request,
                f"Thanks, @{handle}: you are checked in. The MC confirms the list "
                "of who joined after the call.",
            )
        # Post/redirect/get: a reload does not send the form again.
        return HttpResponseRedirect(self.request.path)
