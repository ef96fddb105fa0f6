"""The public page cache: ETag/Last-Modified, 304s, and invalidation by any write."""

import datetime as dt
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import add_message, constants
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agenda.models import AgendaItem
from agenda.services import finalize_meeting
from meetings.models import Meeting
from meetings.services import reopen_meeting, save_meeting
from pagecache.caching import (
    current_stamp,
    local_pages,
    public_page,
    stamp_listener,
    stamp_memo,
)
from pagecache.models import SiteGeneration
from people.models import Attendee
from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    AttendeeFactory,
    GitHubReferenceFactory,
    MeetingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache(empty_page_cache):
    """Every test here starts and ends with an empty page cache."""


def get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    response.queries = len(queries)
    return response


@pytest.fixture
def finalized():
    meeting = MeetingFactory(highlights="- shipped **1.0**")
    AttendanceFactory(
        meeting=meeting, attendee=AttendeeFactory(display_name="Ada Quill")
    )
    AgendaItemFactory(meeting=meeting, title="Roadmap", discussion_notes="Agreed")
    return meeting


def test_a_finalized_meeting_page_has_validators_and_answers_304(client, finalized):
    url = finalized.get_absolute_url()
    first = get(client, url)
    assert first.status_code == 200
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"')
    assert len(etag) == 34
    assert "no-cache" in first["Cache-Control"]
    assert "public" in first["Cache-Control"]

    by_etag = get(client, url, if_none_match=etag)
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_etag["ETag"] == etag
    assert by_etag.queries == 1  # the stamp; neither the cache nor the view

    by_date = get(client, url, if_modified_since=last_modified)
    assert by_date.status_code == 304

    stale = get(client, url, if_none_match='"something-else"')
    assert stale.status_code == 200
    assert stale.content == first.content


def test_a_cached_page_skips_the_view(client, finalized):
    url = finalized.get_absolute_url()
    miss = get(client, url)
    hit = get(client, url)
    assert miss.queries > 3
    assert hit.queries == 1  # the stamp; the cache is in memory in tests
    assert hit.content == miss.content
    assert hit["Content-Type"] == miss["Content-Type"]
    assert hit["ETag"] == miss["ETag"]
    assert "Content-Security-Policy" in hit


def test_reopen_edit_and_finalize_shows_the_new_text_at_once(client, finalized):
    url = finalized.get_absolute_url()
    assert "shipped" in get(client, url).content.decode()
    old_etag = get(client, url)["ETag"]

    # The MC workflow's own services: a Maintainer reopens, the MC edits, finalizes.
    maintainer = UserFactory(username="maintainer")
    reopened = reopen_meeting(meeting=finalized, user=maintainer, reason="Typo")
    html = get(client, url).content.decode()
    assert "notes are being finalized" in html
    assert "shipped" not in html

    reopened.highlights = "- shipped **2.0** instead"
    save_meeting(meeting=reopened, loaded_version=reopened.version, user=maintainer)
    finalize_meeting(meeting=reopened, user=maintainer)

    response = get(client, url)
    html = response.content.decode()
    assert "<strong>2.0</strong> instead" in html
    assert "<strong>1.0</strong>" not in html
    assert response["ETag"] != old_etag
    assert get(client, url, if_none_match=old_etag).status_code == 200


def test_an_edit_to_a_related_row_invalidates_the_page(client, finalized):
    url = finalized.get_absolute_url()
    assert "Roadmap" in get(client, url).content.decode()
    item = finalized.agenda_items.get()
    item.title = "Roadmap, revised"
    item.save()
    assert "Roadmap, revised" in get(client, url).content.decode()

    person = Attendee.objects.get(display_name="Ada Quill")
    person.display_name = "Ada Q. Quill"
    person.save()
    assert "Ada Q. Quill" in get(client, url).content.decode()


def test_bulk_updates_and_deletes_invalidate_too(client, finalized):
    archive = reverse("meetings:archive")
    assert finalized.get_absolute_url() in get(client, archive).content.decode()
    AgendaItem.objects.filter(meeting=finalized).update(title="Renamed in bulk")
    assert (
        "Renamed in bulk" in get(client, finalized.get_absolute_url()).content.decode()
    )

    # The admin's "delete selected" action deletes through the QuerySet.
    Meeting.objects.filter(pk=finalized.pk).delete()
    assert finalized.get_absolute_url() not in get(client, archive).content.decode()
    assert get(client, finalized.get_absolute_url()).status_code == 404


def test_an_admin_edit_invalidates_the_people_pages(admin_client, finalized):
    client = Client()  # anonymous, beside the admin's logged-in one
    person = Attendee.objects.get(display_name="Ada Quill")
    url = person.get_absolute_url()
    assert "Ada Quill" in get(client, url).content.decode()
    assert get(client, url).queries == 1
    response = admin_client.post(
        reverse("admin:people_attendee_change", args=[person.pk]),
        {
            "display_name": "Ada Lovelace-Quill",
            "github_handle": person.github_handle,
            "affiliation": "",
            "user": "",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
            "aliases-MIN_NUM_FORMS": "0",
            "aliases-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302
    assert "Ada Lovelace-Quill" in get(client, url).content.decode()
    assert (
        "Ada Lovelace-Quill"
        in get(client, finalized.get_absolute_url()).content.decode()
    )


def test_staff_are_never_served_or_stored_from_the_cache(client, finalized):
    url = finalized.get_absolute_url()
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    response = get(client, url)
    assert "ETag" not in response
    assert "private" in response["Cache-Control"]
    client.logout()
    assert get(client, url).queries > 1  # staff's visit stored nothing


def test_drafts_seen_by_staff_never_reach_the_public(client):
    meeting = MeetingFactory(status=Meeting.Status.HELD, highlights="secret draft")
    url = meeting.get_absolute_url()
    client.force_login(UserFactory(is_staff=True))
    assert "secret draft" in get(client, url).content.decode()
    client.logout()
    assert "secret draft" not in get(client, url).content.decode()


def test_meetings_that_are_not_finalized_are_kept_for_the_minute(client, monkeypatch):
    # They show what is on now: kept per stamp and minute, then rendered again
    # (tests/meetings/test_clock_page_cache.py).
    meeting = MeetingFactory(status=Meeting.Status.SCHEDULED)
    url = meeting.get_absolute_url()
    first = get(client, url)
    second = get(client, url)
    assert first.status_code == second.status_code == 200
    assert second.queries == 1
    assert second["ETag"] == first["ETag"]
    later = time.time() + 60
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: dt.datetime.fromtimestamp(later, tz=dt.UTC)
    )
    next_minute = get(client, url)
    assert next_minute.queries > 1
    assert next_minute["ETag"] != first["ETag"]


def test_not_found_pages_are_not_cached(client):
    url = "/calls/nope/2020-01-01/"
    assert get(client, url).status_code == 404
    second = get(client, url)
    assert second.status_code == 404
    assert "ETag" not in second


def test_head_requests_are_served_from_the_cache(client, finalized):
    url = finalized.get_absolute_url()
    etag = get(client, url)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = client.head(url)
    assert response.status_code == 200
    assert response["ETag"] == etag
    assert len(queries) == 1


def test_the_cache_can_be_turned_off(client, finalized, settings):
    settings.PAGE_CACHE = False
    # The call page's parts are kept on their own (tests/meetings/test_clock_pages.py).
    settings.CLOCK_CACHE_SECONDS = 0
    settings.PUBLISHED_PAGES = False  # and its stored notes (meetings/published.py)
    url = finalized.get_absolute_url()
    get(client, url)
    second = get(client, url)
    assert "ETag" not in second
    assert second.queries > 1


def test_every_public_list_and_people_page_is_cached(client, finalized):
    person = finalized.attendances.get().attendee
    for url in (
        reverse("meetings:archive"),
        reverse("meetings:series", kwargs={"series": finalized.series.slug}),
        reverse("meetings:releases"),
        reverse("meetings:refs"),
        reverse("people:list"),
        person.get_absolute_url(),
    ):
        assert get(client, url).status_code == 200, url
        hit = get(client, url)
        assert hit.queries == 1, url
        assert get(client, url, if_none_match=hit["ETag"]).status_code == 304


def test_unknown_query_parameters_share_the_page_and_add_no_entries(client, finalized):
    url = finalized.get_absolute_url()
    first = get(client, url)
    entries = len(cache._cache)  # locmem in tests
    for n in range(50):
        flooded = get(client, f"{url}?utm_source={n}&x{n}=1")
        assert flooded.status_code == 200
        assert flooded["ETag"] == first["ETag"]
        assert flooded.queries == 1  # the stamp only: served from the cache
    assert len(cache._cache) == entries


def test_list_pages_are_stored_only_under_the_page_and_filters_they_showed(
    client, finalized
):
    archive = reverse("meetings:archive")
    get(client, archive)
    entries = len(cache._cache)
    # Forgiven pages (not a number, past the end) and unknown filters are served,
    # but each made-up value does not get a copy of its own.
    for n in range(20):
        for query in (f"page={n + 2}", f"page=x{n}", f"series=nope{n}", f"year=1{n}"):
            assert get(client, f"{archive}?{query}").status_code == 200
    assert len(cache._cache) == entries
    # Real filters and pages are cached.
    real = f"{archive}?series={finalized.series.slug}&year={finalized.date.year}"
    get(client, real)
    assert get(client, real).queries == 1
    assert get(client, f"{archive}?page=last").status_code == 200
    assert get(client, f"{archive}?page=last").queries == 1
    assert len(cache._cache) == entries + 2


def test_references_years_are_stored_as_shown_and_made_up_ones_not_at_all(client):
    for year in (2024, 2026):
        call = MeetingFactory(start=dt.datetime(year, 5, 6, 16, tzinfo=dt.UTC))
        GitHubReferenceFactory(meeting=call)
    refs = reverse("meetings:refs")
    get(client, refs)
    entries = len(cache._cache)
    # Not a quarter, past the newest, before the oldest: served, not stored.
    for n in range(20):
        for until in (f"x{n}", f"{2030 + n}-Q1", f"{1900 + n}-Q2"):
            assert get(client, f"{refs}?until={until}").status_code == 200
    assert len(cache._cache) == entries
    earlier = f"{refs}?until=2025-Q1"
    assert "2024-05-06" in get(client, earlier).content.decode()
    assert get(client, earlier).queries == 1
    assert len(cache._cache) == entries + 1


def test_the_home_page_is_kept_for_the_minute(client, finalized):
    first = get(client, "/")
    second = get(client, "/")
    assert second.queries == 1
    assert second["ETag"] == first["ETag"]


# The decorator itself, on views that do what the public site's forms and messages do.


def anonymous_request(path="/page/"):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def count_renders(body):
    calls = []

    def view(request):
        calls.append(1)
        return HttpResponse(body(request))

    return public_page(view), calls


def test_pages_with_a_csrf_token_are_never_stored():
    view, calls = count_renders(lambda request: f"<form>{get_token(request)}</form>")
    view(anonymous_request())
    response = view(anonymous_request())
    assert len(calls) == 2
    assert "ETag" not in response


def test_pages_that_show_messages_are_never_stored():
    def body(request):
        return " ".join(str(m) for m in request._messages)

    view, calls = count_renders(body)
    request = anonymous_request()
    add_message(request, constants.SUCCESS, "Thanks for your proposal")
    assert b"Thanks" in view(request).content
    assert b"Thanks" not in view(anonymous_request()).content
    assert len(calls) == 2


def test_a_plain_page_is_stored_once():
    view, calls = count_renders(lambda request: "plain")
    view(anonymous_request())
    view(anonymous_request())
    assert len(calls) == 1
    view(anonymous_request("/other/"))
    assert len(calls) == 2


def test_clock_dependent_pages_get_a_new_key_each_period(monkeypatch):
    calls = []

    def view(request):
        calls.append(1)
        return HttpResponse("upcoming")

    feed = public_page(view, refresh_seconds=300)
    monkeypatch.setattr("pagecache.caching.time.time", lambda: 1_000_000.0)
    first = feed(anonymous_request())
    feed(anonymous_request())
    assert len(calls) == 1
    monkeypatch.setattr("pagecache.caching.time.time", lambda: 1_000_000.0 + 300)
    later = feed(anonymous_request())
    assert len(calls) == 2
    assert later["ETag"] != first["ETag"]


def test_a_bump_changes_the_stamp_and_time():
    stamp, changed_at = SiteGeneration.current()
    SiteGeneration.bump()
    new_stamp, new_changed_at = SiteGeneration.current()
    assert new_stamp != stamp
    assert new_changed_at >= changed_at
    assert SiteGeneration.objects.count() == 1


def stamp_writes(queries) -> list[str]:
    table = connection.ops.quote_name(SiteGeneration._meta.db_table)
    return [q["sql"] for q in queries if q["sql"].startswith(f"UPDATE {table}")]


def writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")
    ]


def test_writes_in_one_block_bump_the_stamp_once_as_its_last_write(finalized):
    stamp, _changed_at = SiteGeneration.current()
    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        SiteGeneration.bump_once(),
    ):
        finalized.save()
        Meeting.objects.filter(pk=finalized.pk).update(highlights="- edited")
        AgendaItemFactory(meeting=finalized, title="Added")
        Attendee.objects.bulk_create([Attendee(display_name="New Nell")])
        assert SiteGeneration.current()[0] == stamp
    assert len(stamp_writes(queries)) == 1
    # Last, so the row is locked for a moment, not for the whole block.
    assert writes(queries)[-1] == stamp_writes(queries)[0]
    assert SiteGeneration.current()[0] != stamp


def test_a_block_that_rolls_back_leaves_the_stamp(
    finalized, django_capture_on_commit_callbacks
):
    stamp, _changed_at = SiteGeneration.current()

    def save_then_fail():
        with transaction.atomic(), SiteGeneration.bump_once():
            finalized.save()
            raise RuntimeError("the file failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError, match="the file failed"),
    ):
        save_then_fail()
    assert callbacks == []
    assert SiteGeneration.current()[0] == stamp


def test_a_block_whose_error_is_caught_in_the_transaction_bumps_on_commit(
    finalized, django_capture_on_commit_callbacks
):
    stamp, _changed_at = SiteGeneration.current()

    def edit_then_fail():
        with SiteGeneration.bump_once():
            Meeting.objects.filter(pk=finalized.pk).update(highlights="- edited")
            raise RuntimeError("the file failed")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with pytest.raises(RuntimeError, match="the file failed"):
            edit_then_fail()
        assert SiteGeneration.current()[0] == stamp
    # The edit committed, and its new stamp with it.
    assert SiteGeneration.current()[0] != stamp


def test_an_inner_block_leaves_the_bump_to_the_outer_one(finalized):
    stamp, _changed_at = SiteGeneration.current()
    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        SiteGeneration.bump_once(),
    ):
        Meeting.objects.filter(pk=finalized.pk).update(highlights="- edited")
        with transaction.atomic(), SiteGeneration.bump_once():
            finalized.save()
        assert SiteGeneration.current()[0] == stamp
    assert len(stamp_writes(queries)) == 1
    assert SiteGeneration.current()[0] != stamp


def test_a_block_without_writes_keeps_the_stamp(finalized):
    stamp, _changed_at = SiteGeneration.current()
    with transaction.atomic(), SiteGeneration.bump_once():
        assert list(Meeting.objects.filter(pk=finalized.pk)) == [finalized]
    assert SiteGeneration.current()[0] == stamp


def test_the_stamp_row_is_made_when_first_read_inside_a_block():
    SiteGeneration.objects.all().delete()
    with transaction.atomic(), SiteGeneration.bump_once():
        stamp, _changed_at = SiteGeneration.current()
    assert SiteGeneration.current()[0] == stamp


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_every_write_bumps_at_once(finalized):
    stamp, _changed_at = SiteGeneration.current()
    with CaptureQueriesContext(connection) as queries, SiteGeneration.bump_once():
        finalized.save()
        assert SiteGeneration.current()[0] != stamp
        Meeting.objects.filter(pk=finalized.pk).update(highlights="- edited")
    assert len(stamp_writes(queries)) == 2


def test_another_app_server_serves_the_page_from_the_shared_cache(client, finalized):
    url = finalized.get_absolute_url()
    first = get(client, url)
    local_pages.clear()  # a second app server: an empty process memory
    again = get(client, url)
    assert again.queries == 1
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]


def test_a_visitor_with_a_stale_session_cookie_still_gets_the_cached_page(
    client, finalized
):
    url = finalized.get_absolute_url()
    first = get(client, url)
    client.cookies["sessionid"] = "no-such-session"
    again = get(client, url)
    assert again.status_code == 200
    assert again.content == first.content
    assert again.queries == 2  # the session lookup, then the stamp


def test_cached_pages_vary_on_cookie(client, finalized):
    url = finalized.get_absolute_url()
    get(client, url)
    assert "Cookie" in get(client, url)["Vary"]


def test_a_remembered_stamp_still_sees_this_process_writes_at_once(
    client, finalized, settings
):
    settings.PAGE_CACHE_STAMP_SECONDS = 60
    url = finalized.get_absolute_url()
    get(client, url)
    assert get(client, url).queries == 0  # stamp remembered, page in memory
    finalized.highlights = "- edited here"
    finalized.save()
    assert "edited here" in get(client, url).content.decode()


def test_a_remembered_stamp_sees_other_servers_writes_when_it_expires(
    client, finalized, settings, monkeypatch
):
    settings.PAGE_CACHE_STAMP_SECONDS = 1
    url = finalized.get_absolute_url()
    get(client, url)
    # Another app server's write: the row changes, this process did not bump.
    Meeting.objects.filter(pk=finalized.pk).update(highlights="- edited elsewhere")
    SiteGeneration.local_bumps -= 1
    assert "edited elsewhere" not in get(client, url).content.decode()
    later = time.monotonic() + 2
    monkeypatch.setattr("pagecache.caching.time.monotonic", lambda: later)
    assert "edited elsewhere" in get(client, url).content.decode()


def wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_notify_during_the_health_check_is_not_lost(settings, monkeypatch):
    # The listener checks its link with SELECT 1 when a second passes in silence;
    # a NOTIFY that arrives meanwhile is read with that answer and must count.
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL.")
    settings.PAGE_CACHE_LISTEN = True
    stamp_memo.value = None
    other = connection.Database.connect(**connection.get_connection_params())
    other.autocommit = True
    checks = []
    health_check = type(stamp_listener).health_check

    def notify_then_check(listener):
        if not checks:
            # Another server's write lands just before this check's answer.
            with other.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {SiteGeneration._meta.db_table} SET stamp = "
                    f"'during-check' WHERE id = 1; NOTIFY {SiteGeneration.CHANNEL}"
                )
            time.sleep(0.1)
        checks.append(1)
        health_check(listener)

    monkeypatch.setattr(type(stamp_listener), "health_check", notify_then_check)
    try:
        SiteGeneration.bump()
        current_stamp()
        assert wait_for(lambda: stamp_listener.healthy)
        assert current_stamp()[0] != "during-check"
        assert wait_for(lambda: len(checks) >= 1, seconds=3)
        assert wait_for(lambda: current_stamp()[0] == "during-check", seconds=3)
    finally:
        stamp_listener.stop()
        other.close()


@pytest.mark.django_db(transaction=True)
def test_the_listener_saves_the_stamp_query_and_hears_other_servers(settings):
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL.")
    settings.PAGE_CACHE_LISTEN = True
    stamp_memo.value = None
    other = connection.Database.connect(**connection.get_connection_params())
    other.autocommit = True
    try:
        SiteGeneration.bump()
        current_stamp()
        assert wait_for(lambda: stamp_listener.healthy)
        first = current_stamp()
        with CaptureQueriesContext(connection) as queries:
            assert current_stamp() == first
        assert len(queries) == 0

        # Another app server's write: its own connection, its own NOTIFY.
        with other.cursor() as cursor:
            cursor.execute(
                f"UPDATE {SiteGeneration._meta.db_table} SET stamp = 'elsewhere' "
                f"WHERE id = 1; NOTIFY {SiteGeneration.CHANNEL}"
            )
        assert wait_for(lambda: current_stamp()[0] == "elsewhere", seconds=2)

        # Without its link the listener vouches for nothing: read every time.
        stamp_listener.stop()
        settings.PAGE_CACHE_LISTEN = False
        with CaptureQueriesContext(connection) as queries:
            current_stamp()
            current_stamp()
        assert len(queries) == 2
    finally:
        stamp_listener.stop()
        other.close()
