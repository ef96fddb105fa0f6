"""The live notebook's WebSockets: editors speak the Yjs sync protocol, followers
get rendered HTML.

Editors (`/ws/notebook/<meeting id>`) are the call's MC, its note-takers and
Maintainers, authenticated by their session cookie; anyone else's socket is closed
before it opens. Each update an editor sends is stored in PostgreSQL first, then
acknowledged to its sender and sent to the call's group, which reaches every other
editor on every app server through the channel layer (Redis). No process keeps
the document in memory: a browser that connects or reconnects gets what it misses
from the stored log, so killing an app server loses nothing.

The database work runs on the notebook's own few threads (`DatabaseWorkers`), the
updates one process receives for a call are stored in batches (`UpdateWriter`),
and each update is stored and relayed in a task of its own, so a socket keeps
reading while its last keystroke is being written.

Followers (`/ws/follow/<meeting id>`) receive the notes as HTML from the one
sanitizing renderer; they cannot send anything, and each address may hold only a
few of these sockets.
"""

import asyncio
import contextlib
import json
import logging
import queue
import threading
import time

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction

from agenda.notebook import live
from meetings.models import Meeting
from meetings.services import can_edit_meeting

logger = logging.getLogger(__name__)

# The y-websocket message types, and ours (which its client ignores unless told).
MESSAGE_SYNC = 0
MESSAGE_AWARENESS = 1
MESSAGE_QUERY_AWARENESS = 3
MESSAGE_ACK = 100  # "stored": the sender's update is safe
MESSAGE_LOCKED = 101  # the notes are finalized: read-only from now on
MESSAGE_CHANGED = 102  # structure changed (agenda, people): payload says what
MESSAGE_PONG = 103  # awareness received: keeps an idle socket alive
SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE = 0, 1, 2

# How often one process asks whether a call's texts are due for write-through.
SYNC_CHECK_SECONDS = 20

CLOSE_UNAVAILABLE = 1011  # the update could not be stored: reconnect and resend
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_ALLOWED = 4405
CLOSE_TOO_MANY = 4429


def group_name(meeting_id: int) -> str:
    return f"notebook.{meeting_id}"


def follow_group_name(meeting_id: int) -> str:
    return f"notebook-follow.{meeting_id}"


# lib0 encoding -----------------------------------------------------------------


def write_var_uint(number: int) -> bytes:
    out = bytearray()
    while number > 0x7F:
        out.append(0x80 | (number & 0x7F))
        number >>= 7
    out.append(number)
    return bytes(out)


def read_var_uint(data: bytes, offset: int) -> tuple[int, int]:
    number = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        number |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return number, offset


def read_bytes(data: bytes, offset: int) -> tuple[bytes, int]:
    length, offset = read_var_uint(data, offset)
    return data[offset : offset + length], offset + length


def sync_message(kind: int, payload: bytes) -> bytes:
    return (
        write_var_uint(MESSAGE_SYNC)
        + write_var_uint(kind)
        + write_var_uint(len(payload))
        + payload
    )


def awareness_client_ids(update: bytes) -> list[tuple[int, int]]:
    """(client id, clock) of each state in an awareness update."""
    count, offset = read_var_uint(update, 0)
    found = []
    for _ in range(count):
        client, offset = read_var_uint(update, offset)
        clock, offset = read_var_uint(update, offset)
        _state, offset = read_bytes(update, offset)
        found.append((client, clock))
    return found


def awareness_removal(clients: dict[int, int]) -> bytes:
    """An awareness update saying these clients left (state null)."""
    body = write_var_uint(len(clients))
    for client, clock in clients.items():
        state = b"null"
        body += (
            write_var_uint(client)
            + write_var_uint(clock + 1)
            + write_var_uint(len(state))
            + state
        )
    return write_var_uint(MESSAGE_AWARENESS) + write_var_uint(len(body)) + body


# Telling the open pages, from a request ------------------------------------------


def broadcast(meeting_id: int, event: dict, *, followers: bool = False) -> None:
    """Tell the call's open notebooks (and followers) once the transaction commits."""
    layer = get_channel_layer()
    if layer is None:
        return

    def send():
        async_to_sync(layer.group_send)(group_name(meeting_id), event)
        if followers:
            async_to_sync(layer.group_send)(follow_group_name(meeting_id), event)

    transaction.on_commit(send)


def broadcast_update(meeting_id: int, update: bytes | None) -> None:
    """Send a document update made by the server (a form save) to the editors."""
    if update:
        broadcast(
            meeting_id,
            {"type": "relay", "data": sync_message(SYNC_UPDATE, update), "sender": ""},
        )


def broadcast_changed(meeting_id: int, sections, *, user=None) -> None:
    """After a structured change (agenda, action items, closing): copy texts new
    to the call (an item put on the agenda, a new action item) into the live
    document, then tell every open notebook which sections to fetch again."""
    if settings.NOTEBOOK_LIVE:
        synced = live.sync_doc(
            meeting_id=meeting_id, user=user, reason="the agenda or action items"
        )
        broadcast_update(meeting_id, synced.update)
    broadcast(meeting_id, {"type": "notebook.changed", "what": sorted(sections)})


# Editors ------------------------------------------------------------------------


class DatabaseWorkers:
    """A few threads of the notebook's own for its database work.

    Consumers would otherwise queue every keystroke behind each other (and behind
    renders and compactions) on Django's one shared sync thread, and with
    CONN_MAX_AGE=0 open a PostgreSQL connection per call. Each worker keeps its
    connection while there is work and closes it after `idle` seconds without
    any, so a process holds at most `size` connections, and none when quiet.
    On SQLite (one process, `make run` and the SQLite half of the tests) the work
    stays on Django's sync thread.
    """

    def __init__(self, size: int, idle: float):
        self.size = size
        self.idle = idle
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    async def run(self, func, *args, **kwargs):
        if connections["default"].vendor == "sqlite":
            # One writer at a time anyway (and the tests' shared in-memory
            # database refuses concurrent threads): Django's sync thread.
            return await database_sync_to_async(func)(*args, **kwargs)
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._start()
        self.jobs.put((func, args, kwargs, future, loop))
        return await future

    def _start(self) -> None:
        with self.lock:
            self.threads = [thread for thread in self.threads if thread.is_alive()]
            while len(self.threads) < self.size:
                thread = threading.Thread(
                    target=self._work, name="notebook-db", daemon=True
                )
                thread.start()
                self.threads.append(thread)

    def _work(self) -> None:
        try:
            while True:
                try:
                    job = self.jobs.get(timeout=self.idle)
                except queue.Empty:
                    # Quiet: give the connection back (a broken one too).
                    with contextlib.suppress(Exception):
                        connections.close_all()
                    continue
                if job is None:
                    return
                func, args, kwargs, future, loop = job
                for conn in connections.all(initialized_only=True):
                    # A connection broken by an error is replaced, not reused.
                    if conn.errors_occurred and not conn.is_usable():
                        conn.close()
                    conn.errors_occurred = False
                try:
                    result, error = func(*args, **kwargs), None
                except BaseException as raised:  # handed to the awaiting task
                    result, error = None, raised
                with contextlib.suppress(RuntimeError):  # its loop has ended
                    loop.call_soon_threadsafe(_settle, future, result, error)
        finally:
            connections.close_all()

    def stop(self) -> None:
        """End the workers and close their connections (tests, shutdown)."""
        with self.lock:
            threads, self.threads = self.threads, []
        for _thread in threads:
            self.jobs.put(None)
        for thread in threads:
            thread.join(timeout=10)


def _settle(future: asyncio.Future, result, error) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


db_workers = DatabaseWorkers(
    size=settings.NOTEBOOK_DB_THREADS, idle=settings.NOTEBOOK_DB_IDLE_SECONDS
)


def in_pool(func):
    """Run a database function of the notebook on its own workers."""

    async def run(*args, **kwargs):
        return await db_workers.run(func, *args, **kwargs)

    return run


class UpdateWriter:
    """Stores one call's incoming updates on this process, many per transaction.

    While one batch is being written the next collects, so under load a keystroke
    waits for at most one transaction, whatever the number of editors.
    """

    def __init__(self, meeting_id: int):
        self.meeting_id = meeting_id
        self.waiting: list[tuple[bytes, object, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    def store(self, update: bytes, user) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((update, user, future))
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._drain())
        return future

    async def _drain(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, []
            try:
                await db_workers.run(
                    live.store_updates,
                    meeting_id=self.meeting_id,
                    updates=[(data, user) for data, user, _future in batch],
                )
            except live.NotebookLocked:
                outcome = False
            except Exception as error:  # e.g. the database is gone: not stored
                for _data, _user, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            else:
                outcome = True
            for _data, _user, future in batch:
                if not future.done():
                    future.set_result(outcome)


_writers: dict[int, UpdateWriter] = {}


async def _store(meeting_id: int, update: bytes, user) -> bool:
    """Store one update (batched with others to this call); False once locked."""
    writer = _writers.get(meeting_id)
    if writer is None:
        writer = _writers[meeting_id] = UpdateWriter(meeting_id)
    return await writer.store(update, user)


@in_pool
def _editor_access(user, meeting_id):
    meeting = Meeting.objects.select_related("mc").filter(pk=meeting_id).first()
    if meeting is None or not can_edit_meeting(user, meeting):
        return None
    return meeting


@in_pool
def _open_document(meeting_id: int) -> tuple[bytes, bool, bytes | None]:
    """Bring the document up to date with the models; return its state vector,
    whether it is locked, and any update the sync made."""
    synced = live.sync_doc(meeting_id=meeting_id, reason="live notes")
    doc, _last = live.load_doc(meeting_id)
    finalized = Meeting.objects.filter(
        pk=meeting_id, status=Meeting.Status.FINALIZED
    ).exists()
    return doc.get_state(), finalized, synced.update


@in_pool
def _missing_for(meeting_id: int, state_vector: bytes) -> bytes:
    doc, _last = live.load_doc(meeting_id)
    return doc.get_update(state_vector)


@in_pool
def _sync_if_due(meeting_id: int, user) -> bytes | None:
    if not live.due_for_sync(meeting_id):
        return None
    return live.sync_doc(meeting_id=meeting_id, user=user, reason="live notes").update


_last_sync_check: dict[int, float] = {}


class NotebookConsumer(AsyncWebsocketConsumer):
    """One editor's browser on one call's document."""

    async def connect(self):
        self.meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        self.user = self.scope.get("user")
        self.locked = True
        self.awareness = {}  # this browser's awareness client ids -> clock
        self.in_flight: set[asyncio.Task] = set()
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        meeting = await _editor_access(self.user, self.meeting_id)
        if meeting is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = group_name(self.meeting_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        state, self.locked, update = await _open_document(self.meeting_id)
        if update:
            await self.broadcast_update(update)
        # Ask the browser for what it has that the server lacks (offline typing).
        await self.send(bytes_data=sync_message(SYNC_STEP1, state))
        if self.locked:
            await self.send(bytes_data=write_var_uint(MESSAGE_LOCKED))
        await self.channel_layer.group_send(
            self.group, {"type": "awareness.query", "sender": self.channel_name}
        )

    async def disconnect(self, code):
        if getattr(self, "in_flight", None):
            # Updates received before the socket closed are still stored and sent on.
            await asyncio.wait(set(self.in_flight), timeout=30)
        if getattr(self, "group", None):
            if self.awareness:
                await self.channel_layer.group_send(
                    self.group,
                    {
                        "type": "relay",
                        "data": awareness_removal(self.awareness),
                        "sender": self.channel_name,
                    },
                )
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data is None:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        try:
            kind, offset = read_var_uint(bytes_data, 0)
            if kind == MESSAGE_SYNC:
                step, offset = read_var_uint(bytes_data, offset)
                payload, offset = read_bytes(bytes_data, offset)
                await self.on_sync(step, payload)
            elif kind == MESSAGE_AWARENESS:
                payload, _offset = read_bytes(bytes_data, offset)
                for client, clock in awareness_client_ids(payload):
                    self.awareness[client] = clock
                await self.channel_layer.group_send(
                    self.group,
                    {"type": "relay", "data": bytes_data, "sender": self.channel_name},
                )
                await self.send(bytes_data=write_var_uint(MESSAGE_PONG))
        except (IndexError, ValueError):
            await self.close(code=CLOSE_NOT_ALLOWED)

    async def on_sync(self, step, payload):
        if step == SYNC_STEP1:
            missing = await _missing_for(self.meeting_id, payload)
            await self.send(bytes_data=sync_message(SYNC_STEP2, missing))
            if self.locked:
                await self.send(bytes_data=write_var_uint(MESSAGE_LOCKED))
            return
        # Step 2 (what the browser typed while away) and updates: store first.
        if payload == live.EMPTY_UPDATE:
            await self.send(bytes_data=write_var_uint(MESSAGE_ACK))
            return
        if self.locked:
            await self.send(bytes_data=write_var_uint(MESSAGE_LOCKED))
            return
        # Stored and passed on in a task of its own: this socket's next keystroke
        # and the others' updates coming to it do not wait for the database.
        task = asyncio.ensure_future(self.store_and_relay(payload))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def store_and_relay(self, payload: bytes) -> None:
        try:
            stored = await _store(self.meeting_id, payload, self.user)
        except Exception:
            # Not stored and not acknowledged: the browser keeps the update and
            # sends it again when it reconnects.
            logger.exception("Notebook update not stored (call %s)", self.meeting_id)
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        if not stored:
            self.locked = True
            await self.send_quietly(write_var_uint(MESSAGE_LOCKED))
            return
        await self.broadcast_update(payload)
        await self.send_quietly(write_var_uint(MESSAGE_ACK))
        schedule_follow_render(self.channel_layer, self.meeting_id)
        now = time.monotonic()
        if now - _last_sync_check.get(self.meeting_id, 0) >= SYNC_CHECK_SECONDS:
            _last_sync_check[self.meeting_id] = now
            update = await _sync_if_due(self.meeting_id, self.user)
            if update:
                await self.broadcast_update(update, to_sender=True)

    async def send_quietly(self, data: bytes) -> None:
        """Send unless the browser has gone meanwhile (it resyncs on return)."""
        with contextlib.suppress(OSError, RuntimeError):
            await self.send(bytes_data=data)

    async def broadcast_update(self, update: bytes, *, to_sender=False):
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "relay",
                "data": sync_message(SYNC_UPDATE, update),
                "sender": "" if to_sender else self.channel_name,
            },
        )

    # Messages from the group ----------------------------------------------------

    async def relay(self, event):
        if event["sender"] != self.channel_name:
            await self.send(bytes_data=event["data"])

    async def awareness_query(self, event):
        if event["sender"] != self.channel_name:
            await self.send(bytes_data=write_var_uint(MESSAGE_QUERY_AWARENESS))

    async def notebook_locked(self, event):
        self.locked = True
        await self.send(bytes_data=write_var_uint(MESSAGE_LOCKED))

    async def notebook_changed(self, event):
        # The sections to fetch again; what to finalize may change with any of them.
        sections = event.get("what") or []
        if isinstance(sections, str):
            sections = [sections]
        what = json.dumps({"what": sorted({*sections, "finalize"})}).encode()
        await self.send(
            bytes_data=write_var_uint(MESSAGE_CHANGED)
            + write_var_uint(len(what))
            + what
        )


# Followers -----------------------------------------------------------------------


def forget_process_state() -> None:
    """End the database workers and drop what this process remembers of calls
    (tests: ids are reused after a flush)."""
    db_workers.stop()
    _writers.clear()
    _render_states.clear()
    _last_rendered.clear()
    _rendered_at.clear()
    _last_sync_check.clear()


_pending_renders: dict[int, asyncio.Task] = {}
_last_rendered: dict[int, dict[str, str]] = {}
_rendered_at: dict[int, float] = {}


# A process's followers of a call are rendered from a document it keeps up to date
# by reading only the updates stored since; reloaded whole now and then, so an
# update committed out of id order is picked up within that time.
RENDER_RELOAD_SECONDS = 5


class _RenderState:
    def __init__(self, doc, last: int, html: dict):
        self.doc = doc
        self.last = last
        self.loaded = time.monotonic()
        self.html = html  # key -> (text, its HTML): only changed texts re-render


_render_states: dict[int, _RenderState] = {}
_render_lock = threading.Lock()


@in_pool
def _render(meeting_id: int) -> dict[str, str]:
    from pycrdt import Map, Text

    from agenda.models import NotebookUpdate
    from meetings.markdown import render_markdown

    with _render_lock:
        state = _render_states.get(meeting_id)
        if state is None or time.monotonic() - state.loaded > RENDER_RELOAD_SECONDS:
            doc, last = live.load_doc(meeting_id)
            state = _render_states[meeting_id] = _RenderState(
                doc, last, state.html if state else {}
            )
        else:
            rows = (
                NotebookUpdate.objects.filter(meeting_id=meeting_id, pk__gt=state.last)
                .order_by("pk")
                .values_list("pk", "data")
            )
            for pk, data in rows:
                state.doc.apply_update(bytes(data))
                state.last = pk
        meeting = Meeting.objects.select_related("series").get(pk=meeting_id)
        repo = meeting.series.github_repo
        seeded = state.doc.get(live.SEEDED, type=Map)
        html = {}
        for key, value in live.text_values(meeting).items():
            text = str(state.doc.get(key, type=Text)) if key in seeded else value
            known = state.html.get(key)
            if known is None or known[0] != text:
                known = state.html[key] = (text, str(render_markdown(text, repo)))
            html[key] = known[1]
        return html


def schedule_follow_render(channel_layer, meeting_id: int) -> None:
    """Render the notes for followers at most a few times a second per process."""
    task = _pending_renders.get(meeting_id)
    if task and not task.done():
        return
    _pending_renders[meeting_id] = asyncio.ensure_future(
        _render_for_followers(channel_layer, meeting_id)
    )


async def _render_for_followers(channel_layer, meeting_id: int) -> None:
    await asyncio.sleep(settings.NOTEBOOK_FOLLOW_RENDER_SECONDS)
    html = await _render(meeting_id)
    before = _last_rendered.get(meeting_id, {})
    changed = {key: value for key, value in html.items() if before.get(key) != value}
    _last_rendered[meeting_id] = html
    _rendered_at[meeting_id] = time.monotonic()
    if changed:
        # Encoded once here, not once per follower.
        await channel_layer.group_send(
            follow_group_name(meeting_id),
            {"type": "follow.html", "text": json.dumps({"html": changed})},
        )


@in_pool
def _follow_slot(address: str, meeting_id: int, delta: int) -> bool:
    key = f"notebook-follow:{meeting_id}:{address}"
    if delta < 0:
        with contextlib.suppress(ValueError):
            cache.decr(key)
        return True
    cache.add(key, 0, 6 * 3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, 6 * 3600)
        count = 1
    if count > settings.NOTEBOOK_FOLLOWERS_PER_ADDRESS:
        cache.decr(key)
        return False
    return True


@in_pool
def _followable(meeting_id: int) -> bool:
    return (
        Meeting.objects.filter(pk=meeting_id)
        .exclude(status=Meeting.Status.CANCELLED)
        .exists()
    )


class FollowConsumer(AsyncWebsocketConsumer):
    """A read-only follower of the live notes: receives HTML, sends nothing."""

    async def connect(self):
        self.meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        self.address = (self.scope.get("client") or ["?"])[0]
        self.holds_slot = False
        if not await _followable(self.meeting_id):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if not await _follow_slot(self.address, self.meeting_id, 1):
            await self.close(code=CLOSE_TOO_MANY)
            return
        self.holds_slot = True
        self.group = follow_group_name(self.meeting_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # The latest render of this process is current to within a fraction of a
        # second; a crowd arriving at once costs one render, not one each.
        html = _last_rendered.get(self.meeting_id)
        if html is None or time.monotonic() - _rendered_at.get(self.meeting_id, 0) > 1:
            html = await _render(self.meeting_id)
            _last_rendered[self.meeting_id] = html
            _rendered_at[self.meeting_id] = time.monotonic()
        await self.send(text_data=json.dumps({"html": html}))

    async def disconnect(self, code):
        if self.holds_slot:
            self.holds_slot = False
            await _follow_slot(self.address, self.meeting_id, -1)
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        # The follow-along view has no way to write: anything sent ends it.
        await self.close(code=CLOSE_NOT_ALLOWED)

    async def follow_html(self, event):
        await self.send(text_data=event["text"])

    async def notebook_locked(self, event):
        await self.send(text_data=json.dumps({"locked": True}))
