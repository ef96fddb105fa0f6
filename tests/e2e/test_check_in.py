"""A visitor checks in during the call; the MC confirms it in the admin."""

import datetime as dt

import pytest
from django.utils import timezone

from meetings.models import Meeting
from people.models import Attendee
from tests.e2e.test_mc_session import go, log_in, messages
from tests.factories import MeetingFactory
from tests.staff import PASSWORD, mc

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_check_in_is_listed_only_once_the_mc_confirms_it(browser, live_server):
    _user, ann = mc("ann", display_name="Ann Example", password=PASSWORD)
    meeting = MeetingFactory(
        status=Meeting.Status.HELD,
        start=timezone.now() - dt.timedelta(minutes=10),
        mc=ann,
    )
    visitor = browser.new_context().new_page()
    visitor.goto(f"{live_server.url}{meeting.get_absolute_url()}checkin/")
    visitor.fill("input[name=github_handle]", "@new-face")
    go(visitor, visitor.get_by_role("button", name="Check me in"))
    assert "you are checked in" in visitor.locator("ul.messages").inner_text()
    assert not Attendee.objects.filter(github_handle="new-face").exists()
    visitor.context.close()

    page = browser.new_context().new_page()
    log_in(page, live_server, "ann")
    page.goto(f"{live_server.url}/admin/meetings/checkin/?verified__exact=0")
    row = page.locator("#result_list tbody tr", has_text="new-face")
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "confirm")
    go(page, page.locator("button[name=index]"))
    assert messages(page) == ["Confirmed 1 check-ins: they are listed as joined."]
    assert [a.github_handle for a in meeting.attendees.all()] == ["new-face"]
    page.context.close()
