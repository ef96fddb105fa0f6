"""The public site in a real browser: proposing, editing, searching, people, a11y."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache

from agenda.models import AgendaItem
from tests.public_data import Community

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def community():
    cache.clear()
    return Community().grow(2)


def violations(page):
    """axe-core's violations on the open page, as readable strings."""
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
        f"{[n['target'] for n in v['nodes']][:3]})"
        for v in results.response["violations"]
    ]


def test_propose_fix_an_error_see_it_proposed_then_edit_it(
    page, live_server, community
):
    call_url = live_server.url + community.upcoming.get_absolute_url()
    page.goto(call_url)
    page.get_by_role("link", name="Propose an agenda item").click()
    page.get_by_label("Your name").fill("Sam Visitor")
    page.get_by_label("Your GitHub handle (optional)").fill("-not-a-handle-")
    page.get_by_label("Title").fill("Monthly office hours")
    page.get_by_label("Description (markdown)").fill("Let us meet **monthly**.")
    page.get_by_label("Time needed").select_option("10")
    page.get_by_role("button", name="Send the proposal").click()

    # The error names the field, and what was typed is still there.
    assert (
        page.locator("#id_proposer_handle_error")
        .inner_text()
        .startswith("“-not-a-handle-” is not a valid GitHub handle")
    )
    assert page.get_by_label("Title").input_value() == "Monthly office hours"
    assert page.get_by_label("Time needed").input_value() == "10"
    page.get_by_label("Your GitHub handle (optional)").fill("sam-v")
    page.get_by_role("button", name="Send the proposal").click()

    page.wait_for_url(re.compile(r"/proposals/[^/]+/$"))
    private_url = page.url
    assert "your item is on the agenda as proposed" in page.content()
    assert page.get_by_role("link", name=private_url).count() == 1

    page.goto(call_url)
    item = page.locator("ol.agenda > li", has_text="Monthly office hours")
    assert item.locator(".badge-proposed").inner_text() == "proposed"
    assert item.locator("p > strong").inner_text() == "monthly"

    page.goto(private_url)
    page.get_by_label("Title").fill("Quarterly office hours")
    page.get_by_role("button", name="Save changes").click()
    assert "Your changes are saved." in page.content()
    page.goto(call_url)
    assert page.locator("ol.agenda", has_text="Quarterly office hours").count() == 1
    assert page.locator("ol.agenda", has_text="Monthly office hours").count() == 0
    assert AgendaItem.objects.get(title="Quarterly office hours").status == "proposed"


def test_withdraw_through_the_private_link(page, live_server, community):
    page.goto(live_server.url + community.upcoming.get_absolute_url() + "propose/")
    page.get_by_label("Your name").fill("Sam")
    page.get_by_label("Title").fill("Changed my mind")
    page.get_by_role("button", name="Send the proposal").click()
    page.wait_for_url(re.compile(r"/proposals/[^/]+/$"))
    page.get_by_role("button", name="Withdraw the proposal").click()
    page.wait_for_url(live_server.url + community.upcoming.get_absolute_url())
    assert "was withdrawn" in page.content()
    assert page.locator("ol.agenda", has_text="Changed my mind").count() == 0


def test_find_a_meeting_by_search_then_open_a_person(page, live_server, community):
    page.goto(live_server.url + "/")
    page.get_by_role("searchbox", name="Search the notes").first.fill("shipped")
    page.get_by_role("button", name="Search").first.click()
    page.wait_for_url(re.compile(r"/search/\?q=shipped"))
    assert page.locator("h2", has_text="1 call found").count() == 1
    page.locator("ol.results a").first.click()
    page.wait_for_url(live_server.url + community.meeting.get_absolute_url())
    assert (
        page.title()
        == f"Widget Community Call, {community.meeting.date_key} · Callbook"
    )
    joined = page.locator("ul.people-list")
    joined.get_by_role("link", name="Ada Quill").click()
    page.wait_for_url(live_server.url + "/people/AdaQuill/")
    assert page.locator("h1").inner_text() == "Ada Quill"


def test_the_visitor_sees_the_call_in_their_own_time_zone(
    browser, live_server, community
):
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
    page = context.new_page()
    page.goto(live_server.url + "/")
    local = page.locator("time[data-local] + .local-time").first
    local.wait_for()
    assert "Asia/Tokyo" in local.inner_text()
    context.close()


def test_proposing_works_without_javascript(browser, live_server, community):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + community.upcoming.get_absolute_url() + "propose/")
    page.get_by_label("Your name").fill("No Script")
    page.get_by_label("Title").fill("Plain HTML works")
    page.get_by_role("button", name="Send the proposal").click()
    page.wait_for_url(re.compile(r"/proposals/[^/]+/$"))
    # Without the script, times stay in UTC.
    page.goto(live_server.url + "/")
    assert page.locator(".local-time").count() == 0
    assert " UTC" in page.locator("time[data-local]").first.inner_text()
    context.close()


@pytest.mark.parametrize("viewport", [None, {"width": 375, "height": 740}])
def test_public_pages_have_no_axe_violations(browser, live_server, community, viewport):
    context = (
        browser.new_context(viewport=viewport) if viewport else browser.new_context()
    )
    page = context.new_page()
    paths = {
        "home": "/",
        "propose": community.upcoming.get_absolute_url() + "propose/",
        "archive": "/calls/",
        "meeting": community.meeting.get_absolute_url(),
        "coming call": community.upcoming.get_absolute_url(),
        "person": "/people/AdaQuill/",
        "people": "/people/",
        "search": "/search/?q=widget",
    }
    found = {}
    for name, path in paths.items():
        page.goto(live_server.url + path)
        found[name] = violations(page)
    # The propose form with its error messages showing.
    page.goto(live_server.url + paths["propose"])
    page.get_by_role("button", name="Send the proposal").click()
    page.locator(".errorlist").first.wait_for()
    found["propose with errors"] = violations(page)
    context.close()
    assert found == dict.fromkeys(found, [])


def test_axe_does_find_violations(page, live_server, community):
    # The checker works: a page with an unlabelled field and an empty link fails.
    page.goto(live_server.url + "/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<input type=text><a href=/x></a>')"
    )
    assert {v.split(":")[0] for v in violations(page)} >= {"label", "link-name"}
