"""Who may write into a call's live notebook, one case per test.

Each case opens the real consumer through the real ASGI application (session
middleware, origin check, URL router) on the real database: editors must get their
update stored and acknowledged; everyone else's socket is closed before it opens,
and the read-only follow socket has no way to store anything.
"""

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from pycrdt import Doc, Text

from agenda.models import AgendaItem, NotebookUpdate
from agenda.notebook import consumers, live
from config.asgi import application
from meetings.models import Meeting, RoleGrant
from tests.factories import AgendaItemFactory, MeetingFactory, UserFactory
from tests.staff import maintainer, mc, staff

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")
db = database_sync_to_async


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    }
    settings.NOTEBOOK_FOLLOW_RENDER_SECONDS = 0


@pytest.fixture
def call():
    _user, person = mc("ann", display_name="Ann MC")
    meeting = MeetingFactory(
        status=Meeting.Status.HELD,
        mc=person,
        start=timezone.now() - timezone.timedelta(minutes=30),
    )
    AgendaItemFactory(meeting=meeting, status=AgendaItem.Status.DISCUSSED)
    return meeting


def session_cookie(user, *, expires_in=dt.timedelta(hours=1)) -> tuple[bytes, bytes]:
    """The cookie of a session signed in as `user`, as the login view makes it."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + expires_in
    )
    return (b"cookie", f"sessionid={store.session_key}".encode())


def note_taker(username: str, meeting: Meeting):
    """A person granted note-taking for `meeting` (staff in the MC group)."""
    user, person = staff(username, "MC")
    RoleGrant.objects.create(
        attendee=person, role=RoleGrant.Role.NOTE_TAKER, meeting=meeting
    )
    return user


def typed(doc: Doc, key: str, text: str) -> bytes:
    before = doc.get_state()
    doc.get(key, type=Text).__iadd__(text)
    return doc.get_update(before)


def writes(meeting: Meeting, *headers, path="notebook") -> bool:
    """Open the socket, type one update; True when it was stored and acknowledged.

    False when the socket was closed before it opened (asserting the close code).
    """

    async def attempt():
        socket = WebsocketCommunicator(
            application, f"/ws/{path}/{meeting.pk}", headers=[ORIGIN, *headers]
        )
        connected, code = await socket.connect()
        if not connected:
            assert code == consumers.CLOSE_FORBIDDEN
            return False
        step1 = await socket.receive_from()
        assert step1[:2] == bytes([consumers.MESSAGE_SYNC, consumers.SYNC_STEP1])
        update = typed(Doc(), "notes", "written")
        await socket.send_to(
            bytes_data=consumers.sync_message(consumers.SYNC_UPDATE, update)
        )
        message = await socket.receive_from(timeout=3)
        while message != bytes([consumers.MESSAGE_ACK]):
            message = await socket.receive_from(timeout=3)
        # Stored before the acknowledgement (perhaps compacted into a snapshot
        # since): the document loaded from the database holds it.
        doc, _last = await db(live.load_doc)(meeting.pk)
        await socket.disconnect()
        return "written" in str(doc.get("notes", type=Text))

    return async_to_sync(attempt)()


def no_update_stored(meeting):
    return not NotebookUpdate.objects.filter(
        meeting=meeting, is_snapshot=False
    ).exists()


# Editors ----------------------------------------------------------------------------


def test_the_calls_mc_joins_as_editor(call):
    assert writes(call, session_cookie(call.mc.user))


def test_a_note_taker_granted_for_this_call_joins_as_editor(call):
    assert writes(call, session_cookie(note_taker("nora", call)))


def test_a_maintainer_joins_as_editor(call):
    user, _person = maintainer("max")
    assert writes(call, session_cookie(user))


# Closed before they open ------------------------------------------------------------


def test_an_anonymous_socket_is_closed(call):
    assert not writes(call)
    assert no_update_stored(call)


def test_a_signed_in_person_with_no_role_is_closed(call):
    assert not writes(call, session_cookie(UserFactory(username="visitor")))
    assert no_update_stored(call)


def test_a_note_taker_of_another_call_is_closed(call):
    other_call = MeetingFactory(
        series=call.series, start=call.start + dt.timedelta(days=7)
    )
    assert not writes(call, session_cookie(note_taker("otto", other_call)))
    assert no_update_stored(call)


def test_the_mc_of_another_call_is_closed(call):
    other, _person = mc("other-mc")
    assert not writes(call, session_cookie(other))
    assert no_update_stored(call)


def test_a_forged_session_is_closed(call):
    assert not writes(call, (b"cookie", b"sessionid=forged-not-a-session-key"))
    assert no_update_stored(call)


def test_a_session_whose_password_hash_no_longer_matches_is_closed(call):
    # A cookie stolen before the person changed their password.
    cookie = session_cookie(call.mc.user)
    call.mc.user.set_password("a new password")
    call.mc.user.save()
    assert not writes(call, cookie)
    assert no_update_stored(call)


def test_an_expired_session_is_closed(call):
    assert not writes(
        call, session_cookie(call.mc.user, expires_in=-dt.timedelta(minutes=1))
    )
    assert no_update_stored(call)


def test_a_page_of_another_site_cannot_open_the_socket(call):
    cookie = session_cookie(call.mc.user)

    async def attempt():
        socket = WebsocketCommunicator(
            application,
            f"/ws/notebook/{call.pk}",
            headers=[(b"origin", b"https://evil.example"), cookie],
        )
        connected, _code = await socket.connect()
        await socket.disconnect()
        return connected

    assert not async_to_sync(attempt)()
    assert no_update_stored(call)


# Read-only followers -----------------------------------------------------------------


def test_a_follower_cannot_write_even_signed_in_as_the_mc(call):
    cookie = session_cookie(call.mc.user)

    async def attempt():
        socket = WebsocketCommunicator(
            application, f"/ws/follow/{call.pk}", headers=[ORIGIN, cookie]
        )
        connected, _code = await socket.connect()
        assert connected
        first = await socket.receive_from()
        assert '"html"' in first
        update = typed(Doc(), "notes", "from a follower")
        await socket.send_to(
            bytes_data=consumers.sync_message(consumers.SYNC_UPDATE, update)
        )
        closed = await socket.receive_output(timeout=2)
        assert closed == {
            "type": "websocket.close",
            "code": consumers.CLOSE_NOT_ALLOWED,
        }
        await socket.disconnect()

    async_to_sync(attempt)()
    assert no_update_stored(call)
