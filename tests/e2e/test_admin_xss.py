"""A payload stored in markdown must not run when staff open the admin page."""

import pytest

from meetings.models import Meeting
from tests.factories import AgendaItemFactory, MeetingFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAYLOAD = (
    '<img src=x onerror="window.__xss = (window.__xss || 0) + 1">\n\n'
    "<script>window.__xss = 99</script>\n\n"
    "[click me](javascript:window.__xss=5)\n\n**still bold**"
)


def log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_stored_payload_does_not_fire_in_the_admin_preview(page, live_server):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    meeting = MeetingFactory(highlights=PAYLOAD, status=Meeting.Status.HELD)
    AgendaItemFactory(meeting=meeting, discussion_notes=PAYLOAD)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    log_in(page, live_server, "boss", "pw-for-tests")
    page.goto(f"{live_server.url}/admin/meetings/meeting/{meeting.pk}/change/")

    # markdownx renders every editor's preview as soon as the page opens.
    preview = page.locator(".markdownx-preview").first
    preview.locator("strong").wait_for()
    assert preview.locator("strong").inner_text() == "still bold"
    page.wait_for_timeout(300)  # give a broken image's onerror a chance to fire
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    assert preview.locator("img").count() == 1
    assert preview.locator("img").get_attribute("onerror") is None
    assert preview.locator("script").count() == 0
    link = preview.locator("a", has_text="click me")
    assert link.count() == 0 or not (link.get_attribute("href") or "").startswith(
        "javascript"
    )


def test_typing_a_payload_into_the_editor_previews_it_sanitized(page, live_server):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    meeting = MeetingFactory(highlights="", status=Meeting.Status.HELD)
    log_in(page, live_server, "boss", "pw-for-tests")
    page.goto(f"{live_server.url}/admin/meetings/meeting/{meeting.pk}/change/")
    editor = page.locator("textarea#id_highlights")
    editor.fill(PAYLOAD)
    editor.dispatch_event("input")
    preview = page.locator("#id_highlights ~ .markdownx-preview")
    preview.locator("strong").wait_for()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
