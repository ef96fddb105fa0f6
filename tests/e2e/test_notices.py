"""A proposer leaves an address, the MC declines with a reason, the proposer's
e-mail (through a real SMTP server) says why, and its unsubscribe link works."""

import datetime as dt

import pytest
from django.utils import timezone

from agenda.models import AgendaItem
from meetings.models import Meeting
from notices.delivery import run_once
from notices.models import Preference
from tests.e2e.test_mc_session import go, log_in, messages
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

    staff_page = contexts[1].new_page()
    staff_page.set_default_timeout(10_000)
    log_in(staff_page, live_server, "ann")
    staff_page.goto(f"{live_server.url}/admin/meetings/meeting/{meeting.pk}/agenda/")
    item = staff_page.locator(".agenda-item:has(h3:has-text('Monthly office hours'))")
    item.locator("textarea").fill("We keep office hours to the release weeks.")
    go(staff_page, item.get_by_role("button", name="Decline"))
    assert messages(staff_page) == ["Declined “Monthly office hours”."]

    assert run_once().sent == 1
    [message] = smtp.messages
    assert message["To"] == "sam@example.org"
    assert "We keep office hours to the release weeks." in text_part(message)
    assert "We keep office hours to the release weeks." in html_part(message)
    link = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert link.startswith(f"{live_server.url}/notices/unsubscribe/")

    # The proposer opens the link from the e-mail, without signing in.
    visitor.goto(link)
    assert "sam@example.org" in visitor.locator("main").inner_text()
    go(visitor, visitor.get_by_role("button", name="Unsubscribe"))
    assert "sends no more decisions on my proposals" in visitor.content()
    preference = Preference.objects.get(email="sam@example.org")
    assert preference.proposals is False
    assert AgendaItem.objects.get().status == AgendaItem.Status.DECLINED
