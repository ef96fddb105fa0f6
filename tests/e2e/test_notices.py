"""A proposer leaves an address and confirms it from the e-mail, the MC declines
with a reason on the meeting's admin page, the proposer's e-mail (through a real
SMTP server) says why, and its manage and unsubscribe links work."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agenda.models import AgendaItem
from meetings.models import Meeting
from notices.delivery import run_once
from notices.models import Preference
from tests.e2e.test_mc_session import agenda_inline, go, log_in, messages
from tests.factories import MeetingFactory, MeetingSeriesFactory
from tests.notices.servers import SmtpServer, html_part, text_part
from tests.staff import PASSWORD, mc

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp(settings, live_server):
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = False
    settings.SITE_URL = live_server.url
    yield server
    server.stop()


def test_a_declined_proposer_reads_why_and_unsubscribes(browser, live_server, smtp):
    _user, ann = mc("ann", display_name="Ann Example", password=PASSWORD)
    series = MeetingSeriesFactory(slug="community", title="Community Call")
    meeting = MeetingFactory(
        series=series,
        status=Meeting.Status.SCHEDULED,
        mc=ann,
        start=timezone.now() + dt.timedelta(days=2),
    )

    contexts = [browser.new_context(), browser.new_context()]
    try:
        run_the_story(contexts, live_server, smtp, meeting)
    finally:
        for context in contexts:
            context.close()


def run_the_story(contexts, live_server, smtp, meeting):
    visitor = contexts[0].new_page()
    visitor.set_default_timeout(10_000)
    visitor.goto(live_server.url + meeting.get_absolute_url() + "propose/")
    visitor.get_by_label("Your name").fill("Sam Visitor")
    visitor.get_by_label("Your e-mail (optional)").fill("sam@example.org")
    visitor.get_by_label("Title").fill("Monthly office hours")
    go(visitor, visitor.get_by_role("button", name="Send the proposal"))
    assert "your item is on the agenda as proposed" in visitor.content()
    expect(visitor.locator("main")).to_contain_text(
        "We sent a link to sam@example.org: open it to confirm the address"
    )

    # Only the confirmation goes to the address; Sam opens its link.
    assert run_once().sent == 1
    [confirmation] = smtp.messages
    assert confirmation["To"] == "sam@example.org"
    visitor.goto(link_in(confirmation, "/notices/confirm/"))
    go(visitor, visitor.get_by_role("button", name="Confirm my address"))
    expect(visitor.locator("h1")).to_have_text("Address confirmed")

    # The MC declines on the meeting's admin page (not the Agenda page).
    staff_page = contexts[1].new_page()
    staff_page.set_default_timeout(10_000)
    log_in(staff_page, live_server, "ann")
    staff_page.goto(f"{live_server.url}/admin/meetings/meeting/{meeting.pk}/change/")
    row = agenda_inline(staff_page, "Monthly office hours")
    row.locator("select[name$='-status']").select_option("declined")
    row.locator("textarea[name$='-decline_reason']").fill(
        "We keep office hours to the release weeks."
    )
    go(staff_page, staff_page.get_by_role("button", name="Save and continue editing"))
    assert messages(staff_page)[0].startswith("The meeting “")
    assert AgendaItem.objects.get().status == AgendaItem.Status.DECLINED

    assert run_once().sent == 1
    assert run_once().sent == 0
    message = smtp.messages[1]
    assert message["To"] == "sam@example.org"
    assert message["Subject"] == "Declined: “Monthly office hours”"
    assert "We keep office hours to the release weeks." in text_part(message)
    assert "We keep office hours to the release weeks." in html_part(message)

    # "Manage your notices": no sign-in; Sam keeps only action items.
    visitor.goto(link_in(message, "/notices/manage/"))
    expect(visitor.locator("main")).to_contain_text("sam@example.org")
    visitor.get_by_label("Decisions on my proposals").uncheck()
    visitor.get_by_label("My action items").check()
    go(visitor, visitor.get_by_role("button", name="Save"))
    expect(visitor.locator(".messages")).to_contain_text(
        "Saved: your choices for sam@example.org."
    )
    preference = Preference.objects.get(email="sam@example.org")
    assert (preference.proposals, preference.actions) == (False, True)

    # The one-click unsubscribe link (List-Unsubscribe) stops the rest.
    link = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert link.startswith(f"{live_server.url}/notices/unsubscribe/")
    visitor.goto(link)
    assert "sam@example.org" in visitor.locator("main").inner_text()
    go(visitor, visitor.get_by_role("button", name="Unsubscribe"))
    assert "sends no more decisions on my proposals" in visitor.content()


def link_in(message, path):
    """A link of the message's text to `path` (the site is the live server)."""
    match = re.search(rf"<(https?://[^>]+{re.escape(path)}[^>]+)>", text_part(message))
    assert match, text_part(message)
    return match.group(1)
