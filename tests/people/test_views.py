import datetime as dt

import pytest

from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AttendanceFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    ReleaseTeamFactory,
)

pytestmark = pytest.mark.django_db


def at(year, month, day):
    return dt.datetime(year, month, day, 16, tzinfo=dt.UTC)


@pytest.fixture
def ada():
    ada = AttendeeFactory(
        display_name="Ada Quill", github_handle="AdaQuill", affiliation="Lighthouse"
    )
    first = MeetingFactory(start=at(2023, 1, 4), mc=ada)
    second = MeetingFactory(start=at(2024, 2, 7), mc=ada)
    draft = MeetingFactory(start=at(2024, 3, 6), status="held", mc=ada)
    for meeting in (first, second, draft):
        AttendanceFactory(meeting=meeting, attendee=ada)
    item = AgendaItemFactory(meeting=second, title="Plugin API")
    item.presenters.add(ada)
    AgendaItemFactory(meeting=draft, title="Secret draft item").presenters.add(ada)
    owned = [
        ("Write RFC", "open"),
        ("Fix CI", "done"),
        ("Guessed", "suggested"),
        ("Dropped one", "dropped"),
    ]
    for description, status in owned:
        ActionItemFactory(
            meeting=second, description=description, status=status
        ).owners.add(ada)
    ReleaseTeamFactory(version="1.5.0", lead=ada, meeting=second)
    ReleaseTeamFactory(version="1.6.0", meeting=None).members.add(ada)
    return ada


def test_person_page_shows_their_record_from_published_notes(client, ada):
    html = client.get("/people/AdaQuill/").content.decode()
    assert "<title>Ada Quill (@AdaQuill) · Callbook</title>" in html
    assert '<img class="avatar" src="https://github.com/AdaQuill.png?size=80"' in html
    assert "Lighthouse" in html
    assert "2 calls joined, the first on" in html
    assert '<a href="/calls/series-' in html
    assert ">2023-01-04</a>" in html
    assert "2 MC turns" in html
    assert "1 agenda item presented" in html
    assert "Plugin API" in html
    assert "Secret draft item" not in html
    assert "1 open and 1 done action item" in html
    assert "Write RFC" in html
    assert "Fix CI" in html
    assert "Guessed" not in html
    assert "Dropped one" not in html
    assert "1.5.0</a>: lead" in html
    assert "1.6.0</a>: helper" in html
    assert "2024-03-06" not in html


def test_people_list_counts_published_calls_and_mc_turns(client, ada):
    AttendeeFactory(display_name="No Handle", github_handle="")
    AttendeeFactory(display_name="Newcomer", github_handle="newbie")
    html = client.get("/people/").content.decode()
    row = html[html.index("Ada Quill") : html.index("</tr>", html.index("Ada Quill"))]
    assert '<td class="num">2</td>' in row
    assert "2023-01-04" in row
    assert row.count('<td class="num">2</td>') == 2
    newbie = html[html.index("Newcomer") : html.index("</tr>", html.index("Newcomer"))]
    assert newbie.count('<td class="num">0</td>') == 2
    assert "No Handle" not in html


def test_handles_are_case_insensitive_and_unknown_ones_404(client, ada):
    response = client.get("/people/adaquill/")
    assert response.status_code == 301
    assert response["Location"] == "/people/AdaQuill/"
    assert client.get("/people/@AdaQuill/").status_code == 301
    assert client.get("/people/nobody-here/").status_code == 404
    assert client.get("/people/x%00y/").status_code == 404


def test_a_person_with_nothing_yet_has_a_plain_page(client):
    AttendeeFactory(display_name="Fresh", github_handle="fresh")
    html = client.get("/people/fresh/").content.decode()
    assert "0 calls joined" in html
    assert "None yet." in html


def test_a_long_history_of_calls_is_paged(client):
    bo = AttendeeFactory(display_name="Bo", github_handle="bo")
    calls = []
    for week in range(53):
        meeting = MeetingFactory(start=at(2020, 1, 1) + dt.timedelta(weeks=week))
        AttendanceFactory(meeting=meeting, attendee=bo)
        calls.append(meeting)
    first = client.get("/people/bo/").content.decode()
    assert "53 calls joined, the first on" in first
    assert ">2020-01-01</a>" in first  # the first call, named in the summary
    assert first.count('<li><a href="/calls/series-') == 50
    # Newest first: the 50th newest is the 4th oldest.
    assert f'href="?older={calls[3].pk}">Older calls' in first
    last = client.get(f"/people/bo/?older={calls[3].pk}").content.decode()
    assert last.count('<li><a href="/calls/series-') == 3
    assert f'href="?newer={calls[2].pk}">Newer calls' in last
    # A cursor that is no call, or not a number, shows the first page.
    for junk in ("99999", "x", "0", "-1", "1" * 40):
        page = client.get(f"/people/bo/?older={junk}")
        assert page.status_code == 200
        assert page.content.decode().count('<li><a href="/calls/series-') == 50


def test_a_long_history_costs_what_a_short_one_does(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from meetings.charts import HEATMAP_YEARS

    bo = AttendeeFactory(display_name="Bo", github_handle="bo")
    series = MeetingSeriesFactory()
    this_year = timezone.localdate().year

    def visit():
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/people/bo/").content.decode()
        return html, len(queries)

    for week in range(3):
        meeting = MeetingFactory(
            series=series, start=at(this_year, 1, 5) + dt.timedelta(weeks=week)
        )
        AttendanceFactory(meeting=meeting, attendee=bo)
    short, few = visit()
    assert "<strong>3</strong> calls in a row" in short
    assert "The years before" not in short
    # Twelve years more of weekly calls, all joined.
    for week in range(52 * 12):
        meeting = MeetingFactory(
            series=series, start=at(this_year - 12, 1, 2) + dt.timedelta(weeks=week)
        )
        AttendanceFactory(meeting=meeting, attendee=bo)
    long, many = visit()
    assert many == few
    joined = 3 + 52 * 12
    assert f"{joined} calls joined" in long
    # The heatmap draws the latest years; the table sums the ones before.
    first = this_year - 12
    drawn_from = this_year - HEATMAP_YEARS + 1
    assert long.count('text-anchor="end">') == HEATMAP_YEARS
    assert f"The years before {drawn_from} are one row of the table." in long
    assert f'<th scope="row">{first}\u2013{drawn_from - 1}</th>' in long
    assert f"From {first} to {this_year}: {joined} calls joined" in long
    # A streak past the bound is shown as such.
    assert "<strong>100+</strong> calls in a row" in long


def test_person_lookups_use_their_indexes(ada):
    from django.db import connection

    from meetings.charts import person_totals
    from people.models import Attendee

    if connection.vendor != "postgresql":
        pytest.skip("reads PostgreSQL's plans")
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        person = Attendee.objects.handle_is("adaquill").get()
        person_totals(person)
    plans = []
    with connection.cursor() as cursor:
        # Tiny tables are read whole; what matters is that the index can serve.
        cursor.execute("SET enable_seqscan = off")
        for query in queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        cursor.execute("RESET enable_seqscan")
    assert "people_attendee_unique_handle_ci" in plans[0]
    # Index-only once vacuumed; a fresh test table is not.
    assert "using meetings_attendance_person" in plans[1]


def _record(person, n, *, open_actions=None, done_actions=2):
    """`n` of each list for `person`: MC turns, items presented, release teams
    led; `open_actions` open action items (raised before the done ones)."""
    open_actions = n if open_actions is None else open_actions
    series = MeetingSeriesFactory()
    calls = [
        MeetingFactory(
            series=series, start=at(2020, 1, 1) + dt.timedelta(weeks=w), mc=person
        )
        for w in range(n)
    ]
    for meeting in calls:
        AgendaItemFactory(meeting=meeting).presenters.add(person)
        ReleaseTeamFactory(lead=person, meeting=meeting, planned_date=meeting.date)
    for w in range(open_actions):
        ActionItemFactory(meeting=calls[w % n], status="open").owners.add(person)
    for w in range(done_actions):
        ActionItemFactory(meeting=calls[-1 - w % n], status="done").owners.add(person)
    return calls


def test_each_list_shows_its_newest_few_and_says_how_many(client):
    from people.views import SHOWN_PER_LIST

    bo = AttendeeFactory(display_name="Bo", github_handle="bo")
    many = SHOWN_PER_LIST + 3
    calls = _record(bo, many)
    html = client.get("/people/bo/").content.decode()
    assert f"{many} MC turns" in html
    assert f"{many} agenda items presented" in html
    assert f"{many} open and 2 done action items" in html
    # Bounded: the newest few of each list, then a link to the rest.
    assert html.count("#item-") == SHOWN_PER_LIST
    assert html.count("</a>: lead") == SHOWN_PER_LIST
    mc = html[html.index("<h2>MC turns</h2>") : html.index("<h2>Calls joined</h2>")]
    assert mc.count("<li>") == SHOWN_PER_LIST
    assert calls[-1].get_absolute_url() in mc
    assert calls[-1 - SHOWN_PER_LIST].get_absolute_url() not in mc
    # Open action items come first; the done ones are counted, not dropped.
    assert html.count("#action-") == SHOWN_PER_LIST
    done = html[html.index("<h3>Done</h3>") : html.index("<h2>Release teams</h2>")]
    assert "#action-" not in done
    assert "2 done, listed after the open ones." in done
    assert f'<a href="/people/bo/items/">Show all {many} items presented</a>' in html
    assert f'<a href="/people/bo/actions/">Show all {many + 2} action items</a>' in html
    assert f'<a href="/people/bo/mc-turns/">Show all {many} MC turns</a>' in html
    assert (
        f'<a href="/people/bo/release-teams/">Show all {many} release teams</a>' in html
    )


def test_short_lists_are_shown_whole_without_a_link(client, ada):
    html = client.get("/people/AdaQuill/").content.decode()
    assert "Show all" not in html
    # With few open action items the done ones follow on the page.
    assert "Write RFC" in html
    assert "Fix CI" in html


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("mc-turns", '<li><a href="/calls/series-'),
        ("items", "#item-"),
        ("actions", "#action-"),
        ("release-teams", "</a>: lead"),
    ],
)
def test_show_all_pages_are_paged(client, monkeypatch, path, marker):
    from people.views import PersonHistoryView

    monkeypatch.setattr(PersonHistoryView, "paginate_by", 5)
    bo = AttendeeFactory(display_name="Bo", github_handle="bo")
    _record(bo, 6, open_actions=4)
    total = 6  # of each list; of action items, 4 open and 2 done
    first = client.get(f"/people/bo/{path}/").content.decode()
    assert '<a href="/people/bo/">Bo</a>' in first
    assert first.count(marker) == 5
    assert "Page 1 of 2" in first
    assert 'href="?page=2"' in first
    second = client.get(f"/people/bo/{path}/?page=2").content.decode()
    assert second.count(marker) == total - 5
    # A page that is no number shows the first, as the people list does.
    assert client.get(f"/people/bo/{path}/?page=x").content.decode().count(marker) == 5
    # The stored spelling of the handle is the permalink; unknown people 404.
    response = client.get(f"/people/BO/{path}/")
    assert response.status_code == 301
    assert response["Location"] == f"/people/bo/{path}/"
    assert client.get(f"/people/nobody-here/{path}/").status_code == 404
    assert client.get(f"/people/x%00y/{path}/").status_code == 404


@pytest.mark.parametrize("path", ["mc-turns", "items", "actions", "release-teams"])
def test_show_all_pages_of_someone_with_nothing_yet(client, path):
    AttendeeFactory(display_name="Fresh", github_handle="fresh")
    response = client.get(f"/people/fresh/{path}/")
    assert response.status_code == 200
    assert "None yet." in response.content.decode()


def test_all_action_items_open_first_then_newest(client, ada):
    html = client.get("/people/AdaQuill/actions/").content.decode()
    assert "1 open and 1 done action item" in html
    assert html.index("<h2>Open</h2>") < html.index("Write RFC")
    assert html.index("Write RFC") < html.index("<h2>Done</h2>") < html.index("Fix CI")
    assert "Guessed" not in html
    assert "Dropped one" not in html


def test_all_release_teams_say_lead_or_helper(client, ada):
    # Listed as a helper of a team she leads too: one team, led.
    ReleaseTeamFactory(version="1.7.0", lead=ada, meeting=None).members.add(ada)
    html = client.get("/people/AdaQuill/release-teams/").content.decode()
    assert "1.5.0</a>: lead" in html
    assert "1.6.0</a>: helper" in html
    assert html.count("1.7.0</a>") == 1
    assert "1.7.0</a>: lead" in html
    assert "Page 1 of" not in html
    person = client.get("/people/AdaQuill/").context["person"]
    assert person.teams_total == 3


def test_all_items_leave_out_drafts(client, ada):
    html = client.get("/people/AdaQuill/items/").content.decode()
    assert "Plugin API" in html
    assert "Secret draft item" not in html
    html = client.get("/people/AdaQuill/mc-turns/").content.decode()
    assert html.count('<li><a href="/calls/series-') == 2
