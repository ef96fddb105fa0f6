"""The Content-Security-Policy holds in a real browser: no page breaks it.

Each test listens for `securitypolicyviolation` events and CSP console errors while
it opens the public pages and the admin (login, lists, the meeting change page with
the markdownx editors and their live preview).
"""

import pytest

from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AttendanceFactory,
    AttendeeFactory,
    MeetingFactory,
    ReleaseTeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
NOTES = (
    "- shipped **1.0**, see example/widget#42\n\n"
    "![diagram](https://images.example.org/diagram.png)\n\n"
    "```\ncode block\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |"
)


@pytest.fixture
def watched(page, live_server):
    """A page that records CSP violations and never leaves the live server."""
    console = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(live_server.url)
            else route.abort()
        ),
    )
    page.csp_console = console
    return page


def violations(page) -> list[str]:
    page.wait_for_timeout(200)  # violation events are dispatched asynchronously
    return page.evaluate("window.__csp") + page.csp_console


@pytest.fixture
def community():
    meeting = MeetingFactory(highlights=NOTES, notes=NOTES)
    person = AttendeeFactory(display_name="Ada Quill", github_handle="adaquill")
    AttendanceFactory(meeting=meeting, attendee=person)
    AgendaItemFactory(meeting=meeting, discussion_notes=NOTES)
    ActionItemFactory(meeting=meeting)
    ReleaseTeamFactory(meeting=meeting, lead=person)
    return meeting, person


def test_the_public_pages_break_no_rule(watched, live_server, community):
    meeting, person = community
    response = watched.goto(live_server.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    for path in (
        "/",
        "/calls/",
        meeting.series.get_absolute_url(),
        meeting.get_absolute_url(),
        "/people/",
        person.get_absolute_url(),
        "/releases/",
        "/refs/",
    ):
        assert watched.goto(live_server.url + path).status == 200, path
        assert violations(watched) == [], path


def test_the_admin_and_its_markdown_editor_break_no_rule(watched, live_server):
    # Finalized notes are read-only in the admin; the editors are on a held call.
    meeting = MeetingFactory(status="held", highlights=NOTES, notes=NOTES)
    AgendaItemFactory(meeting=meeting, discussion_notes=NOTES)
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    watched.goto(f"{live_server.url}/admin/login/")
    watched.fill("#id_username", "boss")
    watched.fill("#id_password", "pw-for-tests")
    watched.click("input[type=submit]")
    watched.wait_for_url(f"{live_server.url}/admin/")
    assert violations(watched) == []

    for path in ("/admin/meetings/meeting/", "/admin/agenda/agendaitem/"):
        watched.goto(live_server.url + path)
        assert violations(watched) == [], path

    watched.goto(f"{live_server.url}/admin/meetings/meeting/{meeting.pk}/change/")
    # markdownx fetches the preview from the server and inserts it.
    preview = watched.locator(".markdownx-preview").first
    preview.locator("strong").first.wait_for()
    editor = watched.locator("textarea#id_highlights")
    editor.fill("typed *live*")
    editor.dispatch_event("input")
    watched.locator("#id_highlights ~ .markdownx-preview em").wait_for()
    # The collapsible fieldsets and inline "add another" use the admin's scripts.
    watched.locator("text=Add another").first.click()
    assert violations(watched) == []


def test_the_listener_does_catch_a_violation(watched, live_server, community):
    # The control: an inline style attribute is exactly what the policy forbids.
    watched.goto(live_server.url + "/calls/")
    watched.evaluate("document.body.setAttribute('style', 'color: red')")
    found = violations(watched)
    assert any(v.startswith("style-src") for v in found), found
