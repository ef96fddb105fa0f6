"""Pictures of a community: the numbers behind the site's charts, drawn as SVG.

Each builder reads the database in a fixed number of queries, whatever the size of
the archive, and returns a `Chart`: a title, a one-sentence description, the data
table that is its text alternative, and the SVG. The SVG is drawn with plain string
formatting (no JavaScript, no inline style): shapes carry classes that
static/css/site.css colours for light and dark schemes, so a strict CSP holds. Every
text in it goes through `esc()`. Pages with charts are cached with the page by the
site stamp (pagecache.caching.public_page), so a chart is drawn once per change.
"""

import datetime as dt
import functools
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from typing import NamedTuple
from urllib.parse import quote

from django.db import models
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from meetings.models import (
    Attendance,
    GitHubReference,
    Meeting,
    ReleaseTeam,
)
from people.models import Attendee

WIDTH = 720
MAX_BARS = 104  # a series' attendance is bucketed (months, quarters...) above this
MINUTES_CALLS = 52  # the minutes chart shows a year of weekly calls
ROTA_ROWS = 20  # MCs drawn in the rota; the table lists up to ROTA_TABLE_ROWS
ROTA_TABLE_ROWS = 50
STALE_NAMED = 8  # former MCs named under the rota, most turns first
RELEASE_ROWS = 30
REPOS_SHOWN = 4  # repositories with their own colour; the rest are "other"
TOP_ISSUES = 3  # per quarter
CAME_BACK_WITHIN = 3  # calls


def esc(value) -> str:
    return escape(str(value), quote=True)


@dataclass
class Cell:
    """One table cell: text, optionally a link, right-aligned when numeric."""

    text: str
    url: str = ""
    numeric: bool = False


@dataclass
class Chart:
    """A chart as a page shows it: SVG plus its data table alternative."""

    key: str
    title: str
    description: str
    columns: list[tuple[str, bool]]  # (label, numeric)
    rows: list[list[Cell]]
    svg: SafeString = mark_safe("")
    legend: list[tuple[str, str]] = field(default_factory=list)  # (class, label)
    note: str = ""  # under the table
    summary: str = ""  # under the picture, for everyone
    facts: dict = field(default_factory=dict)  # the headline numbers, for tests

    @property
    def is_empty(self) -> bool:
        return not self.rows

    def table_html(self) -> SafeString:
        """The data table, built here: a template loop costs ~10x more per cell."""
        head = "".join(
            f'<th scope="col" class="num">{esc(label)}</th>'
            if numeric
            else f'<th scope="col">{esc(label)}</th>'
            for label, numeric in self.columns
        )
        body = []
        for row in self.rows:
            cells = []
            for index, cell in enumerate(row):
                text = esc(cell.text)
                if cell.url:
                    text = f'<a href="{esc(cell.url)}">{text}</a>'
                if index == 0:
                    cells.append(f'<th scope="row">{text}</th>')
                elif cell.numeric:
                    cells.append(f'<td class="num">{text}</td>')
                else:
                    cells.append(f"<td>{text}</td>")
            body.append(f"<tr>{''.join(cells)}</tr>")
        return mark_safe(
            f"<table><caption>{esc(self.title)}</caption><thead><tr>{head}</tr>"
            f"</thead><tbody>{''.join(body)}</tbody></table>"
        )


def num(value) -> Cell:
    return Cell(str(value), numeric=True)


def date_key(date: dt.date, ordinal: int) -> str:
    return date.isoformat() if ordinal == 1 else f"{date.isoformat()}-{ordinal}"


def meeting_urls(series_slug: str):
    """date, ordinal -> the call's URL; one reverse() for a thousand links."""
    marker = "0000-00-00"
    url = reverse("meetings:detail", kwargs={"series": series_slug, "date_key": marker})
    head, tail = url.split(marker)
    return lambda date, ordinal: f"{head}{date_key(date, ordinal)}{tail}"


def person_urls():
    """handle -> the person's page ("" without a handle); one reverse() for all."""
    head, tail = reverse("people:detail", kwargs={"handle": "HANDLE"}).split("HANDLE")
    return lambda handle: f"{head}{handle}{tail}" if handle else ""


# Drawing -------------------------------------------------------------------


def nice_step(top: float, ticks: int = 4) -> float:
    """A 1-2-5 step that splits 0..top into at most `ticks` gridlines."""
    if top <= 0:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(1, factor * power)
    return 10 * power  # pragma: no cover - the loop always returns


def svg_open(key: str, title: str, description: str, height: int, width=WIDTH):
    return [
        f'<svg class="chart-svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="chart-{key}-t '
        f'chart-{key}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-{key}-t">{esc(title)}</title>',
        f'<desc id="chart-{key}-d">{esc(description)}</desc>',
    ]


def y_axis(parts, *, top_value, left, right, top, bottom, unit=""):
    """Horizontal gridlines with labels; returns the value-to-y function."""
    step = nice_step(top_value)
    top_value = max(step, math.ceil(top_value / step) * step)
    span = bottom - top

    def y(value: float) -> float:
        return bottom - value / top_value * span

    value = 0
    while value <= top_value:
        pos = y(value)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{right}" y1="{pos:.1f}" '
            f'y2="{pos:.1f}"/><text class="tick" x="{left - 4}" y="{pos + 4:.1f}" '
            f'text-anchor="end">{value:g}{unit}</text>'
        )
        value += step
    return y


def time_axis(parts, *, first: dt.date, last: dt.date, left, right, baseline):
    """Year marks along the bottom; returns the date-to-x function."""
    days = max(1, (last - first).days)

    def x(day: dt.date) -> float:
        return left + (day - first).days / days * (right - left)

    if days < 2 * 365:
        # A short span: a mark every quarter, named by month.
        marks = [
            dt.date(year, month, 1)
            for year in range(first.year, last.year + 1)
            for month in (1, 4, 7, 10)
            if first < dt.date(year, month, 1) <= last
        ]
        labels = [
            f"{d:%b %Y}" if d.month == 1 or i == 0 else f"{d:%b}"
            for i, d in enumerate(marks)
        ]
    else:
        years = range(first.year + 1, last.year + 1)
        every = max(1, math.ceil(len(years) / 10))
        marks = [dt.date(y, 1, 1) for y in years if not (y - first.year) % every]
        labels = [str(d.year) for d in marks]
    for day, label in zip(marks, labels, strict=True):
        pos = x(day)
        parts.append(
            f'<line class="grid" x1="{pos:.1f}" x2="{pos:.1f}" y1="0" '
            f'y2="{baseline}"/><text class="tick" x="{pos:.1f}" y="{baseline + 14}" '
            f'text-anchor="middle">{label}</text>'
        )
    return x


def close(parts) -> SafeString:
    parts.append("</svg>")
    return mark_safe("".join(parts))


# Person: a calendar heatmap of calls joined, presented at and led ----------

LEVELS = ["none", "joined", "presented", "mc"]
LEVEL_LABELS = {
    "joined": "joined",
    "presented": "presented an item",
    "mc": "led as MC",
}


HEATMAP_YEARS = 2  # drawn week by week; earlier years are one row of the table
STREAK_COUNTED = 100  # a longer streak shows as "100+"
# Named, not `exclude(FINALIZED)`: the (status, start) index finds these few calls.
NOT_FINALIZED = [s for s in Meeting.Status if s != Meeting.Status.FINALIZED]


@dataclass
class PersonActivity:
    """What a person's page draws and states about their calls."""

    chart: Chart
    first_call: dt.date | None
    calls_this_year: int
    streak: int
    calls_joined: int = 0
    streak_capped: bool = False  # more than `streak` calls in a row


@dataclass
class PersonTotals:
    """A person's whole history in a few numbers (person_totals)."""

    joined: int
    presented: int
    led: int
    first_joined: dt.date | None
    first_year: int | None


def person_activity(person: Attendee, *, today: dt.date) -> PersonActivity:
    """The person page's heatmap and figures (3 queries).

    What a page costs does not grow with the length of the person's history: the
    heatmap draws the latest HEATMAP_YEARS years (their calls read one by one),
    the years before are totals counted along indexes, and the streak is walked
    back from the newest call for at most STREAK_COUNTED calls.
    """
    since = dt.date(today.year - HEATMAP_YEARS + 1, 1, 1)
    totals = person_totals(person)
    calls = person_calls(person, since=since)
    # The series they joined in these years: a series last joined before them
    # has had calls since that they missed, or has ended (no current streak).
    streak, capped = current_streak(person, {row[4] for row in calls if row[1]})
    chart = heatmap(
        person, activity_weeks(person, calls), today=today, totals=totals, since=since
    )
    return PersonActivity(
        chart=chart,
        first_call=totals.first_joined,
        calls_this_year=sum(
            1 for date, joined, *_rest in calls if joined and date.year == today.year
        ),
        streak=streak,
        calls_joined=totals.joined,
        streak_capped=capped,
    )


def _scalar(queryset, function: str = "COUNT", column: str = "pk", distinct=False):
    """One number over `queryset` as a subquery (no GROUP BY)."""
    field = models.DateField() if function == "MIN" else models.IntegerField()
    extra = {"template": "%(function)s(DISTINCT %(expressions)s)"} if distinct else {}
    return models.Subquery(
        queryset.order_by().values(
            v=models.Func(
                models.F(column), function=function, output_field=field, **extra
            )
        )
    )


def person_totals(person: Attendee) -> PersonTotals:
    """Calls joined, presented at and led over the person's whole history, and
    when it began (1 query).

    Each part reads only the person's own rows along an index: calls joined are
    all their attendances (an index-only count) less those at calls not finalized
    (the few scheduled or held ones); the earliest call joined is found walking
    calls from the oldest (a join of every attendance with its call would read
    the whole archive's rows).
    """
    finalized = Meeting.objects.finalized()
    attended = Attendance.objects.filter(attendee=person)
    presented = finalized.filter(agenda_items__presenters=person)
    led = finalized.filter(mc=person)
    first_joined = (
        finalized.filter(attendances__attendee=person)
        .order_by("start", "pk")
        .values("date")[:1]
    )
    row = (
        Attendee.objects.filter(pk=person.pk)
        .values(
            # meeting_id, not id: counted from the (attendee, meeting) index alone.
            attended=_scalar(attended, column="meeting"),
            not_finalized=_scalar(
                attended.filter(meeting__status__in=NOT_FINALIZED), column="meeting"
            ),
            presented=_scalar(presented, distinct=True),
            led=_scalar(led),
            first_joined=models.Subquery(first_joined),
            first_presented=_scalar(presented, "MIN", "date"),
            first_led=_scalar(led, "MIN", "date"),
        )
        .get()
    )
    firsts = [
        row[key] for key in ("first_joined", "first_presented", "first_led") if row[key]
    ]
    return PersonTotals(
        joined=row["attended"] - row["not_finalized"],
        presented=row["presented"],
        led=row["led"],
        first_joined=row["first_joined"],
        first_year=min(firsts).year if firsts else None,
    )


def person_calls(person: Attendee, *, since: dt.date | None = None) -> list[tuple]:
    """(date, joined, presented, mc_id, series_id) of every finalized call the
    person joined, presented at or led, oldest first, from `since` on (1 query)."""
    calls = Meeting.objects.finalized()
    if since is not None:
        # The date is the series' local one; the start (a day earlier, for any
        # time zone) lets the (status, start) index read these years only.
        calls = calls.filter(
            start__gte=dt.datetime.combine(
                since - dt.timedelta(days=1), dt.time(), dt.UTC
            ),
            date__gte=since,
        )
    # Their attendance at each call, joined on (a lookup per call of these years
    # along the (attendee, meeting) index); the items they presented, few, hashed.
    presented = person.presented_items.values("meeting_id")
    return list(
        calls.annotate(
            mine=models.FilteredRelation(
                "attendances", condition=models.Q(attendances__attendee=person)
            ),
            joined=models.ExpressionWrapper(
                models.Q(mine__meeting__isnull=False),
                output_field=models.BooleanField(),
            ),
            presented=models.ExpressionWrapper(
                models.Q(pk__in=presented), output_field=models.BooleanField()
            ),
        )
        .filter(models.Q(joined=True) | models.Q(presented=True) | models.Q(mc=person))
        .order_by("date", "ordinal")
        .values_list("date", "joined", "presented", "mc_id", "series_id")
    )


def current_streak(person: Attendee, series_ids) -> tuple[int, bool]:
    """The newest finalized calls of the person's series that they joined in a row,
    and whether there are more than STREAK_COUNTED (1 query).

    Counted back from the newest finalized call of `series_ids` (the series they
    joined lately), every series together, until the first such call they did not
    join: the calls walked newest first along the (status, start) index, each
    looked up in the call's attendance, no further than STREAK_COUNTED + 1 calls.
    """
    if not series_ids:
        return 0, False
    joined = list(
        Meeting.objects.finalized()
        .filter(series__in=series_ids)
        .annotate(
            mine=models.FilteredRelation(
                "attendances", condition=models.Q(attendances__attendee=person)
            )
        )
        .order_by("-start", "-ordinal")
        .values_list("mine__meeting", flat=True)[: STREAK_COUNTED + 1]
    )
    streak = next((n for n, pk in enumerate(joined) if pk is None), len(joined))
    if streak > STREAK_COUNTED:
        return STREAK_COUNTED, True
    return streak, False


@dataclass
class Weeks:
    """A person's calls counted per week (the heatmap's squares) and per year."""

    level: dict[tuple[int, int], int]  # (year, week of year) -> index in LEVELS
    per_year: dict[int, list[int]]  # year -> [joined, presented at, led]
    first_year: int | None = None


def activity_weeks(person: Attendee, calls) -> Weeks:
    """Fold person_calls() rows into weeks and years (0 queries)."""
    level: dict[tuple[int, int], int] = {}
    per_year: dict[int, list[int]] = {}
    pk = person.pk
    for date, joined, presented, mc_id, _series in calls:
        led = mc_id == pk
        cell = (date.year, min(52, (date.toordinal() - _new_year(date.year)) // 7))
        rank = 3 if led else 2 if presented else 1
        if level.get(cell, 0) < rank:
            level[cell] = rank
        counts = per_year.get(date.year)
        if counts is None:
            counts = per_year[date.year] = [0, 0, 0]
        counts[0] += joined
        counts[1] += presented
        counts[2] += led
    return Weeks(level, per_year, calls[0][0].year if calls else None)


@functools.cache
def _new_year(year: int) -> int:
    return dt.date(year, 1, 1).toordinal()


def heatmap(
    person: Attendee,
    weeks: Weeks,
    *,
    today: dt.date,
    totals: PersonTotals | None = None,
    since: dt.date | None = None,
) -> Chart:
    """A year a row, a week a cell, coloured by the most a person did that week.

    With `totals` (the whole history) and `since` (where `weeks` begin), the rows
    start at `since`'s year and the table adds one row for the years before.
    """
    key = "activity"
    title = f"{person.display_name}'s calls, week by week"
    first_year = totals.first_year if totals else weeks.first_year
    if first_year is None:
        return Chart(key, title, f"{person.display_name} has no calls yet.", [], [])
    per_week = weeks.level
    per_year = defaultdict(
        Counter,
        {
            year: Counter(joined=j, presented=p, mc=m)
            for year, (j, p, m) in weeks.per_year.items()
        },
    )
    last_year = max([today.year, *weeks.per_year])
    drawn_from = max(first_year, since.year) if since else first_year
    years = list(range(last_year, drawn_from - 1, -1))
    drawn = [sum(c[kind] for c in per_year.values()) for kind in LEVELS[1:]]
    joined_total, presented_total, mc_total = (
        (totals.joined, totals.presented, totals.led) if totals else drawn
    )
    description = (
        f"From {first_year} to {years[0]}: {joined_total} calls joined, "
        f"presented at {presented_total}, led {mc_total} as MC. Each row is a "
        f"year, each square a week, its colour the most the person did that "
        f"week: joined, presented an item, or led the call as MC."
    )
    earlier = []
    if first_year < drawn_from:
        span = (
            str(first_year)
            if first_year == drawn_from - 1
            else f"{first_year}\u2013{drawn_from - 1}"
        )
        description += f" The years before {drawn_from} are one row of the table."
        earlier = [
            [
                Cell(span),
                num(joined_total - drawn[0]),
                num(presented_total - drawn[1]),
                num(mc_total - drawn[2]),
            ]
        ]
    cell, gap, left, top = 12, 2, 44, 18
    width = left + 53 * (cell + gap)
    height = top + len(years) * (cell + gap) + 2
    parts = svg_open(key, title, description, height, width)
    for month in range(1, 13):
        week = (dt.date(2001, month, 1).timetuple().tm_yday - 1) // 7
        parts.append(
            f'<text class="tick" x="{left + week * (cell + gap)}" y="12">'
            f"{dt.date(2001, month, 1):%b}</text>"
        )
    # One path per level, a square per week: a thousand weeks stay one element each
    # colour, and drawing them costs little.
    squares: list[list[str]] = [[] for _level in LEVELS]
    step = cell + gap
    for row, year in enumerate(years):
        y = top + row * step
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{y + cell - 2}" '
            f'text-anchor="end">{year}</text>'
        )
        for week in range(53):
            squares[per_week.get((year, week), 0)].append(
                f"M{left + week * step} {y}h{cell}v{cell}h-{cell}z"
            )
    parts += [
        f'<path class="lvl-{level}" d="{"".join(squares[index])}"/>'
        for index, level in enumerate(LEVELS)
        if squares[index]
    ]
    rows = [
        [
            Cell(str(year)),
            num(per_year[year]["joined"]),
            num(per_year[year]["presented"]),
            num(per_year[year]["mc"]),
        ]
        for year in years
    ] + earlier
    return Chart(
        key,
        title,
        description,
        [
            ("Year", False),
            ("Joined", True),
            ("Presented at", True),
            ("Led as MC", True),
        ],
        rows,
        close(parts),
        legend=[(f"lvl-{level}", label) for level, label in LEVEL_LABELS.items()],
    )


# Series: attendance, newcomers coming back, the MC rota, minutes booked -----


@dataclass
class SeriesCall:
    """One finalized call of a series, as the series charts need it."""

    pk: int
    date: dt.date
    ordinal: int
    length: int
    mc_id: int | None
    mc_name: str
    mc_handle: str
    url: str = ""


def series_calls(series) -> list[SeriesCall]:
    """The series' finalized calls, oldest first (1 query)."""
    rows = (
        Meeting.objects.finalized()
        .filter(series=series)
        .order_by("start", "ordinal")
        .values_list(
            "pk",
            "date",
            "ordinal",
            "length_minutes",
            "mc_id",
            "mc__display_name",
            "mc__github_handle",
        )
    )
    calls, url = [], meeting_urls(series.slug)
    for pk, date, ordinal, length, mc_id, mc_name, mc_handle in rows:
        length = length or series.length_minutes
        mc_name, mc_handle = mc_name or "", mc_handle or ""
        call = SeriesCall(pk, date, ordinal, length, mc_id, mc_name, mc_handle)
        call.url = url(date, ordinal)
        calls.append(call)
    return calls


@dataclass
class Bucket:
    label: str
    url: str
    first: dt.date
    calls: int = 0
    first_timers: int = 0
    returning: int = 0
    came_back: int = 0
    judged: int = 0


def bucket_key(granularity: str, call: SeriesCall):
    if granularity == "call":
        return call.pk
    if granularity == "month":
        return (call.date.year, call.date.month)
    if granularity == "quarter":
        return (call.date.year, (call.date.month - 1) // 3 + 1)
    return call.date.year


def bucket_label(granularity: str, call: SeriesCall) -> str:
    if granularity == "call":
        return call.date.isoformat() + ("" if call.ordinal == 1 else f"-{call.ordinal}")
    if granularity == "month":
        return f"{call.date:%Y-%m}"
    if granularity == "quarter":
        return f"{call.date.year} Q{(call.date.month - 1) // 3 + 1}"
    return str(call.date.year)


def granularity_for(calls: list[SeriesCall]) -> str:
    """The finest of call, month, quarter, year that gives at most MAX_BARS bars."""
    for granularity in ("call", "month", "quarter"):
        if len({bucket_key(granularity, call) for call in calls}) <= MAX_BARS:
            return granularity
    return "year"


@dataclass
class SeriesAttendance:
    """Who joined each call, first-timers, and whether they came back."""

    chart: Chart
    first_timers: int
    came_back: int
    judged: int


def joined_by_call(series) -> dict[int, set[int]]:
    """Meeting pk -> who joined it, for the series' finalized calls (1 query)."""
    joined: dict[int, set[int]] = defaultdict(set)
    for meeting_id, attendee_id in Attendance.objects.filter(
        meeting__series=series, meeting__status=Meeting.Status.FINALIZED
    ).values_list("meeting_id", "attendee_id"):
        joined[meeting_id].add(attendee_id)
    return joined


def series_attendance(
    calls: list[SeriesCall], joined: dict[int, set[int]]
) -> SeriesAttendance:
    """Attendance per call split into first-timers and returning people."""
    return attendance_chart(calls, *attendance_buckets(calls, joined))


def attendance_buckets(
    calls: list[SeriesCall], joined: dict[int, set[int]]
) -> tuple[str, list[Bucket]]:
    """Count first-timers, returning people and newcomers who came back, per bar.

    A first-timer is someone at their first finalized call of this series. They
    "came back" when they joined any of the series' next CAME_BACK_WITHIN calls;
    first-timers of the last calls, whose next calls have not all happened yet,
    are judged only once they have come back.
    """
    granularity = granularity_for(calls)
    buckets: dict = {}
    seen: set[int] = set()
    for index, call in enumerate(calls):
        key = bucket_key(granularity, call)
        bucket = buckets.get(key)
        if bucket is None:
            url = call.url if granularity == "call" else ""
            bucket = buckets[key] = Bucket(
                bucket_label(granularity, call), url, call.date
            )
        people = joined.get(call.pk, set())
        new = people - seen
        seen |= new
        bucket.calls += 1
        bucket.first_timers += len(new)
        bucket.returning += len(people) - len(new)
        later = calls[index + 1 : index + 1 + CAME_BACK_WITHIN]
        back = {p for p in new if any(p in joined.get(c.pk, ()) for c in later)}
        bucket.came_back += len(back)
        complete = len(later) == CAME_BACK_WITHIN
        bucket.judged += len(new) if complete else len(back)
    return granularity, list(buckets.values())


def attendance_chart(
    calls: list[SeriesCall], granularity: str, rows: list[Bucket]
) -> SeriesAttendance:
    """Draw attendance_buckets() as stacked bars (0 queries)."""
    first_timers = sum(b.first_timers for b in rows)
    came_back = sum(b.came_back for b in rows)
    judged = sum(b.judged for b in rows)
    key = "attendance"
    title = "Attendance per call: first-timers and returning people"
    unit = {
        "call": "Each bar is one call",
        "month": "Each bar is a month, the average per call",
        "quarter": "Each bar is a quarter, the average per call",
        "year": "Each bar is a year, the average per call",
    }[granularity]
    if not rows:
        return SeriesAttendance(
            Chart(key, title, "No finalized calls yet.", [], []), 0, 0, 0
        )
    total = sum(b.first_timers + b.returning for b in rows)
    description = (
        f"{unit}, from {rows[0].label} to {rows[-1].label}: {len(calls)} calls, "
        f"{total} attendances, {first_timers} first-timers; {came_back} of "
        f"{judged} first-timers came back within {CAME_BACK_WITHIN} calls."
    )
    left, right, top, bottom = 40, WIDTH - 8, 8, 190
    parts = svg_open(key, title, description, bottom + 22)
    peak = max((b.first_timers + b.returning) / b.calls for b in rows)
    y = y_axis(parts, top_value=peak, left=left, right=right, top=top, bottom=bottom)
    slot = (right - left) / len(rows)
    bar = max(1.0, slot * 0.8)
    last_year = None
    every = max(1, math.ceil(len({b.first.year for b in rows}) / 12))
    for i, b in enumerate(rows):
        x = left + i * slot + (slot - bar) / 2
        new, back = b.first_timers / b.calls, b.returning / b.calls
        parts.append(
            f'<rect class="bar c-back" x="{x:.1f}" y="{y(new + back):.1f}" '
            f'width="{bar:.1f}" height="{y(new) - y(new + back):.1f}"/>'
            f'<rect class="bar c-new" x="{x:.1f}" y="{y(new):.1f}" '
            f'width="{bar:.1f}" height="{bottom - y(new):.1f}"/>'
        )
        if b.first.year != last_year:
            if last_year is None or (b.first.year - rows[0].first.year) % every == 0:
                parts.append(
                    f'<text class="tick" x="{x:.1f}" y="{bottom + 16}">'
                    f"{b.first.year}</text>"
                )
            last_year = b.first.year
    parts.append(
        f'<line class="axis" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>'
    )
    table = [
        [
            Cell(b.label, b.url),
            num(b.calls),
            num(b.first_timers),
            num(b.returning),
            num(f"{(b.first_timers + b.returning) / b.calls:.1f}"),
            num(b.came_back),
        ]
        for b in rows
    ]
    columns = [
        ("Call" if granularity == "call" else granularity.capitalize(), False),
        ("Calls", True),
        ("First-timers", True),
        ("Returning", True),
        ("Per call", True),
        (f"First-timers back within {CAME_BACK_WITHIN} calls", True),
    ]
    chart = Chart(
        key,
        title,
        description,
        columns,
        table,
        close(parts),
        legend=[("c-new", "first-timers"), ("c-back", "returning")],
    )
    return SeriesAttendance(chart, first_timers, came_back, judged)


@dataclass
class Turns:
    name: str
    handle: str
    dates: list[dt.date] = field(default_factory=list)


def mc_rota(series, calls: list[SeriesCall]) -> Chart:
    """Who led the series' calls and when; who has not led for a year (0 queries).

    "For a year" counts back from the series' latest finalized call, not from
    today, so an archive that has ended still shows who led towards its end.
    """
    by_mc: dict[int, Turns] = {}
    for call in calls:
        if call.mc_id is not None:
            turns = by_mc.setdefault(call.mc_id, Turns(call.mc_name, call.mc_handle))
            turns.dates.append(call.date)
    key = "rota"
    title = "MC rota: who led which calls"
    if not by_mc:
        return Chart(key, title, "No call has a recorded MC yet.", [], [])
    year_ago = calls[-1].date - dt.timedelta(days=365)
    ranked = sorted(by_mc.values(), key=lambda t: (t.dates[-1], t.name), reverse=True)
    stale = [t for t in ranked if t.dates[-1] < year_ago]
    shown = ranked[:ROTA_ROWS]
    description = (
        f"{len(ranked)} people have led calls; the {len(shown)} who led most "
        f"recently are drawn, a dot per call. {len(stale)} of all MCs had not led "
        f"a call in the year before the latest call (since {year_ago.isoformat()}; "
        f"hollow dots, names in grey)."
    )
    left, right, top, row_h = 150, WIDTH - 40, 6, 18
    bottom = top + len(shown) * row_h
    parts = svg_open(key, title, description, bottom + 22)
    first, last = calls[0].date, calls[-1].date
    x = time_axis(
        parts, first=first, last=last, left=left, right=right, baseline=bottom
    )
    for row, turns in enumerate(shown):
        y = top + row * row_h + row_h / 2
        old = turns.dates[-1] < year_ago
        name = turns.name if len(turns.name) <= 22 else turns.name[:21] + "…"
        parts.append(
            f'<text class="label{" old" if old else ""}" x="{left - 8}" '
            f'y="{y + 4:.1f}" text-anchor="end">{esc(name)}</text>'
            f'<line class="grid" x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        dot = "dot stale" if old else "dot c-mc"
        parts += [
            f'<circle class="{dot}" cx="{x(day):.1f}" cy="{y:.1f}" r="4"/>'
            for day in turns.dates
        ]
        parts.append(
            f'<text class="tick" x="{right + 8}" y="{y + 4:.1f}">'
            f"{len(turns.dates)}</text>"
        )
    person_url = person_urls()
    table = [
        [
            Cell(t.name, person_url(t.handle)),
            num(len(t.dates)),
            Cell(t.dates[0].isoformat()),
            Cell(t.dates[-1].isoformat()),
            Cell("no" if t.dates[-1] < year_ago else "yes"),
        ]
        for t in ranked[:ROTA_TABLE_ROWS]
    ]
    regulars = sorted(stale, key=lambda t: (-len(t.dates), t.name))[:STALE_NAMED]
    summary = ""
    if regulars:
        summary = "Not MC in the year before the latest call: " + ", ".join(
            f"{t.name} ({len(t.dates)} call{'s' if len(t.dates) != 1 else ''}, "
            f"last {t.dates[-1].isoformat()})"
            for t in regulars
        )
        if len(stale) > len(regulars):
            summary += f", and {len(stale) - len(regulars)} more"
        summary += "."
    note = ""
    if len(ranked) > ROTA_TABLE_ROWS:
        note = (
            f"The table lists the {ROTA_TABLE_ROWS} most recent of {len(ranked)} MCs."
        )
    return Chart(
        key,
        title,
        description,
        [
            ("MC", False),
            ("Calls led", True),
            ("First", False),
            ("Latest", False),
            ("Led in the year before the latest call", False),
        ],
        table,
        close(parts),
        legend=[
            ("c-mc", "led in the year before the latest call"),
            ("stale", "not in that year"),
        ],
        note=note,
        summary=summary,
        facts={"mcs": len(ranked), "stale": len(stale)},
    )


def minutes_booked(series, calls: list[SeriesCall], booked: dict[int, int]) -> Chart:
    """Minutes booked on the agenda against the call's length, per call (0 queries).

    `booked` maps meeting pk to the minutes its booked items requested (the agenda
    app's AgendaItem.objects.booked_minutes()).
    """
    calls = calls[-MINUTES_CALLS:]
    key = "minutes"
    title = "Minutes booked on the agenda against the call's length"
    if not calls:
        return Chart(key, title, "No finalized calls yet.", [], [])
    over = [c for c in calls if booked.get(c.pk, 0) > c.length]
    description = (
        f"The last {len(calls)} calls, from {calls[0].date} to {calls[-1].date}: a "
        f"bar per call for the minutes its agenda items asked for, a line for the "
        f"call's length. {len(over)} of them were booked beyond their length."
    )
    left, right, top, bottom = 40, WIDTH - 8, 8, 170
    parts = svg_open(key, title, description, bottom + 22)
    peak = max(max(booked.get(c.pk, 0), c.length) for c in calls)
    y = y_axis(
        parts, top_value=peak, left=left, right=right, top=top, bottom=bottom, unit="′"
    )
    slot = (right - left) / len(calls)
    bar = max(1.0, slot * 0.7)
    last_year = None
    for i, call in enumerate(calls):
        x = left + i * slot + (slot - bar) / 2
        minutes = booked.get(call.pk, 0)
        css = "bar c-over" if minutes > call.length else "bar c-booked"
        parts.append(
            f'<rect class="{css}" x="{x:.1f}" y="{y(minutes):.1f}" width="{bar:.1f}" '
            f'height="{bottom - y(minutes):.1f}"/><line class="c-len" '
            f'x1="{x - 1:.1f}" x2="{x + bar + 1:.1f}" y1="{y(call.length):.1f}" '
            f'y2="{y(call.length):.1f}"/>'
        )
        if call.date.year != last_year:
            parts.append(
                f'<text class="tick" x="{x:.1f}" y="{bottom + 16}">{call.date.year}'
                "</text>"
            )
            last_year = call.date.year
    parts.append(
        f'<line class="axis" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>'
    )
    table = [
        [
            Cell(
                c.date.isoformat() + ("" if c.ordinal == 1 else f"-{c.ordinal}"), c.url
            ),
            num(booked.get(c.pk, 0)),
            num(c.length),
            num(max(0, booked.get(c.pk, 0) - c.length)),
        ]
        for c in calls
    ]
    return Chart(
        key,
        title,
        description,
        [
            ("Call", False),
            ("Minutes booked", True),
            ("Length", True),
            ("Over by", True),
        ],
        table,
        close(parts),
        legend=[
            ("c-booked", "booked within the length"),
            ("c-over", "booked beyond it"),
            ("c-len", "the call's length"),
        ],
    )


# Releases: a timeline of the release teams ----------------------------------


def release_timeline(teams: list[ReleaseTeam]) -> Chart:
    """A bar per team from the call that formed it to its release (0 queries).

    `teams` come with lead, meeting and members loaded, as the releases page has
    them. A team with no date at all is left out of the picture and the table.
    """
    dated = []
    for team in teams:
        formed = team.meeting.date if team.meeting else None
        days = [d for d in (formed, team.planned_date, team.released_on) if d]
        if days:
            dated.append((min(days), max(days), formed, team))
    dated.sort(key=lambda row: (row[0], row[3].version), reverse=True)
    shown = dated[:RELEASE_ROWS]
    key = "releases"
    title = "Release teams over time"
    if not shown:
        return Chart(key, title, "No release team has a date yet.", [], [])
    first = min(row[0] for row in shown)
    last = max(row[1] for row in shown)
    released = sum(1 for row in shown if row[3].released_on)
    description = (
        f"The {len(shown)} most recent of {len(teams)} release teams, newest on top, "
        f"from {first} to {last}: a bar from the call that formed the team to its "
        f"planned or actual release, a diamond at the planned date, a dot on the "
        f"release day; {released} of them have shipped."
    )
    left, right, top, row_h = 90, WIDTH - 150, 6, 18
    bottom = top + len(shown) * row_h
    parts = svg_open(key, title, description, bottom + 22)
    x = time_axis(
        parts, first=first, last=last, left=left, right=right, baseline=bottom
    )
    for row, (start, end, _formed, team) in enumerate(shown):
        y = top + row * row_h + row_h / 2
        x0, x1 = x(start), x(end)
        lead = team.lead.display_name if team.lead else "lead to be found"
        parts.append(
            f'<text class="label" x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{esc(team.version[:12])}</text>"
            f'<rect class="bar c-team" x="{x0:.1f}" y="{y - 4:.1f}" '
            f'width="{max(3.0, x1 - x0):.1f}" height="8" rx="3"/>'
        )
        if team.planned_date:
            px = x(team.planned_date)
            parts.append(
                f'<path class="c-planned" d="M{px:.1f} {y - 6:.1f}l6 6-6 6-6-6z"/>'
            )
        if team.released_on:
            parts.append(
                f'<circle class="dot c-released" cx="{x(team.released_on):.1f}" '
                f'cy="{y:.1f}" r="4"/>'
            )
        parts.append(
            f'<text class="tick" x="{max(x1, x0 + 3) + 10:.1f}" y="{y + 4:.1f}">'
            f"{esc(lead[:24])}</text>"
        )
    table, person_url = [], person_urls()
    releases = reverse("meetings:releases")
    for _start, _end, formed, team in shown:
        lead = team.lead
        table.append(
            [
                Cell(team.version, f"{releases}#release-{team.version}"),
                Cell(lead.display_name, person_url(lead.github_handle))
                if lead
                else Cell("to be found"),
                Cell(", ".join(p.display_name for p in team.members.all()) or "none"),
                Cell(formed.isoformat() if formed else ""),
                Cell(team.planned_date.isoformat() if team.planned_date else ""),
                Cell(team.released_on.isoformat() if team.released_on else ""),
            ]
        )
    return Chart(
        key,
        title,
        description,
        [
            ("Release", False),
            ("Lead", False),
            ("Helpers", False),
            ("Formed", False),
            ("Planned", False),
            ("Released", False),
        ],
        table,
        close(parts),
        legend=[
            ("c-team", "formed to release"),
            ("c-planned", "planned"),
            ("c-released", "released"),
        ],
    )


# References: the repositories and issues most discussed, per quarter --------

WINDOW_QUARTERS = 4  # the references page shows a year at a time
QUARTER_KEY = re.compile(r"([1-9][0-9]{3})-Q([1-4])")
QUARTER_ENDS = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}


class Quarter(NamedTuple):
    """A calendar quarter: its label is "2024 Q4", its key in URLs "2024-Q4"."""

    year: int
    quarter: int

    def __str__(self):
        return quarter_of(self.year, self.quarter)

    @classmethod
    def of(cls, day: dt.date) -> "Quarter":
        return cls(day.year, (day.month + 2) // 3)

    @classmethod
    def from_key(cls, value: str) -> "Quarter | None":
        """The quarter a URL names ("2024-Q4"), None for anything else."""
        match = QUARTER_KEY.fullmatch(value)
        return cls(int(match[1]), int(match[2])) if match else None

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, *QUARTER_ENDS[self.quarter])

    def shift(self, quarters: int) -> "Quarter":
        index = self.year * 4 + self.quarter - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)


class Ref(NamedTuple):
    """One finalized call's reference to an issue, owner and repository in the
    one spelling the window shows them in (spellings()): the references page
    counts these."""

    quarter: Quarter
    date: dt.date
    owner: str
    repo: str
    number: int


def references_between(first: Quarter, last: Quarter) -> list[Ref]:
    """The references in finalized notes of calls dated from `first` to `last`
    (2 queries: the calls along their (status, date) index, then their references
    by call), each repository under its one spelling (spellings()).

    Not a join, nor IN (subquery): PostgreSQL would rather hash the whole
    references table than look the year's calls up in it, work that grows with
    the archive. A list of call ids is looked up along the references' call index.
    The spelling is chosen among these rows alone, for the same reason: a
    repository's spelling on one year's page does not read the other years.
    """
    calls = {
        pk: (Quarter.of(day), day)
        for pk, day in Meeting.objects.finalized()
        .filter(date__gte=first.first_day, date__lte=last.last_day)
        .order_by()
        .values_list("pk", "date")
    }
    rows = list(
        GitHubReference.objects.filter(meeting_id__in=list(calls))
        .order_by()
        .values_list("meeting_id", "owner", "repo", "number")
    )
    spelling = spellings((owner, repo) for _call, owner, repo, _n in rows)
    return [
        Ref(*calls[call], *spelling[owner, repo], number)
        for call, owner, repo, number in rows
    ]


def spellings(
    repos: Iterable[tuple[str, str]],
) -> dict[tuple[str, str], tuple[str, str]]:
    """Map each (owner, repo) as written to the one spelling shown for it.

    GitHub's owner and repository names are case-insensitive, so notes that
    write falcosecurity/Falco and falcosecurity/falco name one repository (one
    row per call and issue already: Meeting.sync_github_references). It is
    shown as most of the given references spell it; a tie goes to the spelling
    first in code-point order ("Falco" before "falco"), so the choice depends on
    the rows alone, not on the order the database returns them in.
    """
    uses = Counter(repos)
    best: dict[tuple[str, str], tuple[str, str]] = {}
    for written, n in uses.items():
        key = (written[0].lower(), written[1].lower())
        chosen = best.get(key)
        if chosen is None or (-n, written) < (-uses[chosen], chosen):
            best[key] = written
    return {written: best[written[0].lower(), written[1].lower()] for written in uses}


def quarter_of(year: int, quarter: int) -> str:
    return f"{year} Q{quarter}"


@dataclass
class ReferencesWindow:
    """What the references page shows: up to WINDOW_QUARTERS quarters of
    references, and where the windows before and after it end."""

    chart: Chart
    most_discussed: list[dict]
    first: Quarter | None = None  # None: no finalized call has references
    last: Quarter | None = None
    earlier: Quarter | None = None  # the `until` of the window before
    later: Quarter | None = None  # ... after; the newest window has no `until`
    later_is_newest: bool = False
    # The query string that shows this window ("until=2024-Q4"), "" for the
    # newest: what the page cache keys the page by.
    query: str = ""


def references_window(
    until: Quarter | None = None, *, size: int = WINDOW_QUARTERS
) -> ReferencesWindow:
    """The `size` quarters ending with `until` (default: the newest quarter with
    references), and the earlier and later windows (3 queries).

    A window starts `size` quarters before its end whatever the archive's length,
    so the page costs the same at 50 calls as at 2,000. An `until` past the newest
    quarter shows the newest window, one before the oldest the oldest window.
    """
    bounds = reference_bounds()
    if bounds is None:
        return ReferencesWindow(references_chart([], {}), [])
    oldest, newest = Quarter.of(bounds[0]), Quarter.of(bounds[1])
    if until is None or until >= newest:
        last = newest
    elif until < oldest:
        last = min(oldest.shift(size - 1), newest)
    else:
        last = until
    first = last.shift(1 - size)
    refs = references_between(first, last)
    chart = references_chart(
        references_by_quarter(refs),
        most_discussed_per_quarter(refs),
        empty=f"No finalized call referenced GitHub from {first} to {last}.",
    )
    later = None
    if last < newest:
        later = min(last.shift(size), newest)
    return ReferencesWindow(
        chart,
        most_discussed(refs),
        first=first,
        last=last,
        earlier=first.shift(-1) if oldest < first else None,
        later=later,
        later_is_newest=later == newest,
        query=f"until={last.key}" if last != newest else "",
    )


def reference_bounds() -> tuple[dt.date, dt.date] | None:
    """The dates of the oldest and newest finalized calls with references, None
    when there is none (1 query, along the calls' (status, date) index)."""
    with_refs = Meeting.objects.finalized().filter(
        models.Exists(GitHubReference.objects.filter(meeting=models.OuterRef("pk")))
    )
    oldest = with_refs.order_by("date").values("date")[:1]
    return (
        with_refs.order_by("-date")
        .annotate(oldest=models.Subquery(oldest))
        .values_list("oldest", "date")
        .first()
    )


def references_by_quarter(refs: list[Ref]) -> list[dict]:
    """(year, quarter, owner, repo, n) rows of `refs`, in that order."""
    counts = Counter((ref.quarter, ref.owner, ref.repo) for ref in refs)
    return [
        {"year": q.year, "quarter": q.quarter, "owner": owner, "repo": repo, "n": n}
        for (q, owner, repo), n in sorted(counts.items())
    ]


def references_chart(
    per_quarter,
    top_issues,
    *,
    empty: str = "No finalized call has referenced GitHub yet.",
) -> Chart:
    """Draw references_by_quarter() with most_discussed_per_quarter() (0 queries).

    A reference is one call mentioning one issue or pull request; each
    repository comes under one spelling (spellings()). The bars run from the
    first to the last quarter with references.
    """
    counts: dict[tuple[int, int], Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    for row in per_quarter:
        repo = f"{row['owner']}/{row['repo']}"
        counts[(row["year"], row["quarter"])][repo] += row["n"]
        totals[repo] += row["n"]
    key = "references"
    title = "References per quarter, by repository"
    if not counts:
        return Chart(key, title, empty, [], [])
    # Most references first, then by name: ties come out the same on every database.
    repos = sorted(totals, key=lambda repo: (-totals[repo], repo.lower(), repo))[
        :REPOS_SHOWN
    ]
    others = len(totals) - len(repos)
    quarters = quarter_range(min(counts), max(counts))
    busiest = max(quarters, key=lambda q: (counts[q].total(), q))
    description = (
        f"From {quarter_of(*quarters[0])} to {quarter_of(*quarters[-1])}: "
        f"{totals.total()} references to {len(totals)} repositories, a bar a "
        f"quarter split by repository ({', '.join(repos)}"
        f"{f' and {others} others' if others else ''}). The busiest quarter was "
        f"{quarter_of(*busiest)} with {counts[busiest].total()}."
    )
    left, right, top, bottom = 40, WIDTH - 8, 8, 190
    parts = svg_open(key, title, description, bottom + 22)
    peak = max(c.total() for c in counts.values())
    y = y_axis(parts, top_value=peak, left=left, right=right, top=top, bottom=bottom)
    slot = (right - left) / len(quarters)
    bar = max(1.0, slot * 0.8)
    every = max(1, math.ceil(len({q[0] for q in quarters}) / 12))
    for i, q in enumerate(quarters):
        x = left + i * slot + (slot - bar) / 2
        base = 0
        stack = [(f"c-repo-{n}", counts[q][repo]) for n, repo in enumerate(repos)]
        stack.append(("c-repo-other", counts[q].total() - sum(n for _c, n in stack)))
        for css, n in stack:
            if n:
                parts.append(
                    f'<rect class="bar {css}" x="{x:.1f}" y="{y(base + n):.1f}" '
                    f'width="{bar:.1f}" height="{y(base) - y(base + n):.1f}"/>'
                )
                base += n
        if q[1] == 1 and (q[0] - quarters[0][0]) % every == 0 or i == 0:
            parts.append(
                f'<text class="tick" x="{x:.1f}" y="{bottom + 16}">{q[0]}</text>'
            )
    parts.append(
        f'<line class="axis" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>'
    )
    table = []
    for q in reversed(quarters):
        issues = top_issues.get(q, [])
        table.append(
            [
                Cell(quarter_of(*q)),
                num(counts[q].total()),
                *(num(counts[q][repo]) for repo in repos),
                num(counts[q].total() - sum(counts[q][repo] for repo in repos)),
                Cell(", ".join(f"{ref} ({n})" for ref, n in issues)),
            ]
        )
    legend = [(f"c-repo-{n}", repo) for n, repo in enumerate(repos)]
    if others:
        legend.append(("c-repo-other", "other repositories"))
    return Chart(
        key,
        title,
        description,
        [
            ("Quarter", False),
            ("References", True),
            *((repo, True) for repo in repos),
            ("Other", True),
            (f"Most discussed (calls), top {TOP_ISSUES}", False),
        ],
        table,
        close(parts),
        legend=legend,
    )


def quarter_range(first: tuple[int, int], last: tuple[int, int]):
    quarters, (year, quarter) = [], first
    while (year, quarter) <= last:
        quarters.append((year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return quarters


def most_discussed_per_quarter(
    refs: list[Ref],
) -> dict[tuple[int, int], list[tuple[str, int]]]:
    """Each quarter's TOP_ISSUES most referenced issues of `refs`, "owner/repo#n"."""
    calls = Counter((ref.quarter, ref.owner, ref.repo, ref.number) for ref in refs)
    quarters = defaultdict(list)
    for (quarter, owner, repo, number), n in calls.items():
        quarters[quarter].append((-n, owner.lower(), repo.lower(), number, owner, repo))
    # Most calls first, then by name: ties come out the same on every database.
    return {
        quarter: [
            (f"{owner}/{repo}#{number}", -n)
            for n, _o, _r, number, owner, repo in heapq.nsmallest(TOP_ISSUES, issues)
        ]
        for quarter, issues in sorted(quarters.items())
    }


def most_discussed(refs: list[Ref], limit: int = 20) -> list[dict]:
    """The issues and pull requests of `refs` referenced by the most calls, then
    by the latest call, each with the URL of its page."""
    calls = Counter((ref.owner, ref.repo, ref.number) for ref in refs)
    latest: dict[tuple[str, str, int], dt.date] = {}
    for ref in refs:
        issue = (ref.owner, ref.repo, ref.number)
        if ref.date > latest.get(issue, dt.date.min):
            latest[issue] = ref.date
    top = heapq.nsmallest(
        limit,
        calls,
        key=lambda i: (
            -calls[i],
            -latest[i].toordinal(),
            i[0].lower(),
            i[1].lower(),
            i,
        ),
    )
    rows = [
        {
            "owner": owner,
            "repo": repo,
            "number": number,
            "calls": calls[owner, repo, number],
            "latest": latest[owner, repo, number],
        }
        for owner, repo, number in top
    ]
    # One reverse() for the whole list: a {% url %} per row costs more than
    # counting. Quoted as reverse() would (the admin can store any name).
    head, tail = reverse(
        "meetings:ref", kwargs={"owner": "OWNER", "repo": "REPO", "number": 1}
    ).split("OWNER/REPO/1")
    for row in rows:
        owner, repo = quote(row["owner"], safe=""), quote(row["repo"], safe="")
        row["url"] = f"{head}{owner}/{repo}/{row['number']}{tail}"
    return rows
