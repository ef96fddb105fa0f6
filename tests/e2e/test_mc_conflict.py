"""Two people on the same notes in two browsers; an MC on someone else's call."""

import datetime as dt

import pytest
from django.utils import timezone

from meetings.models import Meeting
from tests.e2e.test_mc_session import go, log_in
from tests.factories import AttendeeFactory, MeetingFactory
from tests.staff import PASSWORD, maintainer, mc

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def session(browser, live_server, username):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, username)
    return context, page


def test_a_second_editor_gets_a_conflict_not_a_lost_update(browser, live_server):
    _ann_user, ann = mc("ann", display_name="Ann Example", password=PASSWORD)
    bo_user, _bo = maintainer("bo", display_name="Bo Maint", password=PASSWORD)
    bo_user.first_name, bo_user.last_name = "Bo", "Maint"
    bo_user.save()
    meeting = MeetingFactory(
        status=Meeting.Status.HELD,
        mc=ann,
        start=timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5),
    )
    url = f"{live_server.url}/admin/meetings/meeting/{meeting.pk}/change/"
    ann_context, ann_page = session(browser, live_server, "ann")
    bo_context, bo_page = session(browser, live_server, "bo")
    ann_page.goto(url)
    bo_page.goto(url)

    bo_page.fill("textarea#id_highlights", "Bo's highlights")
    go(bo_page, bo_page.get_by_role("button", name="Save and continue editing"))
    assert (
        bo_page.locator("ul.messagelist li")
        .first.inner_text()
        .startswith("The meeting “")
    )

    mine = "Ann's notes, typed during the whole call"
    ann_page.fill("textarea#id_notes", mine)
    go(ann_page, ann_page.get_by_role("button", name="Save and continue editing"))
    error = ann_page.locator("ul.errorlist.nonfield li").inner_text()
    assert error.startswith(
        "Someone saved this meeting while you were editing it (you opened version 1)"
        ": version 2 by Bo Maint at "
    )
    assert ": changed highlights. Nothing of yours was saved." in error
    assert ann_page.locator("textarea#id_notes").input_value() == mine
    meeting.refresh_from_db()
    assert (meeting.highlights, meeting.notes) == ("Bo's highlights", "")

    # Ann merges by hand (keeps Bo's highlights) and saves on purpose.
    ann_page.fill("textarea#id_highlights", "Bo's highlights")
    go(ann_page, ann_page.get_by_role("button", name="Save and continue editing"))
    assert ann_page.locator("ul.errorlist.nonfield").count() == 0
    meeting.refresh_from_db()
    assert (meeting.highlights, meeting.notes, meeting.version) == (
        "Bo's highlights",
        mine,
        3,
    )
    ann_context.close()
    bo_context.close()


def test_an_mc_cannot_open_another_mcs_meeting(browser, live_server):
    _ann_user, ann = mc("ann", password=PASSWORD)
    own = MeetingFactory(status=Meeting.Status.HELD, mc=ann)
    other = MeetingFactory(status=Meeting.Status.HELD, mc=AttendeeFactory())
    context, page = session(browser, live_server, "ann")
    base = f"{live_server.url}/admin/meetings/meeting"
    assert page.goto(f"{base}/{own.pk}/change/").status == 200
    for path in ("change", "agenda", "attendance", "versions"):
        response = page.goto(f"{base}/{other.pk}/{path}/")
        assert response.status == 403, path
    context.close()
