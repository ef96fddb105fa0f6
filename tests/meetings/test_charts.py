"""The charts of issue 16 on a small, hand-counted community."""

import datetime as dt

import pytest
from django.utils import timezone

from agenda.models import AgendaItem
from meetings import charts
from meetings.models import Meeting
from tests import chart_checks
from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    AttendeeFactory,
    GitHubReferenceFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    ReleaseTeamFactory,
)
from tests.public_data import Community

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def five_calls():
    """Five weekly calls: Ann at all, Bo at the first and last, Cy at the second."""
    series = MeetingSeriesFactory(slug="weekly", length_minutes=30)
    ann = AttendeeFactory(display_name="Ann", github_handle="ann")
    bo = AttendeeFactory(display_name="Bo", github_handle="bo")
    cy = AttendeeFactory(display_name="Cy", github_handle="cy")
    start = dt.datetime(2026, 5, 6, 16, tzinfo=dt.UTC)
    calls = [
        MeetingFactory(
            series=series, start=start + dt.timedelta(weeks=i), mc=[ann, bo][i % 2]
        )
        for i in range(5)
    ]
    for call in calls:
        AttendanceFactory(meeting=call, attendee=ann)
    AttendanceFactory(meeting=calls[0], attendee=bo)
    AttendanceFactory(meeting=calls[4], attendee=bo)
    AttendanceFactory(meeting=calls[1], attendee=cy)
    # Minutes: 20 discussed + 15 accepted on the first call (over its 30), a
    # declined and a proposed item that book nothing.
    item = AgendaItemFactory(meeting=calls[0], requested_minutes=20)
    item.presenters.add(cy)
    AgendaItemFactory(
        meeting=calls[0], requested_minutes=15, status=AgendaItem.Status.ACCEPTED
    )
    AgendaItemFactory(
        meeting=calls[1], requested_minutes=60, status=AgendaItem.Status.DECLINED
    )
    AgendaItemFactory(
        meeting=calls[1], requested_minutes=60, status=AgendaItem.Status.PROPOSED
    )
    # A draft call never counts.
    draft = MeetingFactory(
        series=series,
        start=start + dt.timedelta(weeks=5),
        status=Meeting.Status.HELD,
        mc=cy,
    )
    AttendanceFactory(meeting=draft, attendee=cy)
    return series, (ann, bo, cy), calls


def test_attendance_counts_first_timers_and_who_came_back(five_calls):
    series, _people, _calls = five_calls
    calls = charts.series_calls(series)
    attendance = charts.series_attendance(calls, charts.joined_by_call(series))
    assert [chart_checks.values(row) for row in attendance.chart.rows] == [
        ["2026-05-06", "1", "2", "0", "2.0", "1"],
        ["2026-05-13", "1", "1", "1", "2.0", "0"],
        ["2026-05-20", "1", "0", "1", "1.0", "0"],
        ["2026-05-27", "1", "0", "1", "1.0", "0"],
        ["2026-06-03", "1", "0", "2", "2.0", "0"],
    ]
    # Ann came back; Bo (back only at the 4th call after) and Cy did not.
    assert (attendance.first_timers, attendance.came_back, attendance.judged) == (
        3,
        1,
        3,
    )
    assert attendance.chart.rows[0][0].url == "/calls/weekly/2026-05-06/"
    chart_checks.check_series(series, today=TODAY)


def test_mc_rota_and_who_has_not_led_for_a_year(five_calls):
    series, (ann, bo, _cy), _calls = five_calls
    old = MeetingFactory(
        series=series, start=dt.datetime(2024, 1, 3, 16, tzinfo=dt.UTC), mc=None
    )
    old.mc = AttendeeFactory(display_name="Dee", github_handle="dee")
    old.save()
    rota = charts.mc_rota(series, charts.series_calls(series))
    assert [chart_checks.values(row) for row in rota.rows] == [
        ["Ann", "3", "2026-05-06", "2026-06-03", "yes"],
        ["Bo", "2", "2026-05-13", "2026-05-27", "yes"],
        ["Dee", "1", "2024-01-03", "2024-01-03", "no"],
    ]
    assert rota.rows[0][0].url == "/people/ann/"
    assert rota.facts == {"mcs": 3, "stale": 1}
    assert rota.summary == (
        "Not MC in the year before the latest call: Dee (1 call, last 2024-01-03)."
    )
    root = chart_checks.check_svg(rota)
    circles = list(root.iter(f"{chart_checks.SVG}circle"))
    assert len(circles) == 6
    assert sum(c.get("class") == "dot stale" for c in circles) == 1
    chart_checks.check_series(series, today=TODAY)


def test_minutes_booked_count_accepted_and_discussed_items_only(five_calls):
    series, _people, calls = five_calls
    chart = chart_checks.check_series(series, today=TODAY)["minutes"]
    assert chart_checks.values(chart.rows[0]) == ["2026-05-06", "35", "30", "5"]
    assert chart_checks.values(chart.rows[1]) == ["2026-05-13", "0", "30", "0"]
    assert "1 of them were booked beyond" in chart.description
    root = chart_checks.check_svg(chart)
    bars = [r.get("class") for r in root.iter(f"{chart_checks.SVG}rect")]
    assert bars == ["bar c-over"] + ["bar c-booked"] * 4


def test_person_heatmap_first_call_this_year_and_streak(five_calls):
    _series, (ann, bo, cy), _calls = five_calls
    activity = chart_checks.check_person(ann, today=TODAY)
    assert (activity.first_call, activity.calls_this_year, activity.streak) == (
        dt.date(2026, 5, 6),
        5,
        5,
    )
    assert [chart_checks.values(r) for r in activity.chart.rows] == [
        ["2026", "5", "0", "3"]
    ]
    assert chart_checks.check_person(bo, today=TODAY).streak == 1
    # Cy presented at the first call, joined the second, then missed three.
    cy_activity = chart_checks.check_person(cy, today=TODAY)
    assert cy_activity.streak == 0
    assert [chart_checks.values(r) for r in cy_activity.chart.rows] == [
        ["2026", "1", "1", "0"]
    ]
    nobody = AttendeeFactory()
    empty = chart_checks.check_person(nobody, today=TODAY)
    assert (empty.first_call, empty.streak, empty.chart.rows) == (None, 0, [])
    assert empty.chart.description == f"{nobody.display_name} has no calls yet."


def test_heatmap_draws_the_latest_years_and_sums_the_ones_before(five_calls):
    _series, (ann, _bo, _cy), _calls = five_calls
    MeetingFactory(start=dt.datetime(2023, 12, 31, 12, tzinfo=dt.UTC), mc=ann)
    activity = chart_checks.check_person(ann, today=dt.date(2027, 2, 1))
    assert charts.HEATMAP_YEARS == 2
    assert [chart_checks.values(r) for r in activity.chart.rows] == [
        ["2027", "0", "0", "0"],
        ["2026", "5", "0", "3"],
        ["2023\u20132025", "0", "0", "1"],
    ]
    assert activity.chart.description.startswith(
        "From 2023 to 2027: 5 calls joined, presented at 0, led 4 as MC."
    )
    assert "The years before 2026 are one row of the table." in (
        activity.chart.description
    )
    # One year before the drawn ones is named alone.
    assert (
        chart_checks.check_person(ann, today=dt.date(2025, 2, 1)).chart.rows[-1][0].text
        == "2023"
    )


def test_a_long_streak_is_counted_up_to_a_bound(five_calls, monkeypatch):
    _series, (ann, _bo, _cy), _calls = five_calls
    monkeypatch.setattr(charts, "STREAK_COUNTED", 3)
    activity = chart_checks.check_person(ann, today=TODAY)
    assert (activity.streak, activity.streak_capped) == (3, True)
    monkeypatch.setattr(charts, "STREAK_COUNTED", 5)
    activity = chart_checks.check_person(ann, today=TODAY)
    assert (activity.streak, activity.streak_capped) == (5, False)


def test_release_timeline():
    lead = AttendeeFactory(display_name="Lee")
    helper = AttendeeFactory(display_name="Hel")
    formed = MeetingFactory(start=dt.datetime(2025, 3, 5, 16, tzinfo=dt.UTC))
    team = ReleaseTeamFactory(
        version="1.2.0",
        lead=lead,
        meeting=formed,
        planned_date=dt.date(2025, 4, 1),
        released_on=dt.date(2025, 4, 3),
    )
    team.members.add(helper)
    ReleaseTeamFactory(version="1.3.0", lead=None, meeting=None)  # no date at all
    ReleaseTeamFactory(
        version="1.4.0", lead=None, meeting=None, planned_date=dt.date(2025, 9, 1)
    )
    chart = chart_checks.check_releases()
    assert [chart_checks.values(r) for r in chart.rows] == [
        ["1.4.0", "to be found", "none", "", "2025-09-01", ""],
        ["1.2.0", "Lee", "Hel", "2025-03-05", "2025-04-01", "2025-04-03"],
    ]
    assert chart.rows[1][0].url == "/releases/#release-1.2.0"
    assert "1 of them have shipped" in chart.description


def test_references_per_quarter_by_repository():
    q1 = MeetingFactory(start=dt.datetime(2025, 2, 5, 16, tzinfo=dt.UTC))
    q1b = MeetingFactory(start=dt.datetime(2025, 3, 5, 16, tzinfo=dt.UTC))
    q3 = MeetingFactory(start=dt.datetime(2025, 8, 6, 16, tzinfo=dt.UTC))
    draft = MeetingFactory(
        start=dt.datetime(2025, 8, 13, 16, tzinfo=dt.UTC), status=Meeting.Status.HELD
    )
    for meeting in (q1, q1b):
        GitHubReferenceFactory(meeting=meeting, owner="Org", repo="App", number=7)
    GitHubReferenceFactory(meeting=q1, owner="org", repo="lib", number=1)
    GitHubReferenceFactory(meeting=q3, owner="org", repo="lib", number=2)
    GitHubReferenceFactory(meeting=draft, owner="org", repo="lib", number=3)
    window = chart_checks.check_references()
    assert (window.first, window.last) == ((2024, 4), (2025, 3))
    chart = window.chart
    assert chart.columns[2:4] == [("Org/App", True), ("org/lib", True)]
    assert [chart_checks.values(r) for r in chart.rows] == [
        ["2025 Q3", "1", "0", "1", "0", "org/lib#2 (1)"],
        ["2025 Q2", "0", "0", "0", "0", ""],
        ["2025 Q1", "3", "2", "1", "0", "Org/App#7 (2), org/lib#1 (1)"],
    ]
    assert window.most_discussed == [
        {
            "owner": "Org",
            "repo": "App",
            "number": 7,
            "calls": 2,
            "latest": dt.date(2025, 3, 5),
            "url": "/refs/Org/App/7/",
        },
        {
            "owner": "org",
            "repo": "lib",
            "number": 2,
            "calls": 1,
            "latest": dt.date(2025, 8, 6),
            "url": "/refs/org/lib/2/",
        },
        {
            "owner": "org",
            "repo": "lib",
            "number": 1,
            "calls": 1,
            "latest": dt.date(2025, 2, 5),
            "url": "/refs/org/lib/1/",
        },
    ]
    assert (window.earlier, window.later, window.query) == (None, None, "")


def test_references_count_the_years_finalized_calls_and_nothing_else(client):
    """Hand-counted: the year's finalized calls, its first and last days included,
    and none of the older archive, the day before, drafts or coming calls; ties
    go to the latest call, then by name."""

    def call(day: dt.date, *refs: str, status=Meeting.Status.FINALIZED):
        meeting = MeetingFactory(
            start=dt.datetime.combine(day, dt.time(16), dt.UTC), status=status
        )
        for ref in refs:
            owner_repo, number = ref.split("#")
            owner, repo = owner_repo.split("/")
            GitHubReferenceFactory(
                meeting=meeting, owner=owner, repo=repo, number=int(number)
            )

    # An archive longer than the year, naming the year's issues too.
    for week in range(104):
        call(dt.date(2023, 1, 4) + dt.timedelta(weeks=week), "org/app#1", "org/lib#3")
    call(dt.date(2024, 12, 31), "org/app#1", "org/lib#3")
    call(dt.date(2025, 1, 1), "org/app#1", "Org/Lib#2")
    call(dt.date(2025, 2, 5), "org/app#1", "org/lib#3")
    call(dt.date(2025, 5, 6), "other/tool#9")
    call(dt.date(2025, 6, 4), "org/app#1", status=Meeting.Status.HELD)
    call(dt.date(2025, 8, 6), "org/lib#2", "org/lib#3")
    call(dt.date(2025, 12, 31), "ORG/LIB#3", "other/tool#9")
    call(dt.date(2026, 1, 7), "org/app#1", status=Meeting.Status.SCHEDULED)

    window = chart_checks.check_references()
    assert (window.first, window.last) == ((2025, 1), (2025, 4))
    chart = window.chart
    # org/app and other/tool tie at 2: by name.
    assert chart.columns[2:5] == [
        ("org/lib", True),
        ("org/app", True),
        ("other/tool", True),
    ]
    assert [chart_checks.values(r) for r in chart.rows] == [
        ["2025 Q4", "2", "1", "0", "1", "0", "org/lib#3 (1), other/tool#9 (1)"],
        ["2025 Q3", "2", "2", "0", "0", "0", "org/lib#2 (1), org/lib#3 (1)"],
        ["2025 Q2", "1", "0", "0", "1", "0", "other/tool#9 (1)"],
        [
            "2025 Q1",
            "4",
            "2",
            "2",
            "0",
            "0",
            "org/app#1 (2), org/lib#2 (1), org/lib#3 (1)",
        ],
    ]
    assert [
        (f"{r['owner']}/{r['repo']}#{r['number']}", r["calls"], r["latest"])
        for r in window.most_discussed
    ] == [
        ("org/lib#3", 3, dt.date(2025, 12, 31)),
        ("other/tool#9", 2, dt.date(2025, 12, 31)),
        ("org/lib#2", 2, dt.date(2025, 8, 6)),
        ("org/app#1", 2, dt.date(2025, 2, 5)),
    ]
    html = client.get("/refs/").content.decode()
    assert (
        '<a href="/refs/org/lib/3/">org/lib#3</a></td><td class="num">3</td>'
        "<td>2025-12-31</td>"
    ) in html
    assert "9 references to 3 repositories" in html


def test_references_fold_the_case_of_owner_and_repo_across_calls(client):
    """Calls that capitalise a repository differently discuss one repository and
    one issue: counted, ranked and linked once, under its most written spelling
    (a tie: the first in code-point order)."""

    def call(day: dt.date, *refs: str):
        meeting = MeetingFactory(start=dt.datetime.combine(day, dt.time(16), dt.UTC))
        for ref in refs:
            owner_repo, number = ref.split("#")
            owner, repo = owner_repo.split("/")
            GitHubReferenceFactory(
                meeting=meeting, owner=owner, repo=repo, number=int(number)
            )
        return meeting

    falco = [
        call(dt.date(2025, 1, 8), "falcosecurity/Falco#12", "Org/Tool#1"),
        call(dt.date(2025, 2, 5), "falcosecurity/falco#12"),
        call(dt.date(2025, 5, 7), "FalcoSecurity/falco#12", "falcosecurity/falco#3"),
    ]
    call(dt.date(2025, 8, 6), "org/tool#1")
    call(dt.date(2025, 11, 5), "acme/widget#5")
    call(dt.date(2025, 12, 3), "acme/widget#5")

    window = chart_checks.check_references()
    # falcosecurity/falco is written so twice, each other way once; Org/Tool and
    # org/tool once each: "O" comes before "o".
    assert [
        (f"{r['owner']}/{r['repo']}#{r['number']}", r["calls"], r["url"])
        for r in window.most_discussed
    ] == [
        ("falcosecurity/falco#12", 3, "/refs/falcosecurity/falco/12/"),
        ("acme/widget#5", 2, "/refs/acme/widget/5/"),
        ("Org/Tool#1", 2, "/refs/Org/Tool/1/"),
        ("falcosecurity/falco#3", 1, "/refs/falcosecurity/falco/3/"),
    ]
    chart = window.chart
    # acme/widget and Org/Tool tie at 2: by name, whatever the case.
    assert chart.columns[2:5] == [
        ("falcosecurity/falco", True),
        ("acme/widget", True),
        ("Org/Tool", True),
    ]
    assert [chart_checks.values(r) for r in chart.rows] == [
        ["2025 Q4", "2", "0", "2", "0", "0", "acme/widget#5 (2)"],
        ["2025 Q3", "1", "0", "0", "1", "0", "Org/Tool#1 (1)"],
        [
            "2025 Q2",
            "2",
            "2",
            "0",
            "0",
            "0",
            "falcosecurity/falco#3 (1), falcosecurity/falco#12 (1)",
        ],
        [
            "2025 Q1",
            "3",
            "2",
            "0",
            "1",
            "0",
            "falcosecurity/falco#12 (2), Org/Tool#1 (1)",
        ],
    ]

    html = client.get("/refs/").content.decode()
    assert "8 references to 3 repositories" in html
    assert (
        '<a href="/refs/falcosecurity/falco/12/">falcosecurity/falco#12</a></td>'
        '<td class="num">3</td><td>2025-05-07</td>'
    ) in html
    assert "falcosecurity/Falco" not in html
    assert "FalcoSecurity" not in html
    assert "org/tool" not in html
    # The link lists every call, however it spelled the repository.
    issue = client.get("/refs/falcosecurity/falco/12/").content.decode()
    assert [m.get_absolute_url() in issue for m in falco] == [True, True, True]
    assert "Calls that discussed falcosecurity/falco#12" in issue


def test_reference_spelling_does_not_depend_on_row_order():
    written = [("b", "X"), ("acme", "w"), ("B", "x"), ("ACME", "W"), ("acme", "W")]
    expected = {
        ("b", "X"): ("B", "x"),
        ("B", "x"): ("B", "x"),
        ("acme", "w"): ("ACME", "W"),
        ("ACME", "W"): ("ACME", "W"),
        ("acme", "W"): ("ACME", "W"),
    }
    assert charts.spellings(written) == expected
    assert charts.spellings(reversed(written)) == expected
    # The most written spelling wins over the first in code-point order.
    assert charts.spellings(written + [("acme", "w")])["ACME", "W"] == ("acme", "w")


def quarterly_references(years: int, *, last=dt.date(2026, 11, 4)):
    """A call with one reference to example/widget#<year> every quarter for
    `years` years up to `last`, and a reference to example/old#1 in the first."""
    calls = []
    for n in range(years * 4):
        day = last - dt.timedelta(weeks=13 * n)
        call = MeetingFactory(start=dt.datetime.combine(day, dt.time(16), dt.UTC))
        GitHubReferenceFactory(meeting=call, number=day.year)
        calls.append(call)
    GitHubReferenceFactory(meeting=calls[-1], owner="example", repo="old", number=1)
    return calls


def test_quarter_keys_parse_and_shift():
    quarter = charts.Quarter.from_key("2024-Q4")
    assert quarter == (2024, 4)
    assert (str(quarter), quarter.key) == ("2024 Q4", "2024-Q4")
    assert (quarter.first_day, quarter.last_day) == (
        dt.date(2024, 10, 1),
        dt.date(2024, 12, 31),
    )
    assert quarter.shift(1) == (2025, 1)
    assert quarter.shift(-4) == (2023, 4)
    assert quarter.shift(-7) == (2023, 1)
    assert charts.Quarter.of(dt.date(2024, 3, 31)) == (2024, 1)
    assert charts.Quarter.from_key("9999-Q4").last_day == dt.date(9999, 12, 31)
    for bad in (
        "",
        "2024",
        "2024-Q5",
        "2024-Q0",
        "2024-q4",
        "0999-Q1",
        "24-Q1",
        "2024-Q4x",
        " 2024-Q4",
        "２０２４-Q4",
        "2024-Q4\n",
    ):
        assert charts.Quarter.from_key(bad) is None, bad


def test_references_show_the_newest_year_and_no_older_reference():
    quarterly_references(3)
    window = chart_checks.check_references()
    assert (window.first, window.last) == ((2026, 1), (2026, 4))
    assert [row[0].text for row in window.chart.rows] == [
        "2026 Q4",
        "2026 Q3",
        "2026 Q2",
        "2026 Q1",
    ]
    # The oldest call's issues are two years back: neither in the chart nor in
    # the most discussed list.
    shown = {(r["repo"], r["number"]) for r in window.most_discussed}
    assert shown == {("widget", 2026)}
    assert "old" not in str(window.chart.svg) + window.chart.table_html()
    assert (window.earlier, window.later, window.query) == ((2025, 4), None, "")


def test_references_walk_back_a_year_at_a_time_and_forward_again():
    quarterly_references(3)
    assert chart_checks.check_reference_windows() == 3
    middle = charts.references_window(charts.Quarter(2025, 4))
    assert (middle.first, middle.last) == ((2025, 1), (2025, 4))
    assert (middle.earlier, middle.later, middle.later_is_newest) == (
        (2024, 4),
        (2026, 4),
        True,
    )
    assert middle.query == "until=2025-Q4"
    oldest = charts.references_window(charts.Quarter(2024, 4))
    assert oldest.earlier is None
    assert (oldest.later, oldest.later_is_newest) == ((2025, 4), False)
    assert ("old", 1) in {(r["repo"], r["number"]) for r in oldest.most_discussed}


def test_references_until_out_of_range_shows_the_nearest_year():
    quarterly_references(3)
    newest = charts.references_window(charts.Quarter(2030, 1))
    assert (newest.last, newest.query) == ((2026, 4), "")
    oldest = charts.references_window(charts.Quarter(1999, 2))
    assert (oldest.first, oldest.last) == ((2024, 1), (2024, 4))
    assert oldest.query == "until=2024-Q4"
    assert oldest.earlier is None


def test_references_year_in_a_gap_says_so_and_links_on():
    quarterly_references(1, last=dt.date(2026, 11, 4))
    quarterly_references(1, last=dt.date(2020, 11, 4))
    gap = charts.references_window(charts.Quarter(2023, 4))
    assert gap.chart.is_empty
    assert gap.chart.description == (
        "No finalized call referenced GitHub from 2023 Q1 to 2023 Q4."
    )
    assert gap.most_discussed == []
    assert (gap.earlier, gap.later) == ((2022, 4), (2024, 4))


def test_empty_site_draws_no_chart(client):
    assert chart_checks.check_releases().is_empty
    assert chart_checks.check_references().chart.is_empty
    series = MeetingSeriesFactory()
    calls = charts.series_calls(series)
    assert charts.series_attendance(calls, {}).chart.is_empty
    assert charts.mc_rota(series, calls).is_empty
    assert charts.minutes_booked(series, calls, {}).is_empty
    response = client.get("/refs/")
    assert response.status_code == 200
    assert "No finalized call has referenced GitHub yet." in response.content.decode()


def test_many_calls_are_drawn_a_month_a_bar():
    series = MeetingSeriesFactory(slug="busy")
    start = dt.datetime(2020, 1, 1, 16, tzinfo=dt.UTC)
    Meeting.objects.bulk_create(
        Meeting(
            series=series,
            start=start + dt.timedelta(weeks=i),
            date=(start + dt.timedelta(weeks=i)).date(),
            status=Meeting.Status.FINALIZED,
        )
        for i in range(charts.MAX_BARS + 1)
    )
    calls = charts.series_calls(series)
    chart = charts.series_attendance(calls, {}).chart
    assert chart.columns[0][0] == "Month"
    assert chart.rows[0][0].text == "2020-01"
    assert sum(int(row[1].text) for row in chart.rows) == charts.MAX_BARS + 1
    assert chart.description.startswith("Each bar is a month, the average per call")


def test_chart_text_is_escaped():
    person = AttendeeFactory(display_name='<script>alert("x")</script> & co')
    MeetingFactory(mc=person)
    chart = charts.person_activity(person, today=timezone.localdate()).chart
    assert "<script>" not in chart.svg
    assert "&lt;script&gt;" in chart.svg
    assert "<script>" not in chart.table_html()
    chart_checks.check_svg(chart)


def test_pages_show_their_charts(client):
    Community().grow(3)
    pages = {
        "/people/AdaQuill/": ["chart-activity"],
        "/calls/community/": ["chart-attendance", "chart-rota", "chart-minutes"],
        "/releases/": ["chart-releases"],
        "/refs/": ["chart-references"],
    }
    for url, keys in pages.items():
        html = client.get(url).content.decode()
        for key in keys:
            assert f'<figure class="chart" id="{key}">' in html, (url, key)
            assert f'aria-labelledby="{key}-t {key}-d"' in html, (url, key)
        assert html.count("The numbers as a table") == len(keys), url


def test_a_series_without_finalized_calls_shows_no_pictures(client):
    series = MeetingSeriesFactory(slug="new-series")
    MeetingFactory(series=series, status=Meeting.Status.SCHEDULED)
    html = client.get("/calls/new-series/").content.decode()
    assert "The series in pictures" not in html
    assert "chart-svg" not in html
