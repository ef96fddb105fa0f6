"""Check each chart's numbers against the database, counted another way.

meetings/charts.py folds rows in Python or groups them in SQL; these checks ask the
ORM plain questions (counts per year, per quarter, per meeting, per person) and
compare. Used on a factory-made community, on the large synthetic one and on the
imported Falco corpus.
"""

import datetime as dt
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from agenda.models import AgendaItem
from meetings import charts
from meetings.models import Attendance, GitHubReference, Meeting, ReleaseTeam
from people.models import Attendee

SVG = "{http://www.w3.org/2000/svg}"


def check_svg(chart) -> ET.Element:
    """Well-formed, titled and described SVG with no style attribute or script."""
    root = ET.fromstring(str(chart.svg))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == chart.title
    assert desc.text == chart.description
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    for element in root.iter():
        assert "style" not in element.attrib
        assert element.tag not in {f"{SVG}script", f"{SVG}style"}
    return root


def values(row) -> list[str]:
    return [cell.text for cell in row]


def week_of(day: dt.date) -> tuple[int, int]:
    return day.year, min(52, (day.timetuple().tm_yday - 1) // 7)


def check_person(person, *, today: dt.date) -> charts.PersonActivity:
    activity = charts.person_activity(person, today=today)
    finalized = Meeting.objects.finalized()
    joined = Attendance.objects.filter(
        attendee=person, meeting__status=Meeting.Status.FINALIZED
    )
    presented = finalized.filter(agenda_items__presenters=person).distinct()
    led = finalized.filter(mc=person)
    drawn_from = today.year - charts.HEATMAP_YEARS + 1
    table, earlier = {}, None
    for row in activity.chart.rows:
        label, *numbers = values(row)
        if "\u2013" in label or int(label) < drawn_from:
            # The years before the heatmap's, one row: "2007\u20132024" or "2024".
            assert earlier is None
            assert row is activity.chart.rows[-1]
            first, _dash, last = label.partition("\u2013")
            earlier = (int(first), int(last or first), [int(n) for n in numbers])
        else:
            table[int(label)] = [int(n) for n in numbers]
    assert all(year >= drawn_from for year in table)
    for year, (n_joined, n_presented, n_led) in table.items():
        assert n_joined == joined.filter(meeting__date__year=year).count(), year
        assert n_presented == presented.filter(date__year=year).count(), year
        assert n_led == led.filter(date__year=year).count(), year
    if earlier:
        first, last, (n_joined, n_presented, n_led) = earlier
        assert last == min(table) - 1
        span = {"date__year__gte": first, "date__year__lte": last}
        assert (
            n_joined
            == joined.filter(**{f"meeting__{k}": v for k, v in span.items()}).count()
        )
        assert n_presented == presented.filter(**span).count()
        assert n_led == led.filter(**span).count()
    assert activity.calls_joined == joined.count()
    assert f"{joined.count()} calls joined" in activity.chart.description or not table
    first = joined.aggregate(first=Min("meeting__date"))["first"]
    assert activity.first_call == first
    assert (
        activity.calls_this_year
        == joined.filter(meeting__date__year=today.year).count()
    )
    # The streak, walked one call at a time from the newest, over the series of
    # the calls they joined in the heatmap's years.
    attended = set(joined.values_list("meeting_id", flat=True))
    recent_series = joined.filter(meeting__date__year__gte=drawn_from).values(
        "meeting__series"
    )
    streak = 0
    for pk in (
        finalized.filter(series__in=recent_series)
        .order_by("-start", "-ordinal")
        .values_list("pk", flat=True)
    ):
        if pk not in attended:
            break
        streak += 1
    assert activity.streak == min(streak, charts.STREAK_COUNTED)
    assert activity.streak_capped == (streak > charts.STREAK_COUNTED)
    if table:
        root = check_svg(activity.chart)
        squares = {
            path.get("class"): path.get("d").count("M")
            for path in root.iter(f"{SVG}path")
        }
        days = set(
            finalized.filter(
                Q(pk__in=attended) | Q(mc=person) | Q(pk__in=presented.values("pk")),
                date__year__gte=drawn_from,
            ).values_list("date", flat=True)
        )
        weeks = {week_of(day) for day in days}
        coloured = sum(n for css, n in squares.items() if css != "lvl-none")
        assert coloured == len(weeks)
        assert squares.get("lvl-mc", 0) == len(
            {
                week_of(day)
                for day in led.filter(date__year__gte=drawn_from).values_list(
                    "date", flat=True
                )
            }
        )
        assert coloured + squares.get("lvl-none", 0) == 53 * len(table)
    return activity


def label_for(granularity: str, meeting: Meeting) -> str:
    day = meeting.date
    return {
        "Call": meeting.date_key,
        "Month": f"{day.year}-{day.month:02d}",
        "Quarter": f"{day.year} Q{(day.month + 2) // 3}",
        "Year": str(day.year),
    }[granularity]


def check_series(series, *, today: dt.date) -> dict:
    calls = charts.series_calls(series)
    attendance = charts.series_attendance(calls, charts.joined_by_call(series))
    meetings = list(
        Meeting.objects.finalized().filter(series=series).order_by("start", "ordinal")
    )
    rows = attendance.chart.rows
    assert len(calls) == len(meetings)
    if not meetings:
        assert rows == []
        return {}
    check_svg(attendance.chart)
    granularity = attendance.chart.columns[0][0]
    att = Attendance.objects.filter(
        meeting__series=series, meeting__status=Meeting.Status.FINALIZED
    )
    per_label_calls = Counter(label_for(granularity, m) for m in meetings)
    by_pk = {m.pk: m for m in meetings}
    per_label_att = Counter()
    for meeting_id, n in att.values_list("meeting").annotate(n=Count("pk")):
        per_label_att[label_for(granularity, by_pk[meeting_id])] += n
    # Each person's first call of the series, by start then ordinal (two calls
    # can share a start: "2019-07-25" and "2019-07-25-2").
    firsts = dict(
        Attendee.objects.filter(attendances__in=att)
        .distinct()
        .annotate(
            first=Subquery(
                att.filter(attendee=OuterRef("pk"))
                .order_by("meeting__start", "meeting__ordinal")
                .values("meeting")[:1]
            )
        )
        .values_list("pk", "first")
    )
    per_label_new = Counter(
        label_for(granularity, by_pk[first]) for first in firsts.values()
    )
    # Came back: for each first-timer, the next three calls of the series.
    order = {m.pk: i for i, m in enumerate(meetings)}
    attended = defaultdict(set)
    for meeting_id, attendee_id in att.values_list("meeting_id", "attendee_id"):
        attended[attendee_id].add(order[meeting_id])
    per_label_back = Counter()
    came_back = judged = 0
    for attendee_id, first in firsts.items():
        index = order[first]
        later = set(range(index + 1, index + 1 + charts.CAME_BACK_WITHIN))
        back = bool(attended[attendee_id] & later)
        came_back += back
        judged += back or index + charts.CAME_BACK_WITHIN < len(meetings)
        per_label_back[label_for(granularity, by_pk[first])] += back
    table = {row[0].text: [c.text for c in row[1:]] for row in rows}
    assert set(table) == set(per_label_calls)
    for label, (n_calls, new, returning, per_call, back) in table.items():
        assert int(n_calls) == per_label_calls[label], label
        assert int(new) == per_label_new[label], label
        assert int(new) + int(returning) == per_label_att[label], label
        assert float(per_call) == round(per_label_att[label] / int(n_calls), 1)
        assert int(back) == per_label_back[label], label
    assert attendance.first_timers == att.values("attendee").distinct().count()
    assert (attendance.came_back, attendance.judged) == (came_back, judged)
    if granularity == "Call":
        assert len(rows) <= charts.MAX_BARS

    rota = charts.mc_rota(series, calls)
    latest = meetings[-1].date
    year_ago = latest - dt.timedelta(days=365)
    per_mc = list(
        Meeting.objects.finalized()
        .filter(series=series, mc__isnull=False)
        .values("mc")
        .annotate(
            name=Min("mc__display_name"),
            n=Count("pk"),
            first=Min("date"),
            last=Max("date"),
        )
    )
    if not per_mc:
        assert rota.is_empty
    else:
        assert rota.facts == {
            "mcs": len(per_mc),
            "stale": sum(1 for row in per_mc if row["last"] < year_ago),
        }
    expected = Counter(
        (r["name"], str(r["n"]), r["first"].isoformat(), r["last"].isoformat())
        for r in per_mc
    )
    shown = Counter(tuple(values(row)[:4]) for row in rota.rows)
    assert not shown - expected
    assert len(rota.rows) == min(len(per_mc), charts.ROTA_TABLE_ROWS)
    for row in rota.rows:
        assert row[4].text == ("yes" if row[3].text >= year_ago.isoformat() else "no")
    if per_mc:
        root = check_svg(rota)
        dots = len(list(root.iter(f"{SVG}circle")))
        top = sorted(per_mc, key=lambda r: r["last"], reverse=True)
        assert dots == sum(r["n"] for r in top[: charts.ROTA_ROWS])

    recent = [c.pk for c in calls[-charts.MINUTES_CALLS :]]
    minutes = charts.minutes_booked(
        series,
        calls,
        AgendaItem.objects.filter(meeting__in=recent).booked_minutes(),
    )
    booked = {
        m.date_key: (m.booked, m.length_minutes or series.length_minutes)
        for m in Meeting.objects.filter(pk__in=recent).annotate(
            booked=Coalesce(
                Sum(
                    "agenda_items__requested_minutes",
                    filter=Q(
                        agenda_items__status__in=[
                            AgendaItem.Status.ACCEPTED,
                            AgendaItem.Status.DISCUSSED,
                        ]
                    ),
                ),
                0,
            )
        )
    }
    assert {
        row[0].text: (int(row[1].text), int(row[2].text)) for row in minutes.rows
    } == booked
    for row in minutes.rows:
        assert int(row[3].text) == max(0, int(row[1].text) - int(row[2].text))
    check_svg(minutes)
    return {"attendance": attendance, "rota": rota, "minutes": minutes}


def check_releases() -> charts.Chart:
    teams = list(
        ReleaseTeam.objects.select_related("lead", "meeting").prefetch_related(
            "members"
        )
    )
    chart = charts.release_timeline(teams)
    dated = [t for t in teams if t.meeting_id or t.planned_date or t.released_on]
    assert len(chart.rows) == min(len(dated), charts.RELEASE_ROWS)
    by_version = {t.version: t for t in teams}
    for row in chart.rows:
        version, lead, helpers, formed, planned, released = values(row)
        team = by_version[version]
        assert lead == (team.lead.display_name if team.lead else "to be found")
        assert helpers == (
            ", ".join(p.display_name for p in team.members.all()) or "none"
        )
        assert formed == (team.meeting.date.isoformat() if team.meeting else "")
        assert planned == (team.planned_date.isoformat() if team.planned_date else "")
        assert released == (team.released_on.isoformat() if team.released_on else "")
    if chart.rows:
        root = check_svg(chart)
        assert len(list(root.iter(f"{SVG}circle"))) == sum(
            1 for row in chart.rows if row[5].text
        )
    return chart


def check_references(until=None) -> charts.ReferencesWindow:
    """The references window ending with `until` (default: the newest) against
    the finalized references of its quarters, and its most discussed list."""
    window = charts.references_window(until)
    chart = window.chart
    refs = GitHubReference.objects.filter(meeting__status=Meeting.Status.FINALIZED)
    if window.first is None:
        assert not refs.exists()
        assert chart.is_empty
        assert window.most_discussed == []
        return window
    assert window.last.shift(1 - charts.WINDOW_QUARTERS) == window.first
    per_quarter = Counter()
    per_issue = defaultdict(Counter)
    per_issue_latest = {}
    written = defaultdict(Counter)  # each repository's spellings in the window
    for day, owner, repo, number in refs.values_list(
        "meeting__date", "owner", "repo", "number"
    ):
        quarter = charts.Quarter.of(day)
        if not window.first <= quarter <= window.last:
            continue
        written[f"{owner}/{repo}".lower()][f"{owner}/{repo}"] += 1
        issue = f"{owner.lower()}/{repo.lower()}#{number}"
        per_quarter[str(quarter)] += 1
        per_issue[str(quarter)][issue] += 1
        per_issue_latest[issue] = max(day, per_issue_latest.get(issue, day))
    table = {row[0].text: row for row in chart.rows}
    assert {q: int(row[1].text) for q, row in table.items() if row[1].text != "0"} == (
        dict(per_quarter)
    )
    # Each repository under one spelling: the most written, ties alphabetically.
    shown_as = {
        repo: min(uses, key=lambda spelling: (-uses[spelling], spelling))
        for repo, uses in written.items()
    }
    for name, _numeric in chart.columns[2:-2]:
        assert shown_as[name.lower()] == name
    for quarter, row in table.items():
        # Repositories' columns and "Other" add up to the quarter's total.
        assert sum(int(cell.text) for cell in row[2:-1]) == int(row[1].text)
        top = row[-1].text
        if not per_issue[quarter]:
            assert top == ""
            continue
        first, count = top.split(", ")[0].rsplit(" (", 1)
        assert shown_as[first.split("#")[0].lower()] == first.split("#")[0]
        assert int(count.rstrip(")")) == max(per_issue[quarter].values())
        assert per_issue[quarter][first.lower()] == int(count.rstrip(")"))
    # Most discussed: the window's issues by calls, then the latest call.
    calls = sum(per_issue.values(), Counter())
    expected = sorted(
        calls, key=lambda i: (-calls[i], -per_issue_latest[i].toordinal())
    )
    shown = [
        f"{r['owner']}/{r['repo']}#{r['number']}".lower() for r in window.most_discussed
    ]
    assert len(shown) == min(20, len(calls))
    assert [calls[i] for i in shown] == [calls[i] for i in expected[: len(shown)]]
    for row in window.most_discussed:
        assert shown_as[f"{row['owner']}/{row['repo']}".lower()] == (
            f"{row['owner']}/{row['repo']}"
        )
        assert (
            row["url"]
            == GitHubReference(
                owner=row["owner"], repo=row["repo"], number=row["number"]
            ).get_absolute_url()
        )
    if chart.rows:
        check_svg(chart)
    return window


def check_reference_windows() -> int:
    """Walk the references page from the newest year to the oldest by its
    "earlier" links and back by its "later" links: every quarter with references
    is shown exactly once on the way down, and the way up retraces it."""
    refs = GitHubReference.objects.filter(meeting__status=Meeting.Status.FINALIZED)
    windows, until = [], None
    while True:
        window = check_references(until)
        windows.append(window)
        if window.earlier is None:
            break
        assert window.earlier == window.first.shift(-1)
        until = window.earlier
    assert windows[0].query == ""
    assert windows[0].later is None
    shown = sum(int(row[1].text) for w in windows for row in w.chart.rows)
    assert shown == refs.count()
    # Back up: each window's "later" is the window above it, the newest plain.
    for below, above in zip(windows[1:], windows[:-1], strict=True):
        assert below.later == above.last
        assert below.later_is_newest == (above.query == "")
    return len(windows)
