"""Browser: sign in through the fake GitHub, propose, follow it, check in.

The fake GitHub (tests/fake_github.py) is a real HTTP server on 127.0.0.1: the
browser is sent to its authorize page and back, and the site exchanges the code
and reads the profile over HTTP, as it would with github.com.
"""

import datetime as dt

import pytest
from django.utils import timezone

from agenda.models import AgendaItem
from meetings.models import Attendance, CheckIn, Meeting
from meetings.roles import grant_role
from tests.factories import MeetingFactory
from tests.staff import ensure_roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in_with_github(page, live_server, fake_github, account, next_path="/"):
    fake_github.sign_in_as(account)
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    with page.expect_navigation(url=f"{live_server.url}{next_path}"):
        page.get_by_role("button", name="Sign in with GitHub").click()


def test_propose_follow_the_status_and_check_in_with_one_click(
    browser, live_server, fake_github, settings
):
    settings.PASSWORD_LOGIN = "superusers"
    ensure_roles()
    meeting = MeetingFactory(
        status=Meeting.Status.SCHEDULED,
        start=timezone.now() + dt.timedelta(days=1),
        mc=None,
    )
    grant_role(handle="cleo-mc", role="mc", meeting=meeting, by=None)
    ada_account = fake_github.add_account("adaquill", id=42, name="Ada Quill")
    cleo_account = fake_github.add_account("cleo-mc", id=43)
    contexts = [browser.new_context(), browser.new_context()]
    try:
        ada, cleo = (context.new_page() for context in contexts)
        for tab in (ada, cleo):
            tab.set_default_timeout(10_000)
        flow(ada, cleo, live_server, fake_github, meeting, ada_account, cleo_account)
    finally:
        # Open keep-alive connections would outlive the live server's database.
        for context in contexts:
            context.close()


def flow(ada, cleo, live_server, fake_github, meeting, ada_account, cleo_account):

    # Ada signs in with GitHub and proposes an item: her name is filled in.
    sign_in_with_github(ada, live_server, fake_github, ada_account)
    assert ada.get_by_role("button", name="Sign out adaquill").is_visible()
    propose = f"{meeting.get_absolute_url()}propose/"
    ada.goto(f"{live_server.url}{propose}")
    assert ada.get_by_label("Your GitHub handle (optional)").input_value() == (
        "adaquill"
    )
    ada.get_by_label("Title").fill("Plugin registry update")
    with ada.expect_navigation():
        ada.get_by_role("button", name="Send the proposal").click()
    ada.get_by_role("link", name="My proposals").click()
    row = ada.locator("table.my-proposals tbody tr")
    assert row.count() == 1
    assert "Plugin registry update" in row.inner_text()
    assert row.locator(".status").inner_text().startswith("Proposed")

    # The MC signs in with GitHub and accepts it: no other step.
    sign_in_with_github(cleo, live_server, fake_github, cleo_account)
    cleo.goto(f"{live_server.url}/admin/meetings/meeting/{meeting.pk}/agenda/")
    with cleo.expect_navigation():
        cleo.get_by_role("button", name="Accept").click()
    assert AgendaItem.objects.get().status == AgendaItem.Status.ACCEPTED

    ada.reload()
    assert ada.locator("table.my-proposals .status").inner_text().startswith("Accepted")

    # During the call, Ada checks in with one click, verified.
    Meeting.objects.filter(pk=meeting.pk).update(
        start=timezone.now() - dt.timedelta(minutes=5), status=Meeting.Status.HELD
    )
    ada.goto(f"{live_server.url}{meeting.get_absolute_url()}checkin/")
    with ada.expect_navigation():
        ada.get_by_role("button", name="I'm here: check me in").click()
    assert (
        "you are on the list of who joined (verified)"
        in ada.locator(".messages").inner_text()
    )
    attendance = Attendance.objects.get(meeting=meeting)
    assert attendance.attendee.github_handle == "adaquill"
    assert CheckIn.objects.get(meeting=meeting).verified

    # Signing out is a POST from the header.
    with ada.expect_navigation():
        ada.get_by_role("button", name="Sign out adaquill").click()
    assert ada.get_by_role("link", name="Sign in").is_visible()
