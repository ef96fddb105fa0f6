"""Per-client rate limits: who the client is behind our proxies, and their counts.

`client_address(request)` is the address a limit is keyed on. Behind the proxy the
README prescribes, every request's peer (REMOTE_ADDR) is that proxy, so keying on
it would let the first few visitors lock everyone out. The client is taken from
X-Forwarded-For only when the peer is one of settings.TRUSTED_PROXIES, and then it
is the right-most address in that header that is not itself a trusted proxy: the
left part of the header is whatever the client chose to send.

`take()` counts an attempt in a database row (ratelimits.models.Counter) with one
atomic statement, and says whether it is within the limit; `give_back()` returns
a slot that an attempt did not use (a form sent back with errors).
"""

import datetime as dt
import ipaddress
import random
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from ratelimits.models import Counter

# One host on IPv6 usually holds a whole /64: count it as one client.
IPV6_CLIENT_PREFIX = 64
# Each take() removes ended windows with this probability, so the table stays small
# without a periodic job.
SWEEP_PROBABILITY = 0.01

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _parse(text: str) -> IPAddress | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted_proxy(address: IPAddress | None) -> bool:
    if address is None:
        return False
    return any(
        address in network for network in _networks(tuple(settings.TRUSTED_PROXIES))
    )


def client_address(request) -> str:
    """The visitor's address as our own proxies saw it, IPv6 grouped by /64."""
    peer_text = request.META.get("REMOTE_ADDR", "")
    peer = _parse(peer_text)
    if peer is None:
        return peer_text[:100] or "unknown"
    client = peer
    if is_trusted_proxy(peer):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
            address = _parse(hop)
            if address is None:
                break  # not written by a proxy of ours: stop trusting the header
            client = address
            if not is_trusted_proxy(address):
                break
    if isinstance(client, ipaddress.IPv6Address):
        network = ipaddress.ip_network(f"{client}/{IPV6_CLIENT_PREFIX}", strict=False)
        return str(network)
    return str(client)


def _key(scope: str, client: str) -> str:
    return f"{scope}:{client}"[:200]


def take(*, scope: str, client: str, limit: int, period: int) -> bool:
    """Count one attempt of `client` at `scope`; True while within `limit`.

    The window starts with the first attempt and lasts `period` seconds. Attempts
    over the limit are counted too (they do not extend the window).
    """
    now = timezone.now()
    if random.random() < SWEEP_PROBABILITY:
        Counter.objects.filter(expires_at__lte=now).delete()
    adapt = connection.ops.adapt_datetimefield_value
    quote = connection.ops.quote_name
    table = quote(Counter._meta.db_table)
    key, count, expires = quote("key"), quote("count"), quote("expires_at")
    # One statement, atomic on PostgreSQL and SQLite alike: concurrent attempts
    # cannot both see the last free slot.
    sql = (
        f"INSERT INTO {table} ({key}, {count}, {expires}) VALUES (%s, 1, %s) "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        f"{count} = CASE WHEN {table}.{expires} <= %s THEN 1 "
        f"ELSE {table}.{count} + 1 END, "
        f"{expires} = CASE WHEN {table}.{expires} <= %s THEN excluded.{expires} "
        f"ELSE {table}.{expires} END "
        f"RETURNING {count}"
    )
    ends = adapt(now + dt.timedelta(seconds=period))
    with connection.cursor() as cursor:
        cursor.execute(sql, [_key(scope, client), ends, adapt(now), adapt(now)])
        (taken,) = cursor.fetchone()
    return taken <= limit


def give_back(*, scope: str, client: str) -> None:
    """Return the slot of an attempt that did not use it."""
    Counter.objects.filter(
        key=_key(scope, client), count__gt=0, expires_at__gt=timezone.now()
    ).update(count=F("count") - 1)


def used(*, scope: str, client: str) -> int:
    """Attempts counted in the client's current window."""
    row = (
        Counter.objects.filter(key=_key(scope, client), expires_at__gt=timezone.now())
        .values_list("count", flat=True)
        .first()
    )
    return row or 0
