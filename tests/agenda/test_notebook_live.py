"""The live notebook's server: WebSockets authorised by the session, every update
stored before it is acknowledged or sent on, write-through to the models, the lock
at Finalize, and the read-only follow view."""

import asyncio
import json
import threading
import time

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pycrdt import Doc, Text

from agenda.models import ActionItem, AgendaItem, NotebookUpdate
from agenda.notebook import consumers, live
from agenda.notebook.services import digest
from config.asgi import application
from meetings.models import Meeting
from tests.factories import ActionItemFactory, AgendaItemFactory, MeetingFactory
from tests.staff import form_data, maintainer, mc

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    }
    settings.NOTEBOOK_FOLLOW_RENDER_SECONDS = 0
    settings.NOTEBOOK_FOLLOWERS_PER_ADDRESS = 3


@pytest.fixture
def call():
    user, person = mc("ann", display_name="Ann MC")
    meeting = MeetingFactory(
        status=Meeting.Status.HELD,
        mc=person,
        start=timezone.now() - timezone.timedelta(minutes=30),
        highlights="From the model",
    )
    item = AgendaItemFactory(meeting=meeting, status=AgendaItem.Status.DISCUSSED)
    return user, meeting, item


def cookie_for(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def editor(meeting, *headers):
    return WebsocketCommunicator(
        application, f"/ws/notebook/{meeting.pk}", headers=[ORIGIN, *headers]
    )


def follower(meeting, address="203.0.113.9"):
    communicator = WebsocketCommunicator(
        application, f"/ws/follow/{meeting.pk}", headers=[ORIGIN]
    )
    communicator.scope["client"] = (address, 50000)
    return communicator


def typed(doc: Doc, key: str, text: str) -> bytes:
    """What a browser sends after typing `text` at the end of `key`."""
    before = doc.get_state()
    doc.get(key, type=Text).__iadd__(text)
    return doc.get_update(before)


def update_message(update: bytes) -> bytes:
    return consumers.sync_message(consumers.SYNC_UPDATE, update)


async def handshake(communicator) -> Doc:
    """Connect like y-websocket: answer the server's step 1, ask with ours."""
    connected, _code = await communicator.connect()
    assert connected
    step1 = await communicator.receive_from()
    assert step1[:2] == bytes([consumers.MESSAGE_SYNC, consumers.SYNC_STEP1])
    doc = Doc()
    await communicator.send_to(
        bytes_data=consumers.sync_message(consumers.SYNC_STEP1, doc.get_state())
    )
    while True:
        message = await communicator.receive_from()
        if message[:2] == bytes([consumers.MESSAGE_SYNC, consumers.SYNC_STEP2]):
            payload, _ = consumers.read_bytes(message, 2)
            doc.apply_update(payload)
            return doc


async def next_update(communicator) -> bytes:
    while True:
        message = await communicator.receive_from(timeout=3)
        if message[:2] == bytes([consumers.MESSAGE_SYNC, consumers.SYNC_UPDATE]):
            return consumers.read_bytes(message, 2)[0]


def test_anonymous_forged_foreign_and_other_mcs_are_closed(call):
    user, meeting, _item = call
    other, _ = mc("other-mc")
    other_cookie, ann_cookie = cookie_for(other), cookie_for(user)

    async def scenario():
        attempts = [
            editor(meeting),
            editor(meeting, (b"cookie", b"sessionid=forged-not-a-session")),
            editor(meeting, other_cookie),
            WebsocketCommunicator(
                application,
                f"/ws/notebook/{meeting.pk}",
                headers=[(b"origin", b"https://evil.example"), ann_cookie],
            ),
        ]
        for attempt in attempts:
            connected, _code = await attempt.connect()
            assert not connected
            await attempt.disconnect()

    async_to_sync(scenario)()
    assert not NotebookUpdate.objects.filter(author__isnull=False).exists()


def test_mc_and_maintainer_edit_together_and_every_update_is_stored(call):
    user, meeting, item = call
    max_user, _ = maintainer("max")
    ann_cookie, max_cookie = cookie_for(user), cookie_for(max_user)

    async def scenario():
        ann = editor(meeting, ann_cookie)
        ann_doc = await handshake(ann)
        # The document starts from the models' text.
        assert str(ann_doc.get("highlights", type=Text)) == "From the model"
        bo = editor(meeting, max_cookie)
        bo_doc = await handshake(bo)

        update = typed(ann_doc, f"item:{item.pk}:notes", "Decided: ship 😀 中文 שלום")
        await ann.send_to(bytes_data=update_message(update))
        ack = await ann.receive_from()
        while ack != bytes([consumers.MESSAGE_ACK]):
            ack = await ann.receive_from()
        # Stored before the acknowledgement reached Ann.
        assert await database_sync_to_async(
            NotebookUpdate.objects.filter(data=update, author=user).exists
        )()
        bo_doc.apply_update(await next_update(bo))
        assert str(bo_doc.get(f"item:{item.pk}:notes", type=Text)) == (
            "Decided: ship 😀 中文 שלום"
        )
        await ann.disconnect()
        await bo.disconnect()

    async_to_sync(scenario)()
    # Written through to the model on the next sync (every few minutes, at
    # Finalize, and when someone opens the notebook).
    live.sync_doc(meeting_id=meeting.pk, user=user)
    item.refresh_from_db()
    assert item.discussion_notes == "Decided: ship 😀 中文 שלום"
    meeting.refresh_from_db()
    record = meeting.history.latest("history_date")
    assert record.history_change_reason == "Notebook: live notes"


def test_a_reconnecting_browser_sends_what_it_typed_offline(call):
    user, meeting, _item = call

    ann_cookie = cookie_for(user)

    async def scenario():
        first = editor(meeting, ann_cookie)
        doc = await handshake(first)
        await first.disconnect()
        # Typed while offline: the next connection's step 2 carries it.
        typed(doc, "notes", "typed offline")
        again = editor(meeting, ann_cookie)
        connected, _ = await again.connect()
        assert connected
        step1 = await again.receive_from()
        server_state = consumers.read_bytes(step1, 2)[0]
        await again.send_to(
            bytes_data=consumers.sync_message(
                consumers.SYNC_STEP2, doc.get_update(server_state)
            )
        )
        message = await again.receive_from()
        while message != bytes([consumers.MESSAGE_ACK]):
            message = await again.receive_from()
        await again.disconnect()

    async_to_sync(scenario)()
    meeting_doc, _last = live.load_doc(meeting.pk)
    assert str(meeting_doc.get("notes", type=Text)) == "typed offline"


def test_finalize_locks_every_editor_and_refuses_later_updates(call):
    user, meeting, item = call
    ann_cookie = cookie_for(user)
    client = Client()
    client.force_login(user)

    async def scenario():
        ann = editor(meeting, ann_cookie)
        doc = await handshake(ann)
        await ann.send_to(bytes_data=update_message(typed(doc, "notes", "last words")))
        message = await ann.receive_from()
        while message != bytes([consumers.MESSAGE_ACK]):
            message = await ann.receive_from()

        url = reverse(
            "agenda:notebook",
            kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
        )
        response = await database_sync_to_async(client.post)(url, {"_finalize": "1"})
        assert response.status_code == 302
        message = await ann.receive_from(timeout=1)
        while message != bytes([consumers.MESSAGE_LOCKED]):
            message = await ann.receive_from(timeout=1)
        stored = await database_sync_to_async(NotebookUpdate.objects.count)()
        await ann.send_to(bytes_data=update_message(typed(doc, "notes", " too late")))
        assert await ann.receive_from() == bytes([consumers.MESSAGE_LOCKED])
        assert await database_sync_to_async(NotebookUpdate.objects.count)() == stored
        await ann.disconnect()

    async_to_sync(scenario)()
    meeting.refresh_from_db()
    assert meeting.is_finalized
    assert meeting.notes == "last words"  # the finalized text is the typed text


def test_a_form_save_reaches_the_document_and_open_editors(call):
    user, meeting, _item = call
    ann_cookie = cookie_for(user)
    client = Client()
    client.force_login(user)

    async def scenario():
        ann = editor(meeting, ann_cookie)
        doc = await handshake(ann)
        url = reverse(
            "agenda:notebook",
            kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
        )
        page = await database_sync_to_async(client.get)(url)
        data = form_data(page, "notebook-form")
        data["highlights"] = "From the model, edited without JavaScript"
        response = await database_sync_to_async(client.post)(url, data)
        assert response.status_code == 302
        doc.apply_update(await next_update(ann))
        assert str(doc.get("highlights", type=Text)) == (
            "From the model, edited without JavaScript"
        )
        await ann.disconnect()

    async_to_sync(scenario)()


def test_followers_get_sanitized_html_cannot_write_and_are_limited(call):
    user, meeting, _item = call
    ann_cookie = cookie_for(user)

    async def scenario():
        viewer = follower(meeting)
        connected, _ = await viewer.connect()
        assert connected
        first = json.loads(await viewer.receive_from())
        assert first["html"]["highlights"].strip() == "<p>From the model</p>"

        ann = editor(meeting, ann_cookie)
        doc = await handshake(ann)
        await ann.send_to(
            bytes_data=update_message(
                typed(doc, "notes", "<script>x()</script>\n\n**b**")
            )
        )
        changed = json.loads(await viewer.receive_from(timeout=3))
        assert "<script>" not in changed["html"]["notes"]
        assert "<strong>b</strong>" in changed["html"]["notes"]

        # A follower has no way to write: anything it sends ends its socket.
        before = await database_sync_to_async(NotebookUpdate.objects.count)()
        await viewer.send_to(bytes_data=update_message(typed(doc, "notes", "evil")))
        closed = await viewer.receive_output(timeout=1)
        assert closed == {
            "type": "websocket.close",
            "code": consumers.CLOSE_NOT_ALLOWED,
        }
        after = await database_sync_to_async(NotebookUpdate.objects.count)()
        assert after == before

        # Three sockets per address (this test's limit); the fourth is refused.
        others = [follower(meeting, "198.51.100.7") for _ in range(4)]
        results = [(await other.connect())[0] for other in others]
        assert results == [True, True, True, False]
        for other in others:
            await other.disconnect()
        await ann.disconnect()

    async_to_sync(scenario)()


def test_sync_pulls_an_edit_made_elsewhere_into_the_document(call):
    user, meeting, _item = call
    live.sync_doc(meeting_id=meeting.pk)
    Meeting.objects.filter(pk=meeting.pk).update(highlights="Edited in the admin")
    synced = live.sync_doc(meeting_id=meeting.pk)
    assert synced.update
    assert not synced.wrote_models
    doc, _last = live.load_doc(meeting.pk)
    assert str(doc.get("highlights", type=Text)) == "Edited in the admin"
    # The log is compacted into one snapshot.
    assert list(
        NotebookUpdate.objects.filter(meeting=meeting).values_list(
            "is_snapshot", flat=True
        )
    ) == [True]


def test_database_connections_stay_bounded_under_many_editors(call):
    """Many editors typing at once use the notebook's few database threads, not a
    connection each; idle, the threads give their connections back."""
    if connection.vendor != "postgresql":
        pytest.skip("counts PostgreSQL's connections (pg_stat_activity)")
    user, meeting, _item = call
    cookie = cookie_for(user)
    consumers.db_workers.idle = 0.3

    def count() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]

    baseline = count()
    peak = {"n": 0}
    done = threading.Event()

    def sample():
        try:
            while not done.is_set():
                peak["n"] = max(peak["n"], count())
                time.sleep(0.01)
        finally:
            connection.close()

    sampler = threading.Thread(target=sample)
    sampler.start()

    async def one_editor(number: int) -> None:
        socket = editor(meeting, cookie)
        doc = await handshake(socket)
        for keystroke in range(15):
            update = typed(doc, f"item:{_item.pk}:notes", f"{number}.{keystroke} ")
            await socket.send_to(bytes_data=update_message(update))
        acks = 0
        while acks < 15:
            if await socket.receive_from(timeout=10) == bytes([consumers.MESSAGE_ACK]):
                acks += 1
        await socket.disconnect()

    async def scenario():
        await asyncio.gather(*(one_editor(number) for number in range(12)))

    try:
        async_to_sync(scenario)()
    finally:
        done.set()
        sampler.join()
    # The sampler's own connection, and Django's one sync thread (sessions).
    assert peak["n"] <= baseline + consumers.db_workers.size + 2, (peak, baseline)
    doc, _last = live.load_doc(meeting.pk)
    text = str(doc.get(f"item:{_item.pk}:notes", type=Text))
    assert all(f"{n}.{k} " in text for n in range(12) for k in range(15))
    deadline = time.monotonic() + 10
    while count() > baseline + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert count() <= baseline + 1  # the workers closed theirs when idle


async def next_changed(communicator) -> list[str]:
    """The sections the next "changed" message names."""
    while True:
        message = await communicator.receive_from(timeout=3)
        if message[0] == consumers.MESSAGE_CHANGED:
            payload, _ = consumers.read_bytes(message, 1)
            return json.loads(payload)["what"]


def notebook_url(meeting) -> str:
    return reverse(
        "agenda:notebook",
        kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
    )


def test_a_structured_save_by_fetch_updates_every_open_notebook(call):
    user, meeting, _item = call
    action = ActionItemFactory(meeting=meeting, description="Write the post")
    client = Client()
    client.force_login(user)
    url = notebook_url(meeting)
    key = f"action:{action.pk}:status"
    cookie = cookie_for(user)

    async def scenario():
        ann = editor(meeting, cookie)
        await handshake(ann)
        response = await database_sync_to_async(client.post)(
            url,
            {f"base:{key}": digest("open"), key: "done", "_save": "1"},
            headers={"X-Requested-With": "fetch"},
        )
        assert response.status_code == 200
        assert response.json()["saved"] == [key]
        assert response.json()["problems"] == []
        # Every open notebook, the sender's too, is told to fetch the sections.
        assert await next_changed(ann) == ["actions", "finalize"]
        await ann.disconnect()

    async_to_sync(scenario)()
    action.refresh_from_db()
    assert action.status == ActionItem.Status.DONE
    # The sections alone, as the page fetches them to swap in place.
    fragment = client.get(url, {"section": ["actions", "finalize"]})
    html = fragment.content.decode()
    assert 'id="action-items"' in html
    assert 'id="finalize"' in html
    assert 'id="agenda"' not in html
    assert "<html" not in html
    assert '<option value="done" selected>' in html


def test_a_fetch_save_with_a_problem_answers_it_and_changes_nothing(call):
    user, meeting, _item = call
    client = Client()
    client.force_login(user)
    response = client.post(
        notebook_url(meeting),
        {"base:next_mc": digest(""), "next_mc": "Nobody Known (@nobody-known)"},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 200
    assert response.json()["saved"] == []
    assert response.json()["problems"][0].startswith("MC next call:")
    meeting.refresh_from_db()
    assert meeting.next_mc is None


def test_an_item_put_on_the_call_from_the_agenda_page_reaches_open_notebooks(call):
    user, meeting, _item = call
    parked = AgendaItemFactory(
        meeting=None,
        series=meeting.series,
        title="From the backlog",
        status=AgendaItem.Status.DEFERRED,
    )
    client = Client()
    client.force_login(user)
    cookie = cookie_for(user)
    before = client.get(notebook_url(meeting), {"section": "agenda"}).content.decode()
    assert "From the backlog" not in before

    async def scenario():
        ann = editor(meeting, cookie)
        await handshake(ann)
        response = await database_sync_to_async(client.post)(
            reverse("admin:meetings_meeting_agenda", args=[meeting.pk]),
            {"action": "take", "item": parked.pk},
        )
        assert response.status_code == 302
        assert await next_changed(ann) == ["agenda", "finalize"]
        await ann.disconnect()

    async_to_sync(scenario)()
    html = client.get(notebook_url(meeting), {"section": "agenda"}).content.decode()
    assert "From the backlog" in html
    # The new item comes with its own notes field for a live editor.
    assert f'data-key="item:{parked.pk}:notes"' in html


def test_a_reader_gets_sections_without_fields_and_cannot_save(call):
    _user, meeting, _item = call
    finalized = Meeting.objects.filter(pk=meeting.pk)
    finalized.update(status=Meeting.Status.FINALIZED)
    max_user, _ = maintainer("max")
    client = Client()
    client.force_login(max_user)
    html = client.get(notebook_url(meeting), {"section": ["agenda", "finalize"]})
    assert 'id="agenda"' in html.content.decode()
    assert 'id="finalize"' not in html.content.decode()  # nothing to finalize
    assert "<select" not in html.content.decode()
