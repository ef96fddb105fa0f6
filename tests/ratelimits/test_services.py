"""Rate limits key on the real client and live where cache culling cannot reach."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import timezone

from agenda.models import AgendaItem
from meetings.models import Meeting
from ratelimits.models import Counter
from ratelimits.services import client_address, give_back, take, used
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"
PROPOSAL = {
    "proposer_name": "Sam Visitor",
    "title": "Monthly office hours",
    "requested_minutes": "10",
}


@pytest.fixture(autouse=True)
def _behind_a_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY, "192.168.7.0/24"]
    settings.PROPOSALS_PER_HOUR = 2


def request_from(peer, forwarded=None):
    headers = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # Direct clients: the header is whatever they chose to send.
        ("203.0.113.9", None, "203.0.113.9"),
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # Behind our proxy: the address it appended, never the client's own prefix.
        (PROXY, "198.51.100.1", "198.51.100.1"),
        (PROXY, "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # Two proxies of ours (a network): the right-most address that is not one.
        (PROXY, "6.6.6.6, 198.51.100.1, 192.168.7.20", "198.51.100.1"),
        # No header, or nothing but our proxies: the outermost proxy seen.
        (PROXY, None, PROXY),
        (PROXY, "192.168.7.20", "192.168.7.20"),
        # Ports and IPv6: a host's /64 is one client.
        (PROXY, "198.51.100.1:5555", "198.51.100.1"),
        (PROXY, "[2001:db8:1:2::7]:443", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::9", None, "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.3", None, "198.51.100.3"),
        # Garbage the proxy would never write: trust the header no further.
        (PROXY, "198.51.100.1, not-an-address", PROXY),
    ],
)
def test_client_address(peer, forwarded, client):
    assert client_address(request_from(peer, forwarded)) == client


def test_take_counts_per_client_and_scope_and_starts_again_after_the_window():
    assert take(scope="s", client="a", limit=2, period=60)
    assert take(scope="s", client="a", limit=2, period=60)
    assert not take(scope="s", client="a", limit=2, period=60)
    assert take(scope="s", client="b", limit=2, period=60)
    assert take(scope="t", client="a", limit=2, period=60)
    assert used(scope="s", client="a") == 3
    Counter.objects.filter(key="s:a").update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert used(scope="s", client="a") == 0
    assert take(scope="s", client="a", limit=2, period=60)
    assert used(scope="s", client="a") == 1


def test_give_back_returns_one_slot():
    take(scope="s", client="a", limit=1, period=60)
    give_back(scope="s", client="a")
    assert used(scope="s", client="a") == 0
    give_back(scope="s", client="a")  # never below zero
    assert used(scope="s", client="a") == 0


@pytest.fixture
def coming():
    return MeetingFactory(
        status=Meeting.Status.SCHEDULED, start=timezone.now() + dt.timedelta(days=2)
    )


def propose(client, meeting, peer, forwarded=None, n=0):
    headers = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(
        meeting.get_absolute_url() + "propose/",
        {**PROPOSAL, "title": f"Item {n}"},
        **headers,
    ).status_code


def test_two_clients_behind_one_trusted_proxy_are_counted_separately(client, coming):
    assert propose(client, coming, PROXY, "198.51.100.1", 1) == 302
    assert propose(client, coming, PROXY, "198.51.100.1", 2) == 302
    assert propose(client, coming, PROXY, "198.51.100.1", 3) == 429
    # Another visitor through the same proxy still may.
    assert propose(client, coming, PROXY, "198.51.100.2", 4) == 302
    # A visitor cannot dodge the limit by prefixing the header.
    assert propose(client, coming, PROXY, "9.9.9.9, 198.51.100.1", 5) == 429
    assert AgendaItem.objects.count() == 3


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(client, coming):
    assert propose(client, coming, "203.0.113.9", "198.51.100.1", 1) == 302
    assert propose(client, coming, "203.0.113.9", "198.51.100.2", 2) == 302
    assert propose(client, coming, "203.0.113.9", "198.51.100.3", 3) == 429
    assert AgendaItem.objects.count() == 2


def test_check_ins_behind_one_trusted_proxy_are_counted_per_client(client, monkeypatch):
    from meetings import views as checkin

    monkeypatch.setattr(checkin, "CHECK_INS_PER_ADDRESS", 1)
    meeting = MeetingFactory(
        status=Meeting.Status.HELD, start=timezone.now() - dt.timedelta(minutes=5)
    )
    url = meeting.get_absolute_url() + "checkin/"

    def check_in(handle, forwarded):
        return client.post(
            url,
            {"github_handle": handle},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=forwarded,
        ).status_code

    assert check_in("ada", "198.51.100.1") == 302
    assert check_in("bob", "198.51.100.1") == 429
    assert check_in("cy", "198.51.100.2") == 302


def test_flooding_the_cache_cannot_reset_a_limit(client, coming, settings):
    # A small cache that culls, as the database cache does once it is full.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "flood",
            "OPTIONS": {"MAX_ENTRIES": 20, "CULL_FREQUENCY": 2},
        }
    }
    assert propose(client, coming, "203.0.113.9", n=1) == 302
    assert propose(client, coming, "203.0.113.9", n=2) == 302
    for n in range(200):
        cache.set(f"flood-{n}", n)
        client.get(f"/?flood={n}")
    assert propose(client, coming, "203.0.113.9", n=3) == 429
