"""The notebook page in a real browser without its live editor: the CSP holds,
leaving with typed text warns, saving does not."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from agenda.models import AgendaItem
from meetings.models import Meeting
from tests.e2e.test_csp import violations, watched  # noqa: F401 - fixture
from tests.e2e.test_mc_session import log_in
from tests.factories import AgendaItemFactory, MeetingFactory
from tests.staff import PASSWORD, mc

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_leaving_with_unsaved_text_warns_and_saving_keeps_it(
    watched,  # noqa: F811
    live_server,
    settings,
):
    settings.NOTEBOOK_LIVE = False  # the plain form, as without JavaScript
    _user, ann = mc("ann", display_name="Ann MC", password=PASSWORD)
    meeting = MeetingFactory(
        status=Meeting.Status.HELD,
        mc=ann,
        start=timezone.now() - dt.timedelta(minutes=10),
    )
    AgendaItemFactory(
        meeting=meeting, title="Release 0.26", status=AgendaItem.Status.ACCEPTED
    )
    page = watched
    log_in(page, live_server, "ann")
    url = live_server.url + reverse(
        "agenda:notebook",
        kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
    )
    page.goto(url)
    assert "min left" in page.locator("#nb-clock").inner_text()
    page.locator("textarea[name=highlights]").fill("Typed, not saved")

    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.get_by_role("link", name="Public page").click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.url == url
    assert page.locator("textarea[name=highlights]").input_value() == (
        "Typed, not saved"
    )

    with page.expect_navigation():
        page.locator("#nb-save").click()
    assert dialogs == ["beforeunload"]  # saving is not leaving
    meeting.refresh_from_db()
    assert meeting.highlights == "Typed, not saved"
    assert "Saved version 2." in page.locator(".messages").inner_text()
    assert violations(page) == []
