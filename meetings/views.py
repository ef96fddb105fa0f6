import re
from dataclasses import dataclass
from html import unescape
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import UserPassesTestMixin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import (
    DisallowedHost,
    PermissionDenied,
    RequestDataTooBig,
)
from django.core.paginator import Paginator
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    F,
    IntegerField,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_POST
from django.views.generic import FormView, ListView, TemplateView
from markdownx.views import MarkdownifyView

from agenda.models import ActionItem, AgendaItem, attach_owners, attach_presenters
from agenda.notebook.consumers import broadcast
from meetings import charts, published
from meetings.forms import ArchiveFilterForm, CheckInForm, SearchForm
from meetings.markdown import GITHUB_REPO_RE, html_to_text
from meetings.models import (
    Attendance,
    GitHubReference,
    Meeting,
    MeetingSeries,
    PublishedPage,
    ReleaseTeam,
    refresh_rendered,
)
from meetings.services import (
    CheckInRefused,
    check_in,
    check_in_refusal,
    check_in_signed_in,
    check_in_window,
)
from pagecache.caching import (
    clock_fragment,
    clock_or_frozen_fragment,
    current_stamp,
    stamp_cached,
)
from people.models import Attendee
from ratelimits.services import client_address, take

ARCHIVE_PAGE_SIZE = 50
SEARCH_PAGE_SIZE = 20
# Search ranks the best this many calls; past it, "more than" and no count.
SEARCH_TOP = 100
LATEST_NOTES_ON_HOME = 5
# The admin's live preview renders at most this much text per request.
PREVIEW_MAX_CHARS = 100_000


def meeting_or_404(series: str, date_key: str, queryset=None) -> Meeting:
    """The call of a series on a date (2020-09-16, or 2020-09-16-2), or a 404."""
    if queryset is None:
        queryset = Meeting.objects.select_related("series")
    # At most one call matches (series, date and ordinal are unique): no ORDER BY
    # to compile, as first() adds, for the call's page loads it on every render.
    found = list(queryset.for_series(series).on_date_key(date_key).order_by()[:1])
    if not found:
        raise Http404("No call of this series on this date.")
    return found[0]


# A coming call's page lists at most this many open action items of earlier calls.
CARRIED_OVER_SHOWN = 10

# A call's proposals are shown this many at a time (home, the call page): the
# agenda the MC accepted is short, but anyone may propose, so proposals pile up.
PROPOSALS_SHOWN = 20


def agenda_prefetch(proposals_page: int | None = None, *, presenters: bool = True):
    """A meeting's public agenda: accepted and discussed in order, then proposals;
    with `proposals_page`, only that page of PROPOSALS_SHOWN proposals (one query
    for any number of meetings: a row number per meeting's proposals). Without
    `presenters`, the caller attaches them (`attach_presenters`)."""
    items = AgendaItem.objects.on_agenda()
    if proposals_page is not None:
        proposed = Q(status=AgendaItem.Status.PROPOSED)
        last = proposals_page * PROPOSALS_SHOWN
        items = (
            items.annotate(
                proposal_row=Window(
                    RowNumber(),
                    partition_by=[
                        F("meeting_id"),
                        Case(When(proposed, then=Value(1)), default=Value(0)),
                    ],
                    order_by=[F("position").asc(), F("pk").asc()],
                )
            )
            .annotate(
                shown_row=Case(
                    When(proposed, then=F("proposal_row")),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
            .filter(shown_row__lte=last)
            .exclude(shown_row__gt=0, shown_row__lte=last - PROPOSALS_SHOWN)
        )
    if presenters:
        items = items.prefetch_related("presenters")
    return Prefetch("agenda_items", queryset=items, to_attr="agenda")


def with_agenda_totals(meetings):
    """Annotate what summarize_agenda needs from all of a call's agenda, not only
    the page of it a view loads: minutes requested and accepted, proposals.

    Plain SQL subqueries (each an index lookup on the call's items): the same
    three as querysets took ~2 ms of CPU to compile on every uncached render."""
    items = AgendaItem._meta.db_table
    statuses = AgendaItem.Status

    def total(aggregate: str, *status: str):
        marks = ", ".join(["%s"] * len(status))
        return RawSQL(
            f"SELECT COALESCE({aggregate}, 0) FROM {items} "
            f"WHERE {items}.meeting_id = {Meeting._meta.db_table}.id "
            f"AND {items}.status IN ({marks})",
            [str(s) for s in status],
            output_field=IntegerField(),
        )

    return meetings.annotate(
        minutes_requested=total(
            "SUM(requested_minutes)",
            statuses.ACCEPTED,
            statuses.DISCUSSED,
            statuses.PROPOSED,
        ),
        minutes_accepted=total(
            "SUM(requested_minutes)", statuses.ACCEPTED, statuses.DISCUSSED
        ),
        proposal_count=total("COUNT(*)", statuses.PROPOSED),
    )


def render_stored(meeting, *others) -> None:
    """Make the stored HTML of a call's texts current: its own, its `agenda`'s and
    `others`' (its action items), in the call's context (the series' repository,
    the link definitions of all its texts). Renders only what changed."""
    refresh_rendered(
        [meeting, *meeting.agenda, *others],
        meeting.series.github_repo,
        meeting.link_definitions,
    )


def neighbours():
    """The date and ordinal of the call before and after, as annotations: each an
    index lookup inside the one query that loads the call.

    Plain SQL, as in with_agenda_totals: four queryset subqueries cost ~3 ms of
    CPU to compile on every uncached render of a call. The row comparison reads
    one entry of the (series, start, ordinal) index; the equivalent OR read the
    series up to the call."""
    table = Meeting._meta.db_table

    def side(column: str, compare: str, order: str, field):
        return RawSQL(
            f"SELECT other.{column} FROM {table} other "
            f"WHERE other.series_id = {table}.series_id AND "
            f"(other.start, other.ordinal) {compare} ({table}.start, {table}.ordinal) "
            f"ORDER BY other.start {order}, other.ordinal {order} LIMIT 1",
            [],
            output_field=field,
        )

    return {
        "previous_date": side("date", "<", "DESC", DateField()),
        "previous_ordinal": side("ordinal", "<", "DESC", IntegerField()),
        "next_date": side("date", ">", "ASC", DateField()),
        "next_ordinal": side("ordinal", ">", "ASC", IntegerField()),
    }


def has_release_teams():
    """Whether a call formed a release team, as an annotation (plain SQL, as
    above): an index lookup that spares most calls' pages a query."""
    teams, meetings = ReleaseTeam._meta.db_table, Meeting._meta.db_table
    return RawSQL(
        f"EXISTS (SELECT 1 FROM {teams} WHERE {teams}.meeting_id = {meetings}.id)",
        [],
        output_field=BooleanField(),
    )


def neighbour(meeting, side: str):
    """The call before or after `meeting` (loaded with `neighbours()`), enough of
    it for a link, or None."""
    day = getattr(meeting, f"{side}_date")
    if day is None:
        return None
    return Meeting(
        series=meeting.series, date=day, ordinal=getattr(meeting, f"{side}_ordinal")
    )


# What a call's page shows of the call, its series and its MCs (and the texts its
# stored HTML is checked against): the rest of the rows costs compiling, reading
# and building on every render.
PAGE_FIELDS = (
    "html_key",
    "series__slug",
    "series__title",
    "series__info_url",
    "series__video_url",
    "series__github_repo",
    "series__length_minutes",
    "series__time_zone",
    "start",
    "date",
    "ordinal",
    "title",
    "length_minutes",
    "status",
    "mc__display_name",
    "mc__github_handle",
    "highlights",
    "notes",
    "info_url",
    "video_url",
    "recording_url",
    "next_mc__display_name",
    "next_mc__github_handle",
    "next_release",
    "highlights_html",
    "notes_html",
    "next_release_html",
)

# What no public page shows of a call and can be long: the imported file, the
# search text and vector, the front matter; and the series' long texts.
PAGE_DEFERRED = (
    "source_text",
    "search_document",
    "search_vector",
    "front_matter",
    "series__description",
    "series__notes_style",
)


def summarize_agenda(meeting, proposals_page: int = 1):
    """Set over-booking and the proposals not shown on a meeting loaded
    `with_agenda_totals` and a page of its `agenda`."""
    meeting.overbooked_by = max(0, meeting.minutes_requested - meeting.length)
    shown = sum(item.is_proposed for item in meeting.agenda)
    before = (proposals_page - 1) * PROPOSALS_SHOWN
    meeting.proposals_page = proposals_page
    meeting.proposals_before = before
    meeting.proposals_after = max(0, meeting.proposal_count - before - shown)
    return meeting


def cursor_of(request, name: str) -> int | None:
    """A keyset cursor from the query string: the id of the call a page starts
    after (?older=) or before (?newer=); None when it is not one."""
    value = request.GET.get(name, "")
    if value.isdigit() and value[0] != "0" and len(value) <= 18:
        return int(value)
    return None


@dataclass
class KeysetPage:
    """One page of calls, newest first, and the cursors of the pages around it."""

    object_list: list
    newer: int | None = None
    older: int | None = None
    # The query string that showed this page ("older=42"), "" for the first.
    query: str = ""

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer or self.older)


def keyset_page(queryset, request, size: int) -> KeysetPage:
    """The page of `queryset` (calls) after ?older= or before ?newer= (a call's
    id), newest first by (start, id): one query reading `size + 1` rows along
    the index however deep the page, no OFFSET and no count. A cursor that is
    not a call, or leads past either end, shows the first page."""
    newest_first = ("-start", "-pk")
    older, newer = cursor_of(request, "older"), cursor_of(request, "newer")
    if older or newer:
        pk = older or newer
        start = Subquery(Meeting.objects.filter(pk=pk).order_by().values("start"))
        # The plain bound (start <=, >=) is what an index on start can seek to;
        # the OR alone is a filter, read over every call up to the cursor.
        if older:
            rows = list(
                queryset.filter(start__lte=start)
                .filter(Q(start__lt=start) | Q(start=start, pk__lt=pk))
                .order_by(*newest_first)[: size + 1]
            )
            if rows:
                return KeysetPage(
                    rows[:size],
                    newer=rows[0].pk,
                    older=rows[size - 1].pk if len(rows) > size else None,
                    query=f"older={pk}",
                )
        else:
            rows = list(
                queryset.filter(start__gte=start)
                .filter(Q(start__gt=start) | Q(start=start, pk__gt=pk))
                .order_by("start", "pk")[: size + 1]
            )
            if len(rows) > size:
                rows = rows[:size][::-1]
                return KeysetPage(
                    rows, newer=rows[0].pk, older=rows[-1].pk, query=f"newer={pk}"
                )
            # Fewer than a page newer: that is the first page, at its own URL.
    rows = list(queryset.order_by(*newest_first)[: size + 1])
    return KeysetPage(
        rows[:size], older=rows[size - 1].pk if len(rows) > size else None
    )


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
        staff = is_staff(self.request.user)
        calls = clock_fragment(
            "home",
            lambda now: render_to_string(
                "includes/home_calls.html", self.calls_context(now, staff)
            ),
            vary=(staff,),
        )
        # The fragment is template output, escaped when it was rendered.
        return super().get_context_data(calls=mark_safe(calls), **kwargs)

    def calls_context(self, now, staff: bool) -> dict:
        """What home shows at `now`: the same for every visitor but staff."""
        # The calls happening now come first: join, check in, their agenda.
        on_now = [
            meeting
            for meeting in with_agenda_totals(Meeting.objects.in_progress(now))
            .select_related("series", "mc")
            .defer(*PAGE_DEFERRED)
            .prefetch_related(agenda_prefetch(proposals_page=1))
            .order_by("start", "series__title")
            if meeting.is_on(now)
        ]
        for meeting in on_now:
            render_stored(meeting)
            summarize_agenda(meeting)
            meeting.check_in_open = not check_in_refusal(meeting=meeting, now=now)
        next_meetings = list(
            with_agenda_totals(Meeting.objects.next_per_series(now))
            .select_related("series", "mc")
            .defer(*PAGE_DEFERRED)
            .prefetch_related(agenda_prefetch(proposals_page=1))
            .order_by("start", "series__title")
        )
        # The first few open items of each series, due soonest first; the rest
        # are counted and linked (/actions/), so the page does not grow with them.
        series = {m.series_id: m.series for m in next_meetings}
        by_series = {}
        for action in ActionItem.objects.first_open_per_series(
            list(series), HOME_ACTIONS_PER_SERIES
        ):
            # The series the next call already read (the query does not join it).
            action.meeting.series = series[action.meeting.series_id]
            by_series.setdefault(action.meeting.series_id, []).append(action)
        attach_owners([a for actions in by_series.values() for a in actions])
        for meeting in next_meetings:
            render_stored(meeting)
            summarize_agenda(meeting)
            meeting.open_actions = by_series.get(meeting.series_id, [])
            meeting.more_open_actions = (
                meeting.open_actions[0].open_in_series - len(meeting.open_actions)
                if meeting.open_actions
                else 0
            )
        latest = (
            Meeting.objects.finalized()
            .select_related("series", "mc")
            .only("series", "mc", "title", "date", "ordinal", "start", "status")
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
        return {
            "on_now": on_now,
            "next_meetings": next_meetings,
            "latest_finalized": latest,
            "now": now,
            "is_staff": staff,
        }


class ArchiveView(ListView):
    """Finalized notes, newest first, grouped by year; filter by series and year.

    Paged by keyset (?older=/?newer= a call's id), so a deep page costs what the
    first does.
    """

    template_name = "meetings/meeting_archive.html"
    context_object_name = "meetings"

    def get_queryset(self):
        series = list(MeetingSeries.objects.values_list("slug", "title"))
        meetings = Meeting.objects.finalized()
        series_filter = self.request.GET.get("series")
        if series_filter not in {slug for slug, _title in series}:
            series_filter = ""
        if series_filter:
            meetings = meetings.for_series(series_filter)
        # Every finalized call's year: read once per site stamp, not per request.
        years = stamp_cached(
            "archive-years",
            lambda: [day.year for day in meetings.dates("date", "year", order="DESC")],
            vary=(series_filter,),
        )
        self.filters = ArchiveFilterForm(
            self.request.GET, series_choices=series, years=years
        )
        year = self.filters.value("year")
        if year:
            meetings = meetings.filter(date__year=year)
        self.years = years
        return (
            meetings.select_related("series", "mc")
            .only(
                "series__slug",
                "series__title",
                "mc__display_name",
                "start",
                "date",
                "ordinal",
                "status",
            )
            .with_counts()
        )

    def get_context_data(self, **kwargs):
        page = keyset_page(self.object_list, self.request, ARCHIVE_PAGE_SIZE)
        filters = self.filters_query()
        kwargs[self.context_object_name] = page.object_list
        return super().get_context_data(
            filters=self.filters,
            years=self.years,
            keyset=page,
            filter_query=filters,
            # What the page cache keys this page by: the filters and cursor used.
            page_query="&".join(part for part in (filters, page.query) if part),
            **kwargs,
        )

    def filters_query(self) -> str:
        """The active filters as a query string for the pagination links."""
        params = self.request.GET.copy()
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


def proposals_page(request) -> int:
    """The page of proposals asked for (?proposals=2); anything else is page 1."""
    value = request.GET.get("proposals", "")
    if value.isdigit() and 1 <= int(value) <= 10_000:
        return int(value)
    return 1


class MeetingDetailView(TemplateView):
    """A call's permalink: the agenda before it, the notes once finalized.

    The page's parts (head tags and body) are rendered at most once per site
    stamp and minute (`clock_fragment`), for that minute's start: page cache on
    or off, a call page costs its render once a minute, whatever the traffic,
    and shows a write at once.
    """

    template_name = "meetings/meeting_detail.html"

    def get_context_data(self, **kwargs):
        page = proposals_page(self.request)
        staff = is_staff(self.request.user)
        parts, frozen = clock_or_frozen_fragment(
            "meeting",
            lambda now: self.published_or_rendered(now, page, staff),
            vary=(
                self.request.build_absolute_uri("/"),
                self.kwargs["series"],
                self.kwargs["date_key"],
                page,
                staff,
            ),
        )
        return super().get_context_data(
            # Template output, escaped when it was rendered.
            parts={name: mark_safe(text) for name, text in parts.items()},
            # For the page cache: the query string that shows this page, and
            # whether it is kept per minute or, once finalized, per stamp.
            page_query=urlencode({"proposals": page}) if page > 1 else "",
            depends_on_clock=not frozen,
            **kwargs,
        )

    def published_or_rendered(self, now, page: int, staff: bool):
        parts = self.published_parts(now) if page == 1 else None
        if parts is not None:
            return parts, True
        return self.render_parts(now, page, staff)

    def published_parts(self, now) -> dict | None:
        """A finalized call's parts from its stored notes (meetings.published): one
        query when they are stored, else rendered and stored; None for a call
        whose page still depends on the clock or the visitor."""
        if not settings.PUBLISHED_PAGES:
            return None
        meeting = published.load(self.kwargs["series"], self.kwargs["date_key"])
        if meeting is None:
            raise Http404("No call of this series on this date.")
        if not published.is_publishable(meeting, now):
            return None
        description, body = self.stored_notes(meeting, now)
        context = {
            "meeting": meeting,
            "description": description,
            "show_notes": True,
            "is_draft": False,
        }
        return {
            "title": escape(f"{meeting.display_title}, {meeting.date_key}"),
            "description": escape(description),
            "head": render_to_string(
                "includes/meeting_head.html", context, self.request
            ),
            "body": body,
            "nav": self.render_nav(meeting),
        }

    def stored_notes(self, meeting, now) -> tuple[str, str]:
        """The description and body of a publishable call: stored, or rendered
        and stored."""
        stored = published.current(meeting.stored)
        if stored is not None:
            return stored.description, stored.body
        token = meeting.stored.token if meeting.stored else published.claim(meeting)
        # Read after the claim: a write from now on makes the store a no-op.
        parts, _frozen = self.render_parts(now, 1, staff=False, head=False)
        description, body = unescape(parts["description"]), parts["body"]
        if token:
            published.store(meeting, token, description=description, body=body)
        return description, body

    def render_nav(self, meeting) -> str:
        return render_to_string(
            "includes/meeting_nav.html",
            {
                "previous_meeting": neighbour(meeting, "previous"),
                "next_meeting": neighbour(meeting, "next"),
            },
        )

    def load(self, page: int):
        meeting = meeting_or_404(
            self.kwargs["series"],
            self.kwargs["date_key"],
            with_agenda_totals(Meeting.objects.all())
            .select_related("series", "mc", "next_mc")
            .only(*PAGE_FIELDS)
            .annotate(**neighbours(), has_release_teams=has_release_teams()),
        )
        # The call's rows by plain queries, each with what the page shows, in
        # position order: a prefetch orders them by the call first, a join to
        # compile and run for one call.
        meeting.page_attendances = list(
            Attendance.objects.filter(meeting=meeting)
            .select_related("attendee")
            .only(
                "written_as",
                "first_time",
                "attendee__display_name",
                "attendee__github_handle",
            )
            .order_by("position", "pk")
        )
        meeting.page_actions = list(
            ActionItem.objects.filter(meeting=meeting)
            .exclude(status=ActionItem.Status.SUGGESTED)
            .only(
                "meeting",
                "html_key",
                "description",
                "description_html",
                "owner_names",
                "status",
                "due_date",
            )
            .order_by("position", "pk")
        )
        # Most calls form no release team: then no query for them.
        meeting.page_release_teams = (
            list(
                ReleaseTeam.objects.filter(meeting=meeting)
                .select_related("lead")
                .prefetch_related("members")
            )
            if meeting.has_release_teams
            else []
        )
        # The agenda after the call, whose totals say whether its proposals fit
        # on one page: then a plain query, no row numbering to compile and run.
        if page == 1 and meeting.proposal_count <= PROPOSALS_SHOWN:
            meeting.agenda = AgendaItem.objects.page_agenda(meeting)
        else:
            prefetch_related_objects(
                [meeting], agenda_prefetch(proposals_page=page, presenters=False)
            )
        attach_presenters(meeting.agenda)
        attach_owners(meeting.page_actions)
        render_stored(meeting, *meeting.page_actions)
        return summarize_agenda(meeting, page)

    def render_parts(
        self, now, page: int, staff: bool, *, head: bool = True
    ) -> tuple[dict, bool]:
        """The page's title, description, head tags (unless not `head`) and body
        at `now`, and whether they no longer depend on the clock (finalized
        notes)."""
        meeting = self.load(page)
        draft = meeting.status == Meeting.Status.HELD
        carried_over, more_carried_over = [], False
        if meeting.status == Meeting.Status.SCHEDULED:
            # Open items from earlier calls, which the coming call will go through:
            # the latest CARRIED_OVER_SHOWN, oldest first (a long archive keeps
            # hundreds open; /actions/ lists them all).
            latest = list(
                ActionItem.objects.open_carried_over_to(meeting)
                .select_related("meeting__series")
                # What the list shows: not the earlier calls' notes and sources.
                .only(
                    "description",
                    "owner_names",
                    "due_date",
                    "status",
                    "position",
                    "meeting__start",
                    "meeting__date",
                    "meeting__ordinal",
                    "meeting__series__slug",
                    "meeting__series__github_repo",
                )
                .order_by("-meeting__start", "-position", "-pk")[
                    : CARRIED_OVER_SHOWN + 1
                ]
            )
            attach_owners(latest)
            more_carried_over = len(latest) > CARRIED_OVER_SHOWN
            carried_over = latest[:CARRIED_OVER_SHOWN][::-1]
        show_notes = meeting.notes_are_public() or (draft and staff)
        context = {
            "meeting": meeting,
            "is_on": meeting.is_on(now),
            "carried_over": carried_over,
            "more_carried_over": more_carried_over,
            "check_in_open": not check_in_refusal(meeting=meeting, now=now),
            "show_notes": show_notes,
            "is_draft": draft,
            "proposals_open": meeting.proposals_open(now),
            "has_started": meeting.has_started(now),
            "now": now,
        }
        if show_notes and meeting.highlights:
            description = Truncator(html_to_text(meeting.html["highlights"])).words(
                40, truncate=" …"
            )
        else:
            description = (
                f"{meeting.display_title} on {date_format(meeting.date, 'j F Y')}: "
                f"agenda{' and notes' if meeting.is_finalized else ''}."
            )
        context["description"] = description
        parts = {
            "title": escape(f"{meeting.display_title}, {meeting.date_key}"),
            "description": escape(description),
            "head": render_to_string(
                "includes/meeting_head.html", context, self.request
            )
            if head
            else "",
            "body": render_to_string(
                "includes/meeting_body.html", context, self.request
            ),
            "nav": self.render_nav(meeting),
        }
        return parts, meeting.is_finalized


def publish_notes(meetings) -> int:
    """Render and store the notes of these calls where they are finalized and not
    stored yet, as their first view would (after an import or a deploy); returns
    how many were rendered.

    Reads only what finds each call's page, not the calls' texts or the notes
    already stored: on a long archive those are most of the database."""
    # The view renders with a request (its context processors); a command has none.
    factory = RequestFactory()
    now = timezone.now()
    current = PublishedPage.objects.filter(version=published.code_version()).exclude(
        body=""
    )
    calls = (
        meetings.finalized()
        .exclude(pk__in=current.values("meeting_id"))
        .select_related("series", "published_page")
        .only(
            "series__slug",
            "date",
            "ordinal",
            "start",
            "status",
            "published_page__token",
            "published_page__version",
        )
    )
    rendered = 0
    for meeting in calls:
        meeting.stored = getattr(meeting, "published_page", None)
        if not published.is_publishable(meeting, now):
            continue
        request = factory.get(meeting.get_absolute_url())
        request.user = AnonymousUser()
        view = MeetingDetailView()
        view.setup(request, series=meeting.series.slug, date_key=meeting.date_key)
        view.stored_notes(meeting, now)
        rendered += 1
    return rendered


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


class SearchView(TemplateView):
    """Full-text search over finalized notes: the best SEARCH_TOP calls, paged.

    Per site stamp and query, the ranking (call ids, best first; on PostgreSQL
    from the GIN index, ranked in the database, at most SEARCH_TOP + 1 rows) and
    each page of results with its snippets are computed once and then served
    from the cache. Nothing counts every match: past SEARCH_TOP the page says
    "more than".
    """

    template_name = "meetings/search.html"

    def get_context_data(self, **kwargs):
        form = SearchForm(self.request.GET or None)
        query = ""
        if form.is_bound and form.is_valid():
            query = " ".join(form.cleaned_data["q"].split())
        context = {"form": form, "query": query, "page_query": ""}
        if query:
            stamp, _changed_at = current_stamp()
            ranked = stamp_cached(
                "search", lambda: search_ranking(query), vary=(query,), stamp=stamp
            )
            paginator = Paginator(ranked[:SEARCH_TOP], SEARCH_PAGE_SIZE)
            page = paginator.get_page(self.request.GET.get("page"))
            context.update(
                results=stamp_cached(
                    "search-page",
                    lambda: search_results(query, list(page.object_list)),
                    vary=(query, page.number),
                    stamp=stamp,
                ),
                found=len(ranked),
                more_than_top=len(ranked) > SEARCH_TOP,
                top=SEARCH_TOP,
                page_obj=page,
                paginator=paginator,
                is_paginated=page.has_other_pages(),
                page_query=urlencode({"q": query}),
            )
        return super().get_context_data(**context, **kwargs)


def search_ranking(query: str) -> list[int]:
    """The ids of the best SEARCH_TOP + 1 calls for `query`, best first (no
    snippets: they are made for the page shown only)."""
    return list(
        Meeting.objects.search(query).values_list("pk", flat=True)[: SEARCH_TOP + 1]
    )


def search_results(query: str, ids: list[int]) -> list[dict]:
    """One page of results, in ranking order: what the page shows of each call."""
    found = {
        meeting.pk: meeting
        for meeting in Meeting.objects.search(query)
        .filter(pk__in=ids)
        .select_related("series")
        .only("series__slug", "series__title", "title", "date", "ordinal")
    }
    return [
        {
            "url": meeting.get_absolute_url(),
            "title": meeting.display_title,
            "date_key": meeting.date_key,
            "headline": meeting.headline,
        }
        for meeting in (found.get(pk) for pk in ids)
        if meeting is not None
    ]


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
    """The repositories and issues the finalized notes discuss most, per quarter.

    A year (four quarters) at a time, newest first: ?until=2024-Q4 shows the
    year ending then, with links to the years before and after. A value that is
    not a quarter shows the newest year, like a bad cursor on the archive.
    """

    template_name = "meetings/references.html"

    def get_context_data(self, **kwargs):
        until = charts.Quarter.from_key(self.request.GET.get("until", ""))
        window = charts.references_window(until)
        return super().get_context_data(
            window=window,
            chart=window.chart,
            most_discussed=window.most_discussed,
            # What the page cache keys this page by: the window shown.
            page_query=window.query,
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
