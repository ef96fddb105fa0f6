"""Home and a call's page before and during the call: parts cached per site stamp
and minute, proposals paged (issue 15, item 2)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agenda.models import AgendaItem
from meetings.models import Meeting
from meetings.views import PROPOSALS_SHOWN
from pagecache.models import SiteGeneration
from tests.factories import AgendaItemFactory, MeetingFactory, MeetingSeriesFactory


def upcoming_call(proposals: int, accepted: int = 2):
    series = MeetingSeriesFactory(title="Widget Call", length_minutes=60)
    meeting = MeetingFactory(
        series=series,
        status="scheduled",
        start=timezone.now() + dt.timedelta(days=2),
    )
    for n in range(accepted):
        AgendaItemFactory(
            meeting=meeting, title=f"Accepted {n}", status="accepted", position=n
        )
    AgendaItem.objects.bulk_create(
        AgendaItem(
            series=series,
            meeting=meeting,
            title=f"Proposal number {n}",
            description=f"Why *{n}* matters",
            status=AgendaItem.Status.PROPOSED,
            requested_minutes=5,
            position=accepted + n,
        )
        for n in range(proposals)
    )
    return meeting


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), len(queries)


def proposals_shown(html):
    return re.findall(r"Proposal number (\d+)", html)


@pytest.mark.django_db
def test_a_cached_home_changes_when_the_stamp_bumps(client):
    meeting = upcoming_call(proposals=1)
    item = AgendaItem.objects.get(meeting=meeting, status="proposed")
    assert "Proposal number 0" in get(client, "/")[0]
    # A write that does not bump the stamp is not seen: the part is cached ...
    AgendaItem._base_manager.filter(pk=item.pk).update(title="Renamed quietly")
    html, queries = get(client, "/")
    assert "Proposal number 0" in html
    assert "Renamed quietly" not in html
    # ... and served for the site stamp alone (no meeting or agenda query).
    assert queries == 1
    # Any public write bumps the stamp, and the next view renders again.
    SiteGeneration.bump()
    html, _queries = get(client, "/")
    assert "Renamed quietly" in html
    assert "Proposal number 0" not in html


@pytest.mark.django_db
def test_the_minute_key_rolls(client, monkeypatch):
    meeting = upcoming_call(proposals=1)
    item = AgendaItem.objects.get(meeting=meeting, status="proposed")
    real_now = timezone.now
    get(client, "/")
    AgendaItem._base_manager.filter(pk=item.pk).update(title="Renamed quietly")
    assert "Renamed quietly" not in get(client, "/")[0]
    monkeypatch.setattr(timezone, "now", lambda: real_now() + dt.timedelta(seconds=61))
    assert "Renamed quietly" in get(client, "/")[0]


@pytest.mark.django_db
def test_home_renders_what_a_call_on_now_is_at_the_minute(client, monkeypatch):
    # A call that starts during a minute is on from that minute's render on; the
    # cached part reads the bucket's start as "now", all of it one moment.
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=2)
    MeetingFactory(status="scheduled", start=start, series__title="Starting Soon")
    real_now = timezone.now
    html = get(client, "/")[0]
    assert "on now" not in html
    monkeypatch.setattr(
        timezone, "now", lambda: real_now() + dt.timedelta(minutes=2, seconds=30)
    )
    assert "on now" in get(client, "/")[0]


@pytest.mark.django_db
def test_home_with_a_thousand_proposals_shows_a_bounded_list(client, settings):
    settings.CLOCK_CACHE_SECONDS = 0
    upcoming_call(proposals=30)
    html_small, queries_small = get(client, "/")
    AgendaItem.objects.all().delete()
    meeting = upcoming_call(proposals=1000)
    html, queries = get(client, "/")
    assert queries == queries_small
    shown = proposals_shown(html)
    assert shown == [str(n) for n in range(PROPOSALS_SHOWN)]
    assert "Accepted 0" in html
    assert "Accepted 1" in html
    assert f"{1000 - PROPOSALS_SHOWN} more proposals" in html
    assert f'href="{meeting.get_absolute_url()}?proposals=2"' in html
    # The minutes count every item, not only those shown.
    assert "5010 of 60 minutes requested" in html
    assert len(html) < len(html_small) * 2


@pytest.mark.django_db
def test_the_call_page_pages_its_proposals(client, settings):
    settings.PAGE_CACHE = False
    meeting = upcoming_call(proposals=1000)
    url = meeting.get_absolute_url()
    first, _queries = get(client, url)
    assert proposals_shown(first) == [str(n) for n in range(PROPOSALS_SHOWN)]
    second, _queries = get(client, url + "?proposals=2")
    assert proposals_shown(second) == [
        str(n) for n in range(PROPOSALS_SHOWN, 2 * PROPOSALS_SHOWN)
    ]
    # The accepted agenda on every page; links both ways.
    assert "Accepted 0" in second
    assert f'href="{url}">Earlier proposals' in second
    assert f'href="{url}?proposals=3"' in second
    # Once each page stored what it rendered, they cost the same.
    assert get(client, url + "?proposals=2")[1] == get(client, url)[1] <= 8
    last, _queries = get(client, url + "?proposals=50")
    assert proposals_shown(last)[-1] == "999"
    assert "more proposal" not in last
    # Nonsense is the first page, never an error.
    for junk in ("abc", "0", "-1", "99999999999"):
        assert proposals_shown(get(client, f"{url}?proposals={junk}")[0])[0] == "0"


@pytest.mark.django_db
def test_the_call_page_query_count_holds_with_many_proposals(client, settings):
    settings.PAGE_CACHE = False
    counts = []
    for proposals in (3, 1000):
        url = upcoming_call(proposals=proposals).get_absolute_url()
        get(client, url)  # the first view stores the HTML it rendered
        counts.append(get(client, url)[1])
    assert counts[0] == counts[1] <= 8


@pytest.mark.django_db
def test_the_page_cache_keeps_each_page_of_proposals_apart(client, settings):
    settings.PAGE_CACHE = True
    meeting = upcoming_call(proposals=30)
    meeting.status = "finalized"
    meeting.save()
    url = meeting.get_absolute_url()
    for _ in range(2):  # rendered, then served from the cache
        assert proposals_shown(get(client, url)[0])[0] == "0"
        second = proposals_shown(get(client, url + "?proposals=2")[0])
        assert second == [str(n) for n in range(PROPOSALS_SHOWN, 30)]
    # Made-up spellings are served but not stored under their own key.
    assert proposals_shown(get(client, url + "?proposals=02")[0])[0] == "20"


@pytest.mark.django_db
def test_the_call_page_is_rendered_once_per_stamp_and_minute(
    client, settings, monkeypatch
):
    settings.PAGE_CACHE = False  # the parts are kept with the page cache off too
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=2)
    meeting = MeetingFactory(status="scheduled", start=start)
    AgendaItemFactory(meeting=meeting, title="First topic", status="accepted")
    url = meeting.get_absolute_url()
    html, _queries = get(client, url)
    assert "First topic" in html
    assert "The call is on now" not in html
    again, queries = get(client, url)
    assert again == html
    assert queries == 1  # the site stamp (none on PostgreSQL, which LISTENs)
    # A write that bypasses the stamp is not seen until the minute rolls ...
    AgendaItem._base_manager.filter(meeting=meeting).update(title="Quiet rename")
    assert "First topic" in get(client, url)[0]
    real_now = timezone.now
    monkeypatch.setattr(
        timezone, "now", lambda: real_now() + dt.timedelta(minutes=2, seconds=30)
    )
    # ... which also renders the call as on: the clock read is the minute's.
    rolled = get(client, url)[0]
    assert "Quiet rename" in rolled
    assert "The call is on now" in rolled
    # Any public write shows at once.
    AgendaItem.objects.filter(meeting=meeting).update(title="Loud rename")
    assert "Loud rename" in get(client, url)[0]


@pytest.mark.django_db
def test_the_call_page_parts_keep_their_head_tags(client, settings):
    meeting = MeetingFactory(highlights="Shipped <b>1.0</b> & more", title="R&D call")
    for _ in range(2):
        html = get(client, meeting.get_absolute_url())[0]
        assert f"<title>R&amp;D call, {meeting.date_key}" in html
        assert '<meta name="description" content="Shipped 1.0 &amp; more">' in html
        assert '<meta property="og:title" content="R&amp;D call, ' in html


@pytest.mark.django_db
def test_finalized_notes_are_rendered_once_per_stamp_not_per_minute(
    client, settings, monkeypatch
):
    settings.PAGE_CACHE = False
    settings.PUBLISHED_PAGES = False  # stored notes: test_published_pages.py
    meeting = MeetingFactory(highlights="Old highlights")
    url = meeting.get_absolute_url()
    assert "Old highlights" in get(client, url)[0]
    Meeting._base_manager.filter(pk=meeting.pk).update(highlights="Quiet edit")
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + dt.timedelta(hours=2))
    html, queries = get(client, url)
    assert "Old highlights" in html
    assert queries == 1
    SiteGeneration.bump()
    assert "Quiet edit" in get(client, url)[0]
