"""The live notebook in three Chromium contexts on two app-server processes.

Two browsers on app server A, one on app server B (each a real uvicorn process on
the test's PostgreSQL and Redis, behind a TCP stand-in for the load balancer). They
type into the same and different texts (deletions, a 2 KB paste, emoji, CJK,
right-to-left); B is killed mid-typing and its browser reconnects to A; one browser
loses its network for 10 s while typing. All end with the same text, equal to the
models, with every scripted insertion that the script did not delete. Finalize
while two type turns both read-only within a second.

Runs in the PostgreSQL half of `make test` (tests/with_redis.sh provides Redis);
skipped on SQLite, and without Redis it skips locally and fails in CI.
"""

import os
import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from agenda.models import AgendaItem, NotebookUpdate
from agenda.notebook import live
from meetings.models import Meeting
from tests.e2e.servers import AppServer, Balancer
from tests.factories import ActionItemFactory, AgendaItemFactory, MeetingFactory
from tests.staff import maintainer, mc

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASTE = " ".join(f"paste{n:03d}" for n in range(230))[:2048]


@pytest.fixture
def servers():
    if connection.vendor != "postgresql":
        pytest.skip("Several app servers need PostgreSQL: runs in the PostgreSQL half.")
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI") == "true":
            pytest.fail("REDIS_URL is missing in CI: tests/with_redis.sh starts Redis.")
        pytest.skip("No Redis (tests/with_redis.sh): live notebook tests skipped.")
    started = [AppServer("a").start(), AppServer("b").start()]
    yield started
    for server in started:
        server.kill()


@pytest.fixture
def call():
    ann_user, ann = mc("ann", display_name="Ann MC")
    max_user, _ = maintainer("max", display_name="Max Maintainer")
    ivy_user, _ = maintainer("ivy", display_name="Ivy Maintainer")
    meeting = MeetingFactory(
        status=Meeting.Status.HELD,
        mc=ann,
        start=timezone.now() - timezone.timedelta(minutes=15),
        highlights="Start.",
    )
    item = AgendaItemFactory(
        meeting=meeting, title="Release", status=AgendaItem.Status.DISCUSSED
    )
    return meeting, item, {"ann": ann_user, "max": max_user, "ivy": ivy_user}


def open_notebook(browser, base_url, user, meeting):
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": base_url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.csp_errors = errors
    url = base_url + reverse(
        "agenda:notebook",
        kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
    )
    page.goto(url)
    page.wait_for_selector("#notebook.nb-live .cm-content[data-key='highlights']")
    return context, page


def editor(page, key):
    return page.locator(f".cm-content[data-key='{key}']")


def type_at_end(page, key, text, *, insert=False):
    box = editor(page, key)
    box.click()
    page.keyboard.press("Control+End")
    if insert:
        page.keyboard.insert_text(text)
    else:
        page.keyboard.type(text)


def texts(page, keys):
    return page.evaluate(
        "keys => keys.map(key => window.callbookLive.text(key))", list(keys)
    )


def is_subsequence(needle: str, haystack: str) -> bool:
    rest = iter(haystack)
    return all(char in rest for char in needle)


def wait_converged(pages, keys, seconds=15):
    deadline = time.monotonic() + seconds
    while True:
        saved = all(page.evaluate("window.callbookLive.saved") for page in pages)
        seen = [texts(page, keys) for page in pages]
        if saved and all(view == seen[0] for view in seen):
            return seen[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"not converged: saved={saved} texts={seen}")
        time.sleep(0.2)


def test_three_browsers_two_servers_converge_through_a_crash_and_an_outage(
    browser, servers, call
):
    meeting, item, users = call
    server_a, server_b = servers
    to_a = Balancer(server_a.port)
    max_line = Balancer(server_a.port)  # Max's own network, cut for 10 s below
    to_b = Balancer(server_b.port, server_a.port)  # B first; A when B is gone
    item_key = f"item:{item.pk}:notes"
    keys = ["highlights", "notes", item_key]
    contexts = []
    try:
        ann_ctx, ann = open_notebook(browser, to_a.url, users["ann"], meeting)
        max_ctx, mx = open_notebook(browser, max_line.url, users["max"], meeting)
        ivy_ctx, ivy = open_notebook(browser, to_b.url, users["ivy"], meeting)
        contexts = [ann_ctx, max_ctx, ivy_ctx]
        pages = [ann, mx, ivy]
        # Everyone sees everyone.
        for page in pages:
            # A locator, not wait_for_function: that polls with eval(), which
            # the page's CSP (no 'unsafe-eval') refuses once the first check fails.
            expect(page.locator("#nb-presence span")).to_have_count(3)

        start = dict(zip(keys, texts(ann, keys), strict=True))
        typed = {key: [] for key in keys}  # (who, text) of every kept insertion

        def step(page, key, text, insert=False):
            type_at_end(page, key, text, insert=insert)
            typed[key].append((page, text))

        # Same text, three browsers, two servers.
        for n in range(4):
            step(ann, "highlights", f" ann{n}")
            step(mx, "highlights", f" max{n}")
            step(ivy, "highlights", f" ivy{n}")
        # Deletions: typed then removed by the script (in a text no one else is
        # typing in at that moment, so the backspaces can only hit "oops").
        type_at_end(ann, item_key, " oops")
        for _ in range(5):
            ann.keyboard.press("Backspace")
        # Different texts at once; emoji, CJK, right-to-left, a 2 KB paste.
        step(ann, item_key, " 🎉 emoji 👩‍💻 done", insert=True)
        step(ivy, item_key, " 中文笔记 日本語", insert=True)
        step(mx, "notes", " שלום עולם مرحبا", insert=True)
        step(ann, "notes", " " + PASTE, insert=True)
        wait_converged(pages, keys)

        # App server B dies mid-typing; Ivy's browser reconnects through to A.
        step(ivy, "highlights", " ivy-before-crash")
        server_b.kill()
        for n in range(3):
            step(ivy, "highlights", f" ivy-after-crash{n}")
            step(ann, "highlights", f" ann-during-crash{n}")
        # Max loses the network for 10 s and keeps typing.
        max_line.go_offline()
        outage_ends = time.monotonic() + 10
        n = 0
        while time.monotonic() < outage_ends:
            step(mx, "notes", f" offline{n}")
            step(ann, item_key, f" online{n}")
            n += 1
            time.sleep(0.5)
        max_line.go_online()

        final = wait_converged(pages, keys, seconds=20)
        # Chromium's contenteditable may store a typed space as a no-break space
        # (seen next to right-to-left text); it is the same keystroke.
        by_key = {
            key: text.replace("\xa0", " ")
            for key, text in zip(keys, final, strict=True)
        }
        for key in keys:
            # No character lost or doubled: exactly the start text plus every
            # insertion the script kept...
            wanted = Counter(start[key])
            for _page, text in typed[key]:
                wanted.update(text)
            assert Counter(by_key[key]) == wanted, key
            # ...and each person's typing in their order (others' typing may sit
            # between two of their keystrokes when both typed at the same spot).
            for page in pages:
                mine = "".join(text for who, text in typed[key] if who is page)
                assert is_subsequence(mine, by_key[key]), (key, mine)
        assert "oops" not in by_key[item_key]
        assert by_key["highlights"].startswith("Start.")

        # The models hold the same text once written through.
        live.sync_doc(meeting_id=meeting.pk)
        meeting.refresh_from_db()
        item.refresh_from_db()
        assert [meeting.highlights, meeting.notes, item.discussion_notes] == final
        for page in pages:
            assert not [e for e in page.csp_errors if "Content Security" in e]
    finally:
        for context in contexts:
            context.close()
        for balancer in (to_a, max_line, to_b):
            balancer.close()


def test_finalize_while_two_type_turns_both_read_only_within_a_second(
    browser, servers, call
):
    meeting, item, users = call
    server_a, server_b = servers
    contexts = []
    try:
        ann_ctx, ann = open_notebook(browser, server_a.url, users["ann"], meeting)
        max_ctx, mx = open_notebook(browser, server_a.url, users["max"], meeting)
        ivy_ctx, ivy = open_notebook(browser, server_b.url, users["ivy"], meeting)
        contexts = [ann_ctx, max_ctx, ivy_ctx]
        for n in range(5):
            type_at_end(mx, "highlights", f" max{n}")
            type_at_end(ivy, "notes", f" ivy{n}")
        wait_converged([mx, ivy], ["highlights", "notes"])

        ann.locator("#nb-finalize").click()
        # Both typists are locked out within a second of the finalize (both
        # clocks are this machine's).
        for page in (mx, ivy):
            page.wait_for_selector("#notebook[data-locked='true']", timeout=10_000)
        meeting.refresh_from_db()
        assert meeting.is_finalized
        finalized_ms = meeting.finalized_at.timestamp() * 1000
        for page in (mx, ivy):
            delay = page.evaluate("window.callbookLive.lockedAt") - finalized_ms
            assert 0 < delay < 1000, delay
        final = texts(mx, ["highlights", "notes"])
        assert [meeting.highlights, meeting.notes] == final

        # Typing now changes nothing; a forced update is refused by the server.
        stored = NotebookUpdate.objects.filter(meeting=meeting).count()
        type_at_end(ivy, "notes", " after-lock")
        ivy.evaluate("window.callbookLive.doc.getText('notes').insert(0, 'forced ')")
        ivy.wait_for_timeout(500)
        assert NotebookUpdate.objects.filter(meeting=meeting).count() == stored
        meeting.refresh_from_db()
        assert meeting.notes == final[1]
        assert "after-lock" not in texts(mx, ["notes"])[0]
    finally:
        for context in contexts:
            context.close()


def test_the_follow_view_shows_typing_and_has_no_way_to_write(browser, servers, call):
    meeting, _item, users = call
    server_a, server_b = servers
    ann_ctx, ann = open_notebook(browser, server_a.url, users["ann"], meeting)
    viewer_ctx = browser.new_context()
    viewer = viewer_ctx.new_page()
    try:
        viewer.goto(
            server_b.url
            + reverse(
                "agenda:notebook_follow",
                kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
            )
        )
        viewer.wait_for_selector("#follow-status:has-text('Live')")
        type_at_end(ann, "highlights", " **followed** <img src=x onerror=alert(1)>")
        viewer.wait_for_selector("[data-key='highlights'] strong:has-text('followed')")
        assert viewer.locator("[data-key='highlights'] img[onerror]").count() == 0
        assert not viewer.evaluate("'callbookLive' in window")
    finally:
        ann_ctx.close()
        viewer_ctx.close()
    assert get_user_model().objects.count() == 3


def test_structured_edits_reach_the_other_notebook_in_place(browser, servers, call):
    """Ann (app server A) ticks an action item, adds one and puts a backlog item
    on the call; Max (app server B), typing in an agenda item's notes meanwhile,
    sees all three without reloading, keeps his editor and focus, and the new
    agenda item comes with its own live notes field."""
    meeting, item, users = call
    server_a, server_b = servers
    action = ActionItemFactory(meeting=meeting, description="Write the post")
    parked = AgendaItemFactory(
        meeting=None,
        series=meeting.series,
        title="From the backlog",
        status=AgendaItem.Status.DEFERRED,
    )
    item_key = f"item:{item.pk}:notes"
    new_key = f"item:{parked.pk}:notes"
    base_a = f"http://127.0.0.1:{server_a.port}"
    contexts = []
    try:
        ann_ctx, ann = open_notebook(browser, base_a, users["ann"], meeting)
        max_ctx, mx = open_notebook(
            browser, f"http://127.0.0.1:{server_b.port}", users["max"], meeting
        )
        contexts = [ann_ctx, max_ctx]
        expect(mx.locator("#nb-presence span")).to_have_count(2)
        loads = []
        mx.on("load", lambda _page: loads.append(1))
        type_at_end(mx, item_key, " Max was here")

        # A status picked applies at once, no Save needed.
        ann.select_option(f"select[name='action:{action.pk}:status']", "done")
        # A new action item, saved without leaving the page.
        ann.fill("#id-new-action-text", "Ship it")
        ann.click("#nb-save")
        expect(ann.locator("#id-new-action-text")).to_have_value("")
        # The agenda page puts a backlog item on the call.
        agenda = ann_ctx.new_page()
        agenda.goto(
            base_a + reverse("admin:meetings_meeting_agenda", args=[meeting.pk])
        )
        agenda.locator(
            f"form:has(input[name='item'][value='{parked.pk}']) button[value='take']"
        ).click()
        expect(agenda.locator("#accepted-items")).to_contain_text("From the backlog")

        status = mx.locator(f"select[name='action:{action.pk}:status']")
        expect(status).to_have_value("done")
        expect(
            mx.locator("#action-items .cm-content").filter(has_text="Ship it")
        ).to_have_count(1)
        expect(mx.locator("#agenda")).to_contain_text("From the backlog")
        expect(editor(mx, new_key)).to_be_visible()
        # Max's editor survived the swaps with his focus: he types on.
        expect(editor(mx, item_key)).to_be_focused()
        mx.keyboard.type(" and on")
        type_at_end(mx, new_key, "Notes on the new item")
        mine, new = wait_converged([ann, mx], [item_key, new_key])
        assert mine.endswith(" Max was here and on")
        assert new == "Notes on the new item"
        assert loads == []  # Max's page never reloaded
        for page in (ann, mx):
            assert not [e for e in page.csp_errors if "Content Security" in e]
    finally:
        for context in contexts:
            context.close()
