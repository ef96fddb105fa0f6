"""Every public page makes the same number of queries with few rows or many."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agenda.models import AgendaItem
from agenda.services import refresh_stored_html
from agenda.views import proposal_token
from meetings.models import Meeting
from meetings.views import publish_notes
from tests.public_data import Community


def page_urls(community):
    proposal = AgendaItem.objects.filter(
        meeting=community.upcoming, status="proposed"
    ).first()
    return {
        "home": "/",
        "archive": "/calls/",
        "archive filtered": "/calls/?series=community&year=2020",
        "series": "/calls/community/",
        "meeting": community.meeting.get_absolute_url(),
        "coming call": community.upcoming.get_absolute_url(),
        "propose": community.upcoming.get_absolute_url() + "propose/",
        "private proposal": f"/proposals/{proposal_token(proposal)}/",
        "people": "/people/",
        "person": "/people/AdaQuill/",
        "person's MC turns": "/people/AdaQuill/mc-turns/",
        "person's items": "/people/AdaQuill/items/",
        "person's actions": "/people/AdaQuill/actions/",
        "person's release teams": "/people/AdaQuill/release-teams/",
        "releases": "/releases/",
        "actions": "/actions/",
        "search": "/search/?q=widget",
        "refs": "/refs/example/widget/1/",
        "references": "/refs/",
        "calendar": "/calls.ics",
        "series calendar": "/calls/community.ics",
        "notes feed": "/feeds/notes/",
    }


def rendered(community):
    """Store the HTML of every text and the finalized notes, as render_markdown
    does after an import: the counts below are a page's steady state (its first
    view after an edit also stores what it rendered,
    tests/meetings/test_stored_html.py and test_published_pages.py)."""
    refresh_stored_html(meetings=Meeting.objects.all())
    publish_notes(Meeting.objects.all())
    return community


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.django_db
def test_query_counts_hold_as_rows_grow(client, settings):
    # The render path; what the page cache adds is counted in tests/test_caching.py,
    # the parts kept per minute in tests/meetings/test_clock_pages.py.
    settings.PAGE_CACHE = False
    settings.CLOCK_CACHE_SECONDS = 0
    community = rendered(Community().grow(2))
    small = {
        name: count_queries(client, url) for name, url in page_urls(community).items()
    }
    rendered(community.grow(6))
    large = {
        name: count_queries(client, url) for name, url in page_urls(community).items()
    }
    assert large == small
    # The numbers the report quotes; a new N+1 or a lost prefetch changes them.
    assert small == EXPECTED


@pytest.mark.django_db
def test_query_counts_hold_during_a_call(client, settings):
    settings.PAGE_CACHE = False
    settings.CLOCK_CACHE_SECONDS = 0
    community = rendered(Community().grow(2).start_a_call())
    urls = {
        "home": "/",
        "call on now": community.on_now.get_absolute_url(),
        "late propose": community.on_now.get_absolute_url() + "propose/",
    }
    small = {name: count_queries(client, url) for name, url in urls.items()}
    rendered(community.grow(6))
    large = {name: count_queries(client, url) for name, url in urls.items()}
    assert large == small
    # Home: the call on now and its agenda (items, presenters) on top of the rest.
    # The call on now formed no release team: no query for one.
    assert small == {"home": 9, "call on now": 8, "late propose": 1}


EXPECTED = {
    # The calls on now: one query when none is. The open action items of each
    # series and their count are one query.
    "home": 7,
    "archive": 4,
    "archive filtered": 4,
    "series": 7,
    # Finalized notes are stored (meetings/published.py): the call, its stored
    # notes and its neighbours in one query.
    "meeting": 1,
    # ... which a coming call also asks for, before it renders (no release team
    # formed: no query for one).
    "coming call": 8,
    "propose": 1,
    "private proposal": 1,
    "people": 2,
    # The person with the length of each list, the newest few of each (MC turns,
    # items, action items, release teams), the page of calls joined and the first
    # one; the heatmap's years, the person's totals, the streak (bounded walks).
    "person": 10,
    # The person with their totals, then the page's count and rows.
    "person's MC turns": 3,
    "person's items": 3,
    "person's actions": 3,
    "person's release teams": 3,
    "releases": 2,
    "actions": 2,
    # The site stamp, the ranking (ids), then the page's rows and snippets; both
    # are then kept per stamp and query (tests/meetings/test_search_cache.py).
    "search": 3,
    "refs": 2,
    # The oldest and newest calls with references, then the year shown: its
    # calls, their references (counted in Python, meetings/charts.py).
    "references": 3,
    "calendar": 1,
    "series calendar": 2,
    "notes feed": 3,
}


@pytest.mark.django_db
@pytest.mark.parametrize("published", [True, False])
def test_call_pages_cost_the_same_queries_however_long_the_archive(
    client, settings, published
):
    """A call's page, finalized or coming, makes the same few queries whether
    its agenda fits on one page (a plain query) or its proposals are paged (row
    numbers), and whatever the number of open action items of earlier calls."""
    from meetings.views import CARRIED_OVER_SHOWN, PROPOSALS_SHOWN
    from tests.factories import (
        ActionItemFactory,
        AgendaItemFactory,
        AttendanceFactory,
        MeetingFactory,
        MeetingSeriesFactory,
    )

    settings.PAGE_CACHE = False
    settings.CLOCK_CACHE_SECONDS = 0
    settings.PUBLISHED_PAGES = published
    series = MeetingSeriesFactory()
    start = timezone.now()
    past = [
        MeetingFactory(series=series, start=start - dt.timedelta(weeks=n))
        for n in range(1, 4)
    ]
    coming = MeetingFactory(
        series=series, status="scheduled", start=start + dt.timedelta(days=1)
    )
    for meeting in (past[1], coming):
        AgendaItemFactory(meeting=meeting, status="accepted")
        AgendaItemFactory(meeting=meeting, status="proposed")
    AttendanceFactory(meeting=past[1])
    ActionItemFactory(meeting=past[1])
    urls = {
        "finalized": past[1].get_absolute_url(),
        "coming": coming.get_absolute_url(),
        "coming, proposals page 2": coming.get_absolute_url() + "?proposals=2",
    }
    refresh_stored_html(meetings=Meeting.objects.all())
    publish_notes(Meeting.objects.all())
    few = {name: count_queries(client, url) for name, url in urls.items()}
    for meeting in (past[1], coming):
        for _n in range(PROPOSALS_SHOWN + 5):
            AgendaItemFactory(meeting=meeting, status="proposed")
        for _n in range(5):
            AttendanceFactory(meeting=meeting)
    for n in range(CARRIED_OVER_SHOWN + 5):
        ActionItemFactory(meeting=past[n % 3])
    refresh_stored_html(meetings=Meeting.objects.all())
    publish_notes(Meeting.objects.all())
    many = {name: count_queries(client, url) for name, url in urls.items()}
    assert many == few
    # The call with its totals, neighbours and whether it formed a release team
    # (none here: no query for them), attendances (with the people), agenda,
    # presenters, action items, their owners; a coming call has no action items of
    # its own (no owners to ask for) and adds the carried-over action items and
    # their owners. Stored notes: one query, which a coming call's first page
    # makes too before it renders.
    if published:
        assert few == {"finalized": 1, "coming": 8, "coming, proposals page 2": 7}
    else:
        assert few == {"finalized": 6, "coming": 7, "coming, proposals page 2": 7}


@pytest.mark.django_db
def test_person_page_costs_the_same_queries_however_long_their_record(client, settings):
    """Each list on a person's page is the newest few (a LIMIT) and its total: the
    same queries, and the same rows shown, with a short record or a long one."""
    from people.views import SHOWN_PER_LIST
    from tests.factories import (
        ActionItemFactory,
        AgendaItemFactory,
        AttendanceFactory,
        AttendeeFactory,
        MeetingFactory,
        ReleaseTeamFactory,
    )

    settings.PAGE_CACHE = False
    settings.CLOCK_CACHE_SECONDS = 0
    bo = AttendeeFactory(github_handle="bo")

    def add_record(n):
        for _n in range(n):
            meeting = MeetingFactory(mc=bo)
            AttendanceFactory(meeting=meeting, attendee=bo)
            AgendaItemFactory(meeting=meeting).presenters.add(bo)
            ActionItemFactory(meeting=meeting, status="open").owners.add(bo)
            ActionItemFactory(meeting=meeting, status="done").owners.add(bo)
            ReleaseTeamFactory(lead=bo, meeting=meeting)
            ReleaseTeamFactory(meeting=meeting).members.add(bo)

    def visit():
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/people/bo/").content.decode()
        return html, len(queries)

    add_record(2)
    short, few = visit()
    add_record(SHOWN_PER_LIST * 3)
    long, many = visit()
    assert many == few
    assert short.count("#item-") == 2
    assert long.count("#item-") == SHOWN_PER_LIST
    assert long.count("#action-") == SHOWN_PER_LIST
    assert long.count("</a>: lead") + long.count("</a>: helper") == SHOWN_PER_LIST
    assert f"{2 + SHOWN_PER_LIST * 3} MC turns" in long


@pytest.mark.django_db
def test_references_page_costs_the_same_queries_however_many_years(client, settings):
    """The references page reads one year whatever the archive holds: the same
    queries for the newest year and an earlier one, at two years or eight."""
    from tests.factories import GitHubReferenceFactory, MeetingFactory

    settings.PAGE_CACHE = False
    newest = timezone.now() - dt.timedelta(days=1)

    def add_years(first: int, last: int):
        for week in range(first * 52, last * 52, 2):
            call = MeetingFactory(start=newest - dt.timedelta(weeks=week))
            GitHubReferenceFactory(meeting=call, number=week % 7 + 1)
            GitHubReferenceFactory(meeting=call, owner="other", number=week)

    urls = ("/refs/", "/refs/?until=" + f"{newest.year - 1}-Q{(newest.month + 2) // 3}")
    add_years(0, 2)
    few = [count_queries(client, url) for url in urls]
    add_years(2, 8)
    many = [count_queries(client, url) for url in urls]
    assert many == few == [3, 3]


@pytest.mark.django_db
def test_a_call_that_formed_a_release_team_asks_for_it(client, settings):
    """Only a call that formed a release team queries for teams (and their
    members): the call's own query says whether it did."""
    from tests.factories import AttendeeFactory, MeetingFactory, ReleaseTeamFactory

    settings.PAGE_CACHE = False
    settings.CLOCK_CACHE_SECONDS = 0
    settings.PUBLISHED_PAGES = False
    meeting = MeetingFactory()
    client.get(meeting.get_absolute_url())  # stores the notes' HTML
    without = count_queries(client, meeting.get_absolute_url())
    team = ReleaseTeamFactory(version="9.9.0", meeting=meeting)
    team.members.add(AttendeeFactory(display_name="Helper Person"))
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "<h3>Release team</h3>" in html
    assert ">9.9.0</a>" in html
    assert "helped by " in html
    assert "Helper Person" in html
    assert count_queries(client, meeting.get_absolute_url()) == without + 2
