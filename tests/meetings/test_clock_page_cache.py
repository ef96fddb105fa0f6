"""Home and a call's page before and during the call, served whole from the page
cache per site stamp and minute to anonymous visitors (issue 15, item 2)."""

import datetime as dt

import pytest
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings.models import Meeting
from pagecache.caching import local_pages, public_page
from tests.factories import (
    AgendaItemFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    UserFactory,
)
from tests.pagecache.test_caching import anonymous_request

pytestmark = pytest.mark.django_db

PROPOSAL = {
    "proposer_name": "Sam Visitor",
    "proposer_handle": "sam-v",
    "title": "Monthly office hours",
    "description": "Why not monthly?",
    "requested_minutes": "10",
    "links": "",
    "website": "",
}


@pytest.fixture(autouse=True)
def _page_cache_on(settings, empty_page_cache):
    settings.PAGE_CACHE = True
    settings.CLOCK_CACHE_SECONDS = 60


@pytest.fixture
def clock(monkeypatch):
    """The site's clock, set by the test: `clock.at(moment)`."""

    class Clock:
        now = timezone.now().replace(second=10, microsecond=0)

        def at(self, moment):
            self.now = moment

    fake = Clock()
    monkeypatch.setattr(timezone, "now", lambda: fake.now)
    return fake


@pytest.fixture
def coming(clock):
    """A call starting at the top of a minute three minutes from now."""
    series = MeetingSeriesFactory(slug="community", title="Widget Call")
    meeting = MeetingFactory(
        series=series,
        status=Meeting.Status.SCHEDULED,
        start=clock.now.replace(second=0) + dt.timedelta(minutes=3),
    )
    AgendaItemFactory(meeting=meeting, title="First topic", status="accepted")
    return meeting


def get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code in (200, 304), url
    response.queries = len(queries)
    response.html = response.content.decode()
    return response


@pytest.fixture
def shared_cache_reads(monkeypatch):
    """How many round trips to the shared cache the requests made."""
    reads, depth = [], [0]
    backend = type(caches["default"])
    for name in ("get", "get_many"):
        original = getattr(backend, name)

        def counted(self, *args, original=original, **kwargs):
            if not depth[0]:  # a get_many made of gets is one round trip
                reads.append(args[0])
            depth[0] += 1
            try:
                return original(self, *args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(backend, name, counted)
    return reads


@pytest.mark.parametrize("page", ["home", "call"])
def test_a_second_visit_within_the_minute_is_served_whole(
    client, coming, page, shared_cache_reads
):
    url = "/" if page == "home" else coming.get_absolute_url()
    first = get(client, url)
    assert first.queries > 1
    assert "First topic" in first.html
    second = get(client, url)
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    # Not marked public: nginx's microcache (deploy/nginx.conf) keeps only
    # public pages, and this one must show a proposal at once.
    assert second["Cache-Control"] == "no-cache"
    assert "Cookie" in second["Vary"]
    # The site stamp only (none on PostgreSQL, whose listener vouches for it),
    # and the page from this process's memory: no round trip to the shared cache.
    assert second.queries == 1
    shared_cache_reads.clear()
    get(client, url)
    assert shared_cache_reads == []
    # Another app server, whose memory is empty: one round trip.
    local_pages.clear()
    other = get(client, url)
    assert other.content == first.content
    assert len(shared_cache_reads) == 1
    # A browser that holds the page gets a 304.
    assert get(client, url, if_none_match=first["ETag"]).status_code == 304


def test_made_up_query_strings_on_home_share_its_page(client, coming):
    first = get(client, "/")
    for junk in ("?page=2", "?x=1", "?page=abc&utm_source=feed"):
        again = get(client, "/" + junk)
        assert again.queries == 1
        assert again.content == first.content


@pytest.mark.parametrize("page", ["home", "call"])
def test_a_proposal_shows_at_once(client, coming, page):
    url = "/" if page == "home" else coming.get_absolute_url()
    before = get(client, url)
    assert "Monthly office hours" not in before.html
    proposer = Client()
    response = proposer.post(coming.get_absolute_url() + "propose/", PROPOSAL)
    assert response.status_code == 302
    # Within the same minute, another visitor sees it.
    after = get(client, url)
    assert "Monthly office hours" in after.html
    assert after["ETag"] != before["ETag"]


@pytest.mark.parametrize(
    ("page", "on_now"),
    [("home", "badge-live"), ("call", "The call is on now")],
)
def test_the_call_is_on_from_the_minute_it_starts(client, coming, clock, page, on_now):
    url = "/" if page == "home" else coming.get_absolute_url()
    start = coming.start
    assert on_now not in get(client, url).html
    # The last moment before the start: the page is that minute's, not on yet.
    clock.at(start - dt.timedelta(seconds=1))
    assert on_now not in get(client, url).html
    clock.at(start)
    at_start = get(client, url)
    assert on_now in at_start.html
    assert at_start.queries > 1  # a new minute: rendered once
    clock.at(start + dt.timedelta(seconds=59))
    again = get(client, url)
    assert on_now in again.html
    assert again.queries == 1


def test_the_call_page_during_the_call_is_served_whole(client, coming, clock):
    clock.at(coming.start + dt.timedelta(minutes=10, seconds=5))
    first = get(client, coming.get_absolute_url())
    assert "The call is on now" in first.html
    second = get(client, coming.get_absolute_url())
    assert second.content == first.content
    assert second.queries == 1


def test_a_quiet_write_shows_when_the_minute_rolls(client, coming, clock):
    url = coming.get_absolute_url()
    get(client, url)
    # A write that does not move the stamp: seen only at the next minute.
    coming.agenda_items.model._base_manager.filter(meeting=coming).update(
        title="Quiet rename"
    )
    assert "First topic" in get(client, url).html
    clock.at(clock.now + dt.timedelta(minutes=1))
    assert "Quiet rename" in get(client, url).html


def test_finalized_notes_stay_cached_past_the_minute(client, clock):
    meeting = MeetingFactory(highlights="Shipped it")
    url = meeting.get_absolute_url()
    first = get(client, url)
    clock.at(clock.now + dt.timedelta(hours=3))
    later = get(client, url)
    assert later.queries == 1
    assert later["ETag"] == first["ETag"]
    assert "public" in later["Cache-Control"]


def test_no_minute_cache_stores_no_clock_page(client, coming, settings):
    settings.CLOCK_CACHE_SECONDS = 0
    get(client, "/")
    again = get(client, "/")
    assert "ETag" not in again
    assert again.queries > 1
    # Finalized notes do not depend on the clock: still kept per stamp.
    url = MeetingFactory(highlights="Shipped it").get_absolute_url()
    get(client, url)
    assert get(client, url).queries == 1


def test_a_page_rendered_past_the_minute_is_not_kept_for_the_earlier_one(clock):
    """The key names the minute the request began in; a view that read the next
    minute's clock must not leave its page under the earlier minute's key."""
    renders = []
    start = clock.now

    def view(request):
        renders.append(clock.now)
        clock.at(clock.now + dt.timedelta(minutes=1))  # the minute rolls meanwhile
        return HttpResponse("on now")

    page = public_page(view, clock=True)
    page(anonymous_request())
    clock.at(start)
    page(anonymous_request())
    assert len(renders) == 2


def test_signed_in_visitors_get_their_own_page(client, coming):
    anonymous = get(client, "/")
    assert "Sign in" in anonymous.html
    staff = Client()
    staff.force_login(UserFactory(username="mcquill", is_staff=True))
    for url in ("/", coming.get_absolute_url()):
        mine = staff.get(url)
        html = mine.content.decode()
        assert "Sign out mcquill" in html
        assert "Run calls" in html
        assert "ETag" not in mine
        assert "private" in mine["Cache-Control"]
    # ... and never leave it for anyone else.
    assert "mcquill" not in get(client, "/").html
    assert "mcquill" not in get(client, coming.get_absolute_url()).html


def test_each_signed_in_visitor_gets_a_valid_csrf_token_of_their_own(coming):
    tokens = []
    for name in ("ada", "bob"):
        visitor = Client(enforce_csrf_checks=True)
        visitor.force_login(UserFactory(username=name))
        visitor.get("/")  # the shared part rendered, kept, then reused
        html = visitor.get(coming.get_absolute_url()).content.decode()
        token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        tokens.append(token)
        # The token works: the sign-out form in the page goes through.
        response = visitor.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
        assert response.status_code == 302
        assert "_auth_user_id" not in visitor.session
    assert tokens[0] != tokens[1]


def test_a_visitor_message_is_never_kept_for_others(client, coming):
    url = coming.get_absolute_url()
    get(client, url)
    proposer = Client()
    proposal = proposer.post(url + "propose/", PROPOSAL)["Location"]
    # Withdrawing leads back to the call page, with a message for this visitor.
    response = proposer.post(proposal + "withdraw/", follow=True)
    assert response.redirect_chain == [(url, 302)]
    html = response.content.decode()
    assert "Your proposal “Monthly office hours” was withdrawn." in html
    assert "ETag" not in response
    # Everyone else gets the shared page, without it, in the same minute.
    for _ in range(2):  # rendered for the new stamp, then kept
        page = get(client, url)
        assert "withdrawn" not in page.html
        assert 'class="messages"' not in page.html
    assert page.queries == 1
