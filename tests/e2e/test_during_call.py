"""The site while a call is on, a late proposal, and phones with the real notes."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from agenda.models import AgendaItem
from agenda.views import proposal_token
from meetings.models import Meeting
from tests.e2e.test_public_flows import violations
from tests.factories import AgendaItemFactory, MeetingFactory
from tests.public_data import Community

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FALCO = Path(settings.BASE_DIR) / ".." / "shared" / "corpus" / "falco-community"
PHONES = [320, 375]


@pytest.fixture
def community():
    cache.clear()
    return Community().grow(2).start_a_call()


@pytest.mark.parametrize("viewport", [None, {"width": 375, "height": 740}])
def test_home_and_call_page_during_a_call(browser, live_server, community, viewport):
    context = (
        browser.new_context(viewport=viewport) if viewport else browser.new_context()
    )
    page = context.new_page()
    page.goto(live_server.url + "/")
    now = page.locator("section.on-now")
    assert (
        now.get_by_role("link", name="Join the video call").get_attribute("href")
        == "https://meet.example.org/widget"
    )
    assert now.get_by_role("link", name="I'm here: check in").count() == 1
    assert page.get_by_role("heading", name="Next calls").count() == 1
    assert (
        page.locator(
            f"a[href='{community.upcoming.get_absolute_url()}propose/']"
        ).count()
        == 1
    )
    found = {"home": violations(page)}
    page.goto(live_server.url + community.on_now.get_absolute_url())
    notice = page.locator("main .notice-live")
    assert "The call is on now." in notice.inner_text()
    assert page.get_by_role("link", name=re.compile("I'm here")).count() == 1
    assert page.locator("text=The call has taken place").count() == 0
    found["call on now"] = violations(page)
    context.close()
    assert found == dict.fromkeys(found, [])


def test_a_proposal_sent_after_the_start_is_kept(page, live_server):
    cache.clear()
    call = MeetingFactory(
        status=Meeting.Status.SCHEDULED, start=timezone.now() + dt.timedelta(seconds=4)
    )
    page.goto(live_server.url + call.get_absolute_url() + "propose/")
    page.get_by_label("Your name").fill("Sam Visitor")
    page.get_by_label("Title").fill("Typed before the start")
    page.get_by_label("Description (markdown)").fill("Sent **a bit** late.")
    # The call starts while the visitor is still typing.
    page.wait_for_timeout(max(0, (call.start - timezone.now()).total_seconds() * 1000))
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Send the proposal").click()
    page.wait_for_url(re.compile(r"/proposals/[^/]+/$"))
    assert "kept as a late proposal" in page.content()
    item = AgendaItem.objects.get(title="Typed before the start")
    assert item.arrived_late
    assert item.description == "Sent **a bit** late."
    page.goto(live_server.url + call.get_absolute_url())
    row = page.locator("ol.agenda > li", has_text="Typed before the start")
    assert row.locator(".badge-late").inner_text() == "late"


def widest_pages(live_server_url: str) -> dict[str, str]:
    """Every page type, with the real notes: the calls with the longest unbroken
    words (long links) stand for all calls."""
    from agenda.notes.importer import import_notes, sources_from_paths

    report = import_notes(
        sources=sources_from_paths([FALCO / "meeting-notes"]),
        series_slug="falco-community",
    )
    assert report.failures == 0
    meetings = list(Meeting.objects.select_related("series").exclude(source_file=""))

    def longest_word(meeting):
        texts = [meeting.highlights, meeting.notes] + [
            f"{i.title} {i.discussion_notes}" for i in meeting.agenda_items.all()
        ]
        return max((len(w) for t in texts for w in t.split()), default=0)

    meetings.sort(key=longest_word, reverse=True)
    series = meetings[0].series
    coming = MeetingFactory(
        series=series,
        status=Meeting.Status.SCHEDULED,
        start=timezone.now() + dt.timedelta(days=3),
    )
    long_url = "https://github.com/falcosecurity/falco/pull/1234#" + "x" * 120
    proposal = AgendaItemFactory(
        meeting=coming,
        status="proposed",
        title="[A long title](" + long_url + ")",
        description=f"See {long_url} and `{'y' * 150}`",
        links=long_url,
    )
    person = next(a for m in meetings for a in m.attendees.all() if a.github_handle)
    paths = {
        "home": "/",
        "archive": "/calls/",
        "series": series.get_absolute_url(),
        "coming call": coming.get_absolute_url(),
        "propose": coming.get_absolute_url() + "propose/",
        "private proposal": f"/proposals/{proposal_token(proposal)}/",
        "people": "/people/",
        "person": person.get_absolute_url(),
        "releases": "/releases/",
        "actions": "/actions/",
        "search": "/search/?q=falco",
        "refs": "/refs/falcosecurity/falco/1234/",
        "not found": "/calls/falco-community/1999-01-01/",
    }
    for n, meeting in enumerate(meetings[:12]):
        paths[f"call {n} {meeting.date_key}"] = meeting.get_absolute_url()
    return paths


@pytest.mark.skipif(not FALCO.is_dir(), reason=f"the Falco corpus is not at {FALCO}")
def test_no_page_is_wider_than_a_phone(browser, live_server):
    cache.clear()
    paths = widest_pages(live_server.url)
    too_wide = {}
    for width in PHONES:
        context = browser.new_context(viewport={"width": width, "height": 700})
        page = context.new_page()
        for name, path in paths.items():
            page.goto(live_server.url + path)
            scroll, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll > inner:
                too_wide[f"{width}px {name}"] = scroll
        context.close()
    print(f"\nphones: {len(paths)} pages at {PHONES} px, too wide: {too_wide}")
    assert too_wide == {}
