"""Dragging accepted agenda items into order (the up/down buttons work without JS)."""

import pytest

from agenda.models import AgendaItem
from meetings.models import Meeting
from tests.e2e.test_mc_session import log_in
from tests.factories import AgendaItemFactory, MeetingFactory
from tests.staff import PASSWORD, mc

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_dragging_a_row_saves_the_new_order(page, live_server):
    _user, ann = mc("ann", password=PASSWORD)
    meeting = MeetingFactory(status=Meeting.Status.SCHEDULED, mc=ann)
    for position, title in enumerate(["First", "Second", "Third"], start=1):
        AgendaItemFactory(
            meeting=meeting,
            title=title,
            position=position,
            status=AgendaItem.Status.ACCEPTED,
        )
    log_in(page, live_server, "ann")
    page.goto(f"{live_server.url}/admin/meetings/meeting/{meeting.pk}/agenda/")
    rows = page.locator("#accepted-items tbody tr")
    with page.expect_navigation():
        rows.nth(2).drag_to(rows.nth(0), target_position={"x": 5, "y": 2})
    assert page.locator("#accepted-items .item-title").all_inner_texts() == [
        "Third",
        "First",
        "Second",
    ]
    assert [str(m) for m in page.locator("ul.messagelist li").all_inner_texts()] == [
        "Agenda reordered."
    ]
