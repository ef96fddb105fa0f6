"""Keyset pagination of the archive and a person's calls (issue 15, item 4):
newer/older links with a call's id as cursor, ordered by (start, id), no OFFSET."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings import views
from tests.factories import (
    AttendanceFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
)

NOW = timezone.now().replace(second=0, microsecond=0)


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), [q["sql"] for q in queries]


def listed(html):
    return re.findall(r'(?:<li>|<td>)<a href="(/calls/[a-z0-9-]+/[0-9-]+/)"', html)


def cursor(html, rel):
    found = re.search(rf'<a rel="{rel}" href="\?(?:[^"]*&amp;)?(\w+)=(\d+)"', html)
    return f"{found.group(1)}={found.group(2)}" if found else None


def walk(client, path):
    """Every page from the first, following "older" links, then back."""
    pages = []
    html, _queries = get(client, path)
    pages.append(listed(html))
    while (older := cursor(html, "next")) is not None:
        html, _queries = get(client, f"{path}?{older}")
        pages.append(listed(html))
    back = []
    while (newer := cursor(html, "prev")) is not None:
        html, _queries = get(client, f"{path}?{newer}")
        back.append(listed(html))
    return pages, back


@pytest.fixture
def small_pages(monkeypatch, settings):
    settings.PAGE_CACHE = False
    monkeypatch.setattr(views, "ARCHIVE_PAGE_SIZE", 3)


@pytest.mark.django_db
def test_a_page_boundary_between_two_calls_at_the_same_time(client, small_pages):
    one, two = MeetingSeriesFactory(), MeetingSeriesFactory()
    # Seven calls; the 3rd and 4th newest start at the same moment (two series
    # meet at once), so the first page ends between them.
    starts = [NOW - dt.timedelta(days=d) for d in (1, 2, 3, 3, 4, 5, 6)]
    calls = [
        MeetingFactory(series=one if n % 2 else two, start=start)
        for n, start in enumerate(starts)
    ]
    expected = [
        m.get_absolute_url()
        for m in sorted(calls, key=lambda m: (m.start, m.pk), reverse=True)
    ]
    pages, back = walk(client, "/calls/")
    assert [len(page) for page in pages] == [3, 3, 1]
    # Every call once, in order: none skipped or repeated at the boundary.
    assert [url for page in pages for url in page] == expected
    same_time = {calls[2].get_absolute_url(), calls[3].get_absolute_url()}
    assert len(same_time & set(pages[0])) == 1
    assert len(same_time & set(pages[1])) == 1
    # Newer links lead back through the same pages to the first.
    assert back == pages[-2::-1]


@pytest.mark.django_db
def test_same_date_calls_of_one_series_page_apart(client, small_pages):
    series = MeetingSeriesFactory()
    day = (NOW - dt.timedelta(days=10)).replace(hour=8, minute=0)
    # Four calls of one series on one date (ordinals 1-4), then an older one.
    same_day = [
        MeetingFactory(series=series, start=day + dt.timedelta(hours=n), ordinal=n + 1)
        for n in range(4)
    ]
    older = MeetingFactory(series=series, start=day - dt.timedelta(days=1))
    pages, _back = walk(client, "/calls/")
    flat = [url for page in pages for url in page]
    assert [len(page) for page in pages] == [3, 2]
    assert flat == [m.get_absolute_url() for m in [*same_day[::-1], older]]


@pytest.mark.django_db
def test_bad_cursors_show_the_first_page(client, small_pages):
    series = MeetingSeriesFactory()
    for d in range(5):
        MeetingFactory(series=series, start=NOW - dt.timedelta(days=d + 1))
    first = listed(get(client, "/calls/")[0])
    for junk in ("x", "0", "-3", "1e3", "99999999", "9" * 30, "%00", ""):
        for name in ("older", "newer"):
            assert listed(get(client, f"/calls/?{name}={junk}")[0]) == first


@pytest.mark.django_db
def test_a_deep_page_costs_what_the_first_does(client, small_pages):
    series = MeetingSeriesFactory()
    for d in range(12):
        MeetingFactory(series=series, start=NOW - dt.timedelta(days=d + 1))
    get(client, "/calls/")  # the archive's years, kept per site stamp
    html, first = get(client, "/calls/")
    deep = html
    for _ in range(3):
        deep, queries = get(client, f"/calls/?{cursor(deep, 'next')}")
    assert len(queries) == len(first)
    assert listed(deep)
    for sql in first + queries:
        assert "OFFSET" not in sql.upper()
        assert "COUNT(*)" not in sql.upper()


@pytest.mark.django_db
def test_the_page_cache_stores_real_cursors_only(client, settings, monkeypatch):
    from django.core.cache import cache

    settings.PAGE_CACHE = True
    monkeypatch.setattr(views, "ARCHIVE_PAGE_SIZE", 3)
    series = MeetingSeriesFactory()
    for d in range(5):
        MeetingFactory(series=series, start=NOW - dt.timedelta(days=d + 1))
    html, _queries = get(client, "/calls/")
    older = cursor(html, "next")
    get(client, f"/calls/?{older}")
    assert len(get(client, f"/calls/?{older}")[1]) <= 1  # served from the cache
    entries = len(cache._cache)
    for n in range(10):
        get(client, f"/calls/?older=9999{n}")
        get(client, f"/calls/?newer=x{n}")
    assert len(cache._cache) == entries


@pytest.mark.django_db
def test_a_persons_calls_are_keyset_paged(client, settings):
    settings.PAGE_CACHE = False
    bo = AttendeeFactory(github_handle="bo")
    same = NOW - dt.timedelta(days=30)
    for n in range(52):
        start = same if n in (49, 50) else NOW - dt.timedelta(days=n + 1)
        AttendanceFactory(meeting=MeetingFactory(start=start), attendee=bo)
    pages, back = walk(client, "/people/bo/")
    flat = [url for page in pages for url in page]
    assert [len(page) for page in pages] == [50, 2]
    assert len(set(flat)) == 52
    assert back == [pages[0]]


def calls_read_and_dropped(sql: str) -> int:
    """How many calls the page's query read from the index and then dropped
    (PostgreSQL's EXPLAIN ANALYZE: rows its filters removed)."""
    with connection.cursor() as cursor:
        # Statistics of the test's own rows (rolled back with them), so the plan
        # does not follow whatever earlier tests left; and the index, which the
        # archive's thousands of calls are read along, not a scan of a few rows.
        cursor.execute("ANALYZE meetings_meeting")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = on")
    plan = plan if isinstance(plan, list) else json.loads(plan)

    def dropped(node) -> int:
        own = (
            node.get("Rows Removed by Filter", 0)
            if node.get("Alias") == "meetings_meeting"
            else 0
        )
        return own + sum(dropped(child) for child in node.get("Plans", []))

    return dropped(plan[0]["Plan"])


@pytest.mark.django_db
def test_a_deep_page_reads_the_index_from_its_cursor(client, small_pages):
    if connection.vendor != "postgresql":
        pytest.skip("Reads PostgreSQL's query plan.")
    series = MeetingSeriesFactory()
    calls = [
        MeetingFactory(series=series, start=NOW - dt.timedelta(days=d + 1))
        for d in range(40)
    ]
    # Calls older than the 5th oldest, and newer than the 5th newest: each
    # page's query starts at its cursor instead of reading up to it.
    for query, expected in (
        (f"older={calls[-5].pk}", calls[-4:-1]),
        (f"newer={calls[4].pk}", calls[1:4]),
    ):
        html, queries = get(client, f"/calls/?{query}")
        assert listed(html) == [m.get_absolute_url() for m in expected]
        (page,) = [sql for sql in queries if "LIMIT 4" in sql]
        assert calls_read_and_dropped(page) <= 1, (query, page)
