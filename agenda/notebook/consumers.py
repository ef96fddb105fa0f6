"""The live notebook's WebSockets: editors speak the Yjs sync protocol, followers
get rendered HTML.

Editors (`/ws/notebook/<meeting id>`) are the call's MC, its note-takers and
Maintainers, authenticated by their session cookie; anyone else's socket is closed
before it opens. Each update an editor sends is stored in PostgreSQL first, then
acknowledged to its sender and sent to the call's group, which reaches every other
editor on every app server through the channel layer (Redis). No process keeps
the document in memory: a browser that connects or reconnects gets what it misses
from the stored log, so killing an app server loses nothing.

Followers (`/ws/follow/<meeting id>`) receive the notes as HTML from the one
sanitizing renderer; they cannot send anything, and each address may hold only a
few of these sockets.
"""

import asyncio
import contextlib
import json
import time

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from agenda.notebook import live
from meetings.models import Meeting
from meetings.services import can_edit_meeting

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


# Editors ------------------------------------------------------------------------


def in_parallel(func):
    """A database call from a consumer (Django's one shared sync thread: worker
    threads of their own would each keep a connection open)."""
    return database_sync_to_async(func)


@database_sync_to_async
def _editor_access(user, meeting_id):
    meeting = Meeting.objects.select_related("mc").filter(pk=meeting_id).first()
    if meeting is None or not can_edit_meeting(user, meeting):
        return None
    return meeting


@database_sync_to_async
def _open_document(meeting_id: int) -> tuple[bytes, bool, bytes | None]:
    """Bring the document up to date with the models; return its state vector,
    whether it is locked, and any update the sync made."""
    synced = live.sync_doc(meeting_id=meeting_id, reason="live notes")
    doc, _last = live.load_doc(meeting_id)
    finalized = Meeting.objects.filter(
        pk=meeting_id, status=Meeting.Status.FINALIZED
    ).exists()
    return doc.get_state(), finalized, synced.update


@in_parallel
def _store(meeting_id: int, update: bytes, user) -> bool:
    try:
        live.store_update(meeting_id=meeting_id, data=update, user=user)
    except live.NotebookLocked:
        return False
    return True


@in_parallel
def _missing_for(meeting_id: int, state_vector: bytes) -> bytes:
    doc, _last = live.load_doc(meeting_id)
    return doc.get_update(state_vector)


@database_sync_to_async
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
        if self.locked or not await _store(self.meeting_id, payload, self.user):
            self.locked = True
            await self.send(bytes_data=write_var_uint(MESSAGE_LOCKED))
            return
        await self.send(bytes_data=write_var_uint(MESSAGE_ACK))
        await self.broadcast_update(payload)
        schedule_follow_render(self.channel_layer, self.meeting_id)
        now = time.monotonic()
        if now - _last_sync_check.get(self.meeting_id, 0) >= SYNC_CHECK_SECONDS:
            _last_sync_check[self.meeting_id] = now
            update = await _sync_if_due(self.meeting_id, self.user)
            if update:
                await self.broadcast_update(update, to_sender=True)

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
        what = json.dumps({"what": event.get("what", "")}).encode()
        await self.send(
            bytes_data=write_var_uint(MESSAGE_CHANGED)
            + write_var_uint(len(what))
            + what
        )


# Followers -----------------------------------------------------------------------

_pending_renders: dict[int, asyncio.Task] = {}
_last_rendered: dict[int, dict[str, str]] = {}
_rendered_at: dict[int, float] = {}


@in_parallel
def _render(meeting_id: int) -> dict[str, str]:
    from meetings.markdown import render_markdown

    meeting = Meeting.objects.select_related("series").get(pk=meeting_id)
    repo = meeting.series.github_repo
    return {
        key: str(render_markdown(text, repo))
        for key, text in live.live_texts(meeting).items()
    }


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
        await channel_layer.group_send(
            follow_group_name(meeting_id), {"type": "follow.html", "html": changed}
        )


@database_sync_to_async
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


@database_sync_to_async
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
        await self.send(text_data=json.dumps({"html": event["html"]}))

    async def notebook_locked(self, event):
        await self.send(text_data=json.dumps({"locked": True}))
