"""The agenda moderation page of a meeting."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agenda.models import AgendaItem
from meetings.models import Meeting
from tests.factories import AgendaItemFactory, MeetingFactory
from tests.staff import mc

pytestmark = pytest.mark.django_db
S = AgendaItem.Status


@pytest.fixture
def page():
    user, person = mc("ann")
    meeting = MeetingFactory(
        status=Meeting.Status.SCHEDULED,
        mc=person,
        start=timezone.now() + dt.timedelta(days=2),
        length_minutes=30,
    )
    client = Client()
    client.force_login(user)
    return client, meeting, reverse("admin:meetings_meeting_agenda", args=[meeting.pk])


def proposal(meeting, title, minutes=10, **kwargs):
    return AgendaItemFactory(
        meeting=meeting,
        title=title,
        requested_minutes=minutes,
        status=S.PROPOSED,
        **kwargs,
    )


def act(client, url, action, item, **extra):
    response = client.post(url, {"action": action, "item": item.pk, **extra})
    assert response.status_code == 302
    follow = client.get(response.url)
    return [str(m) for m in follow.context["messages"]], follow


def test_the_page_lists_proposals_with_escaped_and_rendered_text(page):
    client, meeting, url = page
    proposal(
        meeting,
        "<b>Plugin</b> API",
        description="**Why** <script>x()</script>",
        proposer_name="Dee",
    )
    html = client.get(url).content.decode()
    assert "&lt;b&gt;Plugin&lt;/b&gt; API" in html
    assert "<strong>Why</strong>" in html
    assert "<script>x()" not in html
    assert "Proposed by Dee" in html


def test_accept_order_and_running_total_with_over_booking(page):
    client, meeting, url = page
    first = proposal(meeting, "First", 20)
    second = proposal(meeting, "Second", 15)
    assert act(client, url, "accept", first)[0] == ["Accepted “First”."]
    messages, response = act(client, url, "accept", second)
    assert messages == ["Accepted “Second”."]
    html = response.content.decode()
    assert "35 of 30 minutes" in html
    assert "over-booked by 5 minutes" in html
    rows = response.context["accepted"]
    assert [(item.title, total, over) for item, total, over in rows] == [
        ("First", 20, False),
        ("Second", 35, True),
    ]
    messages, response = act(client, url, "up", second)
    assert messages == ["Moved “Second” up."]
    assert [item.title for item, *_ in response.context["accepted"]] == [
        "Second",
        "First",
    ]
    messages, _ = act(client, url, "up", second)
    assert messages == ["“Second” is already first on the agenda."]


def test_decline_needs_a_reason_and_keeps_it(page):
    client, meeting, url = page
    item = proposal(meeting, "Spam")
    messages, _ = act(client, url, "decline", item, reason="")
    assert messages == ["Give a reason for declining: the proposer sees it."]
    messages, response = act(client, url, "decline", item, reason="Off topic")
    assert messages == ["Declined “Spam”."]
    item.refresh_from_db()
    assert (item.status, item.decline_reason) == (S.DECLINED, "Off topic")
    assert "Off topic" in response.content.decode()


def test_defer_to_next_call_and_to_backlog_then_take_back(page):
    client, meeting, url = page
    later = proposal(meeting, "Later")
    someday = proposal(meeting, "Someday")
    assert act(client, url, "defer_next", later)[0] == [
        "Deferred “Later” to the next call."
    ]
    later.refresh_from_db()
    assert later.meeting.start > meeting.start
    assert act(client, url, "defer_backlog", someday)[0] == [
        "Deferred “Someday” to the series backlog."
    ]
    response = client.get(url)
    assert [item.title for item in response.context["backlog"]] == ["Someday"]
    assert act(client, url, "take", someday)[0] == [
        "Put “Someday” on this call's agenda."
    ]
    someday.refresh_from_db()
    assert (someday.meeting, someday.status) == (meeting, S.ACCEPTED)


def test_reorder_by_drag_posts_the_whole_order(page):
    client, meeting, url = page
    items = [proposal(meeting, title) for title in "ABC"]
    for item in items:
        act(client, url, "accept", item)
    response = client.post(
        url, {"action": "reorder", "order": [items[2].pk, items[0].pk, items[1].pk]}
    )
    assert response.status_code == 302
    titles = [i.title for i in meeting.agenda_items.accepted().order_by("position")]
    assert titles == ["C", "A", "B"]


def test_another_meetings_item_is_not_found(page):
    client, _meeting, url = page
    other = proposal(MeetingFactory(status=Meeting.Status.HELD), "Elsewhere")
    response = client.post(url, {"action": "accept", "item": other.pk})
    assert response.status_code == 404


def test_finalized_agenda_shows_no_buttons_and_refuses_changes(page):
    client, meeting, url = page
    item = proposal(meeting, "Late")
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.FINALIZED)
    html = client.get(url).content.decode()
    assert "the agenda cannot change" in html
    assert 'value="accept"' not in html
    messages, _ = act(client, url, "accept", item)
    assert messages[0].startswith("These notes were finalized by someone")
    item.refresh_from_db()
    assert item.status == S.PROPOSED


def test_moderation_page_query_count_does_not_grow(page):
    client, meeting, url = page
    proposal(meeting, "One")
    AgendaItemFactory(meeting=meeting, status=S.ACCEPTED)
    AgendaItemFactory(meeting=None, series=meeting.series, status=S.DEFERRED)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(5):
        proposal(meeting, f"More {n}")
        AgendaItemFactory(meeting=meeting, status=S.ACCEPTED)
        AgendaItemFactory(meeting=None, series=meeting.series, status=S.DEFERRED)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_an_unknown_action_is_refused(page):
    client, meeting, url = page
    item = proposal(meeting, "Docs")
    messages, _ = act(client, url, "explode", item)
    assert messages == ["Unknown action."]
    item.refresh_from_db()
    assert item.status == S.PROPOSED


def test_a_flood_of_proposals_is_paged(page, monkeypatch):
    from meetings import admin as agenda_admin

    monkeypatch.setattr(agenda_admin, "PROPOSALS_PER_PAGE", 3)
    monkeypatch.setattr(agenda_admin, "LIST_ROWS_SHOWN", 2)
    client, meeting, url = page
    AgendaItem.objects.bulk_create(
        AgendaItem(
            meeting=meeting,
            series=meeting.series,
            title=f"Flood {n:02}",
            status=status,
            position=n,
        )
        for n, status in enumerate([S.PROPOSED] * 7 + [S.DECLINED] * 3)
    )
    html = client.get(url).content.decode()
    assert "Proposed (7)" in html
    assert "Page 1 of 3" in html
    assert html.count('class="module agenda-item proposed"') == 3
    assert "Flood 00" in html
    assert "Flood 03" not in html
    assert "Declined, deferred and discussed (3)" in html
    assert "Flood 09" not in html  # only the first 2 of the others
    third = client.get(url + "?page=3").content.decode()
    assert "Flood 06" in third
    assert third.count('class="module agenda-item proposed"') == 1
    # Acting on page 2 comes back to page 2.
    item = AgendaItem.objects.get(title="Flood 04")
    response = client.post(
        url + "?page=2", {"action": "decline", "item": item.pk, "reason": "no"}
    )
    assert response.url == url + "?page=2"


def test_the_page_and_the_meeting_page_hold_with_1300_proposals(page):
    client, meeting, url = page
    AgendaItem.objects.bulk_create(
        AgendaItem(
            meeting=meeting,
            series=meeting.series,
            title=f"Flood {n}",
            description="x " * 200,
            status=S.PROPOSED,
            position=n,
        )
        for n in range(1300)
    )
    html = client.get(url).content.decode()
    assert "Proposed (1300)" in html
    assert html.count('class="module agenda-item proposed"') == 25
    change = client.get(
        reverse("admin:meetings_meeting_change", args=[meeting.pk])
    ).content.decode()
    assert 'name="agenda_items-TOTAL_FORMS" value="50"' in change
