"""An MC's whole session in a real browser, from proposals to the next call."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from meetings.models import Meeting
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
)
from tests.staff import PASSWORD, mc

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def pick(page, select_id, term, option_text):
    """Choose in a Django admin autocomplete (select2) box."""
    page.locator(f"#{select_id} + .select2").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(term)
    page.locator(
        ".select2-container--open .select2-results__option", has_text=option_text
    ).click()


def go(page, locator):
    """Click something that loads a new page, and wait for it."""
    with page.expect_navigation():
        locator.click()


def agenda_inline(page, title):
    return page.locator(f".inline-related:has(input[value='{title}'])")


def messages(page):
    return page.locator("ul.messagelist li").all_inner_texts()


def test_an_mc_runs_a_call_from_proposals_to_the_next_call(browser, live_server):
    series = MeetingSeriesFactory(title="Widget Community Call", length_minutes=60)
    _ann_user, ann = mc(
        "ann", display_name="Ann Example", github_handle="ann-ex", password=PASSWORD
    )
    _bo_user, bo = mc(
        "bo", display_name="Bo Next", github_handle="bo-next", password=PASSWORD
    )
    started = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10)
    earlier = MeetingFactory(series=series, start=started - dt.timedelta(weeks=1))
    ActionItemFactory(meeting=earlier, description="Old item still open")
    meeting = MeetingFactory(
        series=series, start=started, status=Meeting.Status.SCHEDULED, mc=ann
    )
    for title, minutes in (("Plugin API", 20), ("Flaky tests", 15), ("Spam", 5)):
        AgendaItemFactory(
            meeting=meeting,
            title=title,
            requested_minutes=minutes,
            status=AgendaItem.Status.PROPOSED,
        )

    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, "ann")

    # Her own call is first in the list.
    page.goto(f"{live_server.url}/admin/meetings/meeting/")
    go(page, page.locator("#result_list tbody tr").first.locator("th a"))
    page.wait_for_url(re.compile(rf"/admin/meetings/meeting/{meeting.pk}/change/"))

    # Sort the proposals.
    go(page, page.get_by_role("link", name="Agenda (3 proposed)"))
    for title in ("Plugin API", "Flaky tests"):
        item = page.locator(f".agenda-item:has(h3:has-text('{title}'))")
        go(page, item.get_by_role("button", name="Accept"))
        assert messages(page) == [f"Accepted “{title}”."]
    go(page, page.get_by_role("button", name="Move “Flaky tests” up"))
    assert page.locator("#accepted-items .item-title").all_inner_texts() == [
        "Flaky tests",
        "Plugin API",
    ]
    assert "35 of 60 minutes" in page.locator("#agenda-budget").inner_text()
    spam = page.locator(".agenda-item:has(h3:has-text('Spam'))")
    go(page, spam.get_by_role("button", name="Decline"))
    assert messages(page) == ["Give a reason for declining: the proposer sees it."]
    spam.locator("textarea").fill("Not on topic for this call")
    go(page, spam.get_by_role("button", name="Decline"))
    assert messages(page) == ["Declined “Spam”."]
    go(page, page.get_by_role("link", name="Back to the meeting's notes"))

    # Notes with live preview.
    highlights = page.locator("textarea#id_highlights")
    highlights.fill("- **Release 1.5** is out")
    highlights.dispatch_event("input")
    preview = page.locator("#id_highlights ~ .markdownx-preview")
    preview.locator("strong").wait_for()
    assert preview.locator("strong").inner_text() == "Release 1.5"
    plugin = agenda_inline(page, "Plugin API")
    notes = plugin.locator("textarea[name$='-discussion_notes']")
    notes.fill("Agreed: *ship* the draft")
    notes.dispatch_event("input")
    plugin.locator(".markdownx-preview em").wait_for()
    plugin.locator("select[name$='-status']").select_option("discussed")
    agenda_inline(page, "Flaky tests").locator("select[name$='-status']").select_option(
        "deferred"
    )

    # An action item with an owner, and the next MC.
    page.fill("#id_action_items-0-description", "Ann to update the docs")
    pick(page, "id_action_items-0-owners", "Ann", "Ann Example")
    pick(page, "id_next_mc", "Bo", "Bo Next")
    go(page, page.get_by_role("button", name="Save and continue editing"))
    assert messages(page)[0].startswith("The meeting “")

    # Paste who joined, preview, save.
    go(page, page.get_by_role("link", name="Paste who joined"))
    page.fill(
        "#id_text",
        "- Ann Example ([@ann-ex](https://github.com/ann-ex))\n"
        "- Bo Next (@bo-next)\n- Cy New ([cy-new](https://github.com/cy-new))\n",
    )
    go(page, page.get_by_role("button", name="Preview"))
    preview_text = page.locator("#attendance-preview").inner_text()
    assert "3 to add, 1 of them new" in preview_text
    assert "New person, will be created." in preview_text
    go(page, page.get_by_role("button", name="Add 3 people to who joined"))
    assert messages(page) == ["Added 3 people to who joined (1 new); 0 skipped."]

    # Finalize.
    go(page, page.get_by_role("button", name="Finalize notes"))
    done = messages(page)[0]
    assert done.startswith("Notes finalized and locked. Next call: ")
    assert done.endswith(
        "MC: Bo Next (@bo-next). Open action items carried over: 2. Deferred agenda "
        "items moved onto it: 1."
    )
    assert "View meeting" in page.locator("h1").inner_text()
    assert page.locator("textarea#id_highlights").count() == 0
    context.close()

    meeting.refresh_from_db()
    assert meeting.is_finalized
    assert meeting.attendances.count() == 3
    next_meeting = Meeting.objects.get(series=series, start__gt=started)

    # The next MC finds the next call prepared.
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, "bo")
    page.goto(f"{live_server.url}/admin/meetings/meeting/")
    go(page, page.locator("#result_list tbody tr").first.locator("th a"))
    page.wait_for_url(re.compile(rf"/admin/meetings/meeting/{next_meeting.pk}/change/"))
    carried = page.locator("#carried_over-group").inner_text()
    assert "Old item still open" in carried
    assert "Ann to update the docs" in carried
    assert agenda_inline(page, "Flaky tests").count() == 1
    assert (
        agenda_inline(page, "Flaky tests")
        .locator("select[name$='-status']")
        .input_value()
        == "proposed"
    )
    context.close()
    assert ActionItem.objects.get(
        description="Ann to update the docs"
    ).owners.get() == (ann)
    assert AttendeeFactory._meta.model.objects.filter(github_handle="cy-new").exists()
