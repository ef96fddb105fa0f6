"""The public page cache: conditional GET and cached renders for anonymous visitors.

Finalized notes change only when someone edits, finalizes or reopens them, so their
pages (and the archive, people pages and feeds built from them) are rendered once
and then served from Django's cache. Every write to a model the site shows bumps
`SiteGeneration` (pagecache/models.py); the stamp is part of each cache key and ETag,
so one write invalidates every page at once and no cached page outlives the data it
was rendered from.

Two pieces:
- `public_page(view)`, applied in the urls modules, renders and stores pages and
  answers conditional requests on the normal request path;
- `PublicPageCacheMiddleware`, early in MIDDLEWARE, serves a stored page (or a 304)
  to a visitor without session or messages cookie before sessions, CSRF, auth and
  messages run: a memory read, plus a primary-key lookup of the stamp unless the
  process's LISTEN link to PostgreSQL vouches that it has not changed.

Stored pages sit in the shared cache (database or Redis, so every app server can
use them) and, in front of it, in a small per-process memory of recent pages; both
are keyed by the stamp, so neither can serve a page older than the last write.
Pages that show what the clock says (home, a call's page before and during the
call) are kept per stamp and minute (CLOCK_CACHE_SECONDS), rendered for that
minute's start, so they are at most a minute behind the clock and never behind
the data.

Never cached: logged-in users (staff may see drafts), anything but GET/HEAD, non-200
answers, responses that set cookies or say private/no-store, pages that carry a CSRF
token (forms) and pages that showed messages.
"""

import datetime as dt
import hashlib
import logging
import os
import select
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, QueryDict
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
)
from django.utils.http import http_date

from pagecache.models import SiteGeneration

# Response headers worth keeping with a cached page; the rest (Vary, CSP, security
# headers, cookies) are added again by the middleware on every response.
STORED_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language", "Link")
LOCAL_PAGES = 256
logger = logging.getLogger(__name__)


def public_page(
    view: Callable | None = None,
    *,
    refresh_seconds: int | None = None,
    clock: bool = False,
    query: tuple[str, ...] = ("page",),
):
    """Wrap a public view with conditional GET and the generation-keyed page cache.

    refresh_seconds: for pages that also depend on the clock at a coarse grain (an
    "upcoming calls" feed), start a new key that often.
    clock: the page shows what the clock says (what is on now, "starts in"), as
    home and a call's page do: it is kept per site stamp and CLOCK_CACHE_SECONDS
    bucket, like the parts it is made of (`clock_fragment`), so a visitor within
    the minute costs what any cached page does. A view whose page no longer
    depends on the clock (finalized notes) says so with `depends_on_clock` False
    in its context, and that page is kept per stamp alone. CLOCK_CACHE_SECONDS=0
    stores no page that depends on the clock.
    query: the query parameters the view reads. Others are left out of the cache
    key (the view ignores them, so the page is the same), and a page is stored
    under its parameters only when the view used them as given (see
    `_query_as_used`): otherwise anyone could fill the cache with copies of one
    page under made-up query strings, pushing out every other page.
    """
    options = {"refresh_seconds": refresh_seconds, "clock": clock, "query": query}

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not settings.PAGE_CACHE or request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            if request.user.is_authenticated:
                response = view(request, *args, **kwargs)
                patch_cache_control(response, private=True, no_cache=True)
                return response

            places = page_places(request, options)
            response = serve_stored(places)
            if response is not None:
                return response
            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)):
                response = response.render()
            if not _storable(request, response) or not _query_as_used(
                places[0].query, response
            ):
                return response
            page = _place_for(places, response, clock)
            return page.store(response) if page is not None else response

        wrapper.public_page = options
        return wrapper

    return decorate(view) if view is not None else decorate


class PublicPageCacheMiddleware:
    """Serve stored public pages to cookie-less visitors before the session runs.

    Only answers for URLs whose view is wrapped in `public_page` and only from what
    that wrapper stored; everything else, and every miss, goes down the normal path.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.skip_cookies = {settings.SESSION_COOKIE_NAME, "messages"}

    def __call__(self, request):
        if (
            settings.PAGE_CACHE
            and request.method in ("GET", "HEAD")
            and not self.skip_cookies.intersection(request.COOKIES)
        ):
            try:
                options = getattr(resolve(request.path_info).func, "public_page", None)
            except Resolver404:
                options = None
            if options is not None:
                response = serve_stored(page_places(request, options))
                if response is not None:
                    return response
        return self.get_response(request)


def page_places(request, options: dict) -> list["CachedPage"]:
    """Where a URL's page may be stored at this moment, under one stamp read: the
    stamp (and refresh period) alone, then, for a clock page, the stamp and the
    clock bucket."""
    stamp = current_stamp()
    query = options["query"]
    places = [CachedPage(request, options["refresh_seconds"], query, stamp=stamp)]
    if options["clock"] and settings.CLOCK_CACHE_SECONDS:
        number, _start = clock_bucket()
        places.append(
            CachedPage(
                request,
                settings.CLOCK_CACHE_SECONDS,
                query,
                stamp=stamp,
                bucket=number,
                public=False,
            )
        )
    return places


def serve_stored(places: list["CachedPage"]) -> HttpResponse | None:
    """A 304 or the page stored at one of `places` (one shared-cache round trip
    for all of them), or None when it must be rendered."""
    request = places[0].request
    # An ETag is only ever sent for a page stored under this very stamp, so a
    # match proves the browser holds the current page: no cache read at all.
    if request.headers.get("If-None-Match"):
        for page in places:
            not_modified = get_conditional_response(
                request, etag=page.etag, response=HttpResponse()
            )
            if not_modified.status_code == 304:
                return page.with_validators(not_modified)
    found = _cached_first([page.cache_key for page in places])
    if found is None:
        return None
    index, (content, headers) = found
    page = places[index]
    response = page.with_validators(HttpResponse(content, headers=headers))
    return get_conditional_response(
        request, etag=page.etag, last_modified=page.last_modified, response=response
    )


def _place_for(places: list["CachedPage"], response, clock: bool):
    """Where to store a page just rendered: per stamp, unless it depends on the
    clock; then per stamp and bucket, and only if the bucket has not rolled since
    the key was made (the view may have rendered the next bucket's page)."""
    context = getattr(response, "context_data", None) or {}
    if not (clock and context.get("depends_on_clock", True)):
        return places[0]
    if len(places) < 2 or places[1].bucket != clock_bucket()[0]:
        return None
    return places[1]


class CachedPage:
    """One URL's place in the cache under the current site generation."""

    def __init__(
        self,
        request,
        refresh_seconds: int | None,
        query: tuple[str, ...] = (),
        *,
        stamp: tuple | None = None,
        bucket: int | None = None,
        public: bool = True,
    ):
        self.request = request
        self.public = public
        self.refresh_seconds = refresh_seconds
        # Only the parameters the view reads, in a fixed order, first value each.
        self.query = {
            name: request.GET[name] for name in sorted(query) if name in request.GET
        }
        stamp, changed_at = stamp or current_stamp()
        self.last_modified = int(changed_at.timestamp())  # HTTP dates: whole seconds
        if refresh_seconds and bucket is None:
            bucket = int(time.time() // refresh_seconds)
        self.bucket = bucket or 0
        if refresh_seconds:
            self.last_modified = max(self.last_modified, self.bucket * refresh_seconds)
        url = request.build_absolute_uri(request.path)
        if self.query:
            url += "?" + urlencode(self.query)
        key = hashlib.sha256(f"{stamp}|{self.bucket}|{url}".encode()).hexdigest()
        self.etag = f'"{key[:32]}"'
        self.cache_key = f"page:{key}"

    def store(self, response) -> HttpResponse:
        headers = {h: response[h] for h in STORED_HEADERS if response.has_header(h)}
        entry = (response.content, headers)
        cache.set(
            self.cache_key,
            entry,
            self.refresh_seconds or settings.PAGE_CACHE_SECONDS,
        )
        local_pages.set(self.cache_key, entry)
        return self.with_validators(response)

    def with_validators(self, response):
        response.headers["ETag"] = self.etag
        response.headers["Last-Modified"] = http_date(self.last_modified)
        # Browsers and proxies may keep the page but must ask again each time; the
        # answer is a cheap 304 while nothing changed. A logged-in visitor's page
        # differs, hence Vary: Cookie even when no session was looked at.
        # A page kept for the minute is not marked public: a shared cache in
        # front (deploy/nginx.conf's microcache) then leaves it alone, so a
        # proposal shows on home and the call page at once there too.
        if self.public:
            patch_cache_control(response, public=True)
        patch_cache_control(response, no_cache=True)
        patch_vary_headers(response, ["Cookie"])
        return response


class StampListener:
    """One thread per app process that LISTENs for bumps on PostgreSQL.

    `SiteGeneration.bump()` sends NOTIFY in the writing transaction; PostgreSQL
    delivers it on commit to every listener, on every app server, which counts it.
    While the listener is connected, the remembered stamp is reused until such a
    count changes, so a cached page costs no query at all and a write still shows
    everywhere within milliseconds. Without a connection (SQLite, PgBouncer in
    transaction mode, a dropped link) it reports unhealthy and the stamp is read on
    every request instead.
    """

    def __init__(self):
        self.version = 0
        self.healthy = False
        self.pid = None
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = None
        self.link = None

    def ensure_started(self) -> None:
        if self.pid == os.getpid():
            return
        with self.lock:
            if self.pid == os.getpid():
                return
            # A new process (gunicorn forks workers): its own thread and connection.
            self.pid, self.healthy = os.getpid(), False
            self.stopping.clear()
            self.thread = threading.Thread(
                target=self.run, name="site-generation-listener", daemon=True
            )
            self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.pid, self.thread, self.healthy = None, None, False

    def run(self) -> None:
        params = connection.get_connection_params()
        while not self.stopping.is_set():
            try:
                self.link = connection.Database.connect(**params)
                self.link.autocommit = True
                with self.link.cursor() as cursor:
                    cursor.execute(f"LISTEN {SiteGeneration.CHANNEL}")
                self.version += 1  # bumps before LISTEN went unheard: read again
                self.healthy = True
                self.listen()
            except Exception:  # any failure means: fall back, retry
                logger.warning("Site generation listener lost its link", exc_info=True)
            finally:
                self.healthy = False
                if self.link is not None:
                    self.link.close()
                    self.link = None
            self.stopping.wait(1)

    def listen(self) -> None:
        while not self.stopping.is_set():
            if select.select([self.link], [], [], 1.0) == ([], [], []):
                self.health_check()
            else:
                self.link.poll()
            # Also after the health check: a NOTIFY that arrived while it ran was
            # read off the socket with its answer, so select() will not wake for it.
            if self.link.notifies:
                self.link.notifies.clear()
                self.version += 1

    def health_check(self) -> None:
        with self.link.cursor() as cursor:  # a dead link fails here
            cursor.execute("SELECT 1")


stamp_listener = StampListener()


class StampMemo:
    """The stamp as last read, and when it may be reused instead of read again.

    Reused while the listener above is connected and has heard no bump since the
    read (PAGE_CACHE_LISTEN, on by default in production on PostgreSQL), or for
    PAGE_CACHE_STAMP_SECONDS after the read (0 by default: otherwise another
    process's write would show up to that late). A bump in this very process always
    forces a new read. Otherwise the stamp is read on every request.
    """

    def __init__(self):
        self.value = None
        self.read_at = 0.0
        self.bumps_seen = -1
        self.version_seen = -1

    def get(self):
        listener = None
        if (
            settings.PAGE_CACHE_LISTEN
            and connection.vendor == "postgresql"
            and connection.Database.__name__ == "psycopg2"
        ):
            listener = stamp_listener
            listener.ensure_started()
        if self.value and self.bumps_seen == SiteGeneration.local_bumps:
            if listener and listener.healthy and self.version_seen == listener.version:
                return self.value
            seconds = settings.PAGE_CACHE_STAMP_SECONDS
            if seconds and time.monotonic() - self.read_at < seconds:
                return self.value
        # Take the counts before the read: a bump heard meanwhile forces another.
        self.version_seen = listener.version if listener else -1
        self.bumps_seen = SiteGeneration.local_bumps
        self.value = _read_stamp()
        self.read_at = time.monotonic()
        return self.value


stamp_memo = StampMemo()


def current_stamp():
    """The current site generation (stamp, changed_at) for the page cache."""
    return stamp_memo.get()


def _read_stamp():
    """SiteGeneration.current() in one plain primary-key SELECT (the hot path)."""
    table = connection.ops.quote_name(SiteGeneration._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT stamp, changed_at FROM {table} WHERE id = 1")
        row = cursor.fetchone()
    if row is None:
        return SiteGeneration.current()
    stamp, changed_at = row
    if not hasattr(changed_at, "timestamp"):  # SQLite hands back text
        changed_at = connection.ops.convert_datetimefield_value(
            changed_at, None, connection
        )
    return stamp, changed_at


class LocalPages:
    """A small per-process memory of recent pages in front of the shared cache.

    Keys carry the site generation, so nothing here can go stale; it only saves the
    shared cache's round trip. Another app server never needs what it holds.
    """

    def __init__(self, size: int):
        self.size = size
        self.pages: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            entry = self.pages.get(key)
            if entry is not None:
                self.pages.move_to_end(key)
            return entry

    def set(self, key, entry) -> None:
        with self.lock:
            self.pages[key] = entry
            self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.pages.clear()


local_pages = LocalPages(LOCAL_PAGES)


def _query_as_used(query: dict[str, str], response) -> bool:
    """Whether the view used each query parameter exactly as given.

    A list page says which page it showed (`page_obj`; a forgiving paginator shows
    page 1 for ?page=x and the last for ?page=99999) and which filters it kept
    (`page_query`, the query string its pagination links carry); a page reached
    with any other value is served but not stored, so the cache holds at most one
    copy of each real page.
    """
    if not query:
        return True
    context = getattr(response, "context_data", None) or {}
    kept = QueryDict(context.get("page_query", ""))
    page_obj = context.get("page_obj")
    for name, value in query.items():
        if name == "page":
            if page_obj is None or value not in ("last", str(page_obj.number)):
                return False
        elif kept.get(name) != value:
            return False
    return True


def _storable(request, response) -> bool:
    if request.method != "GET" or response.status_code != 200:
        return False
    if response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "")
    if any(word in cache_control for word in ("private", "no-store")):
        return False
    # A CSRF token in the page would be shared with every visitor.
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    messages = getattr(request, "_messages", None)
    return not (messages is not None and (messages.used or len(messages)))


def clock_bucket(seconds: int | None = None) -> tuple[int, dt.datetime]:
    """The current bucket of the clock (`CLOCK_CACHE_SECONDS` long, a minute by
    default) as (number, start): what a page that depends on the clock is
    rendered for, so that all of it reads one moment."""
    seconds = settings.CLOCK_CACHE_SECONDS if seconds is None else seconds
    now = timezone.now()
    if not seconds:
        return 0, now
    number = int(now.timestamp() // seconds)
    return number, dt.datetime.fromtimestamp(number * seconds, tz=dt.UTC)


def _stamped_key(name: str, stamp: str, vary: tuple) -> str:
    parts = "|".join(str(part) for part in (name, stamp, *vary))
    return "stamped:" + hashlib.sha256(parts.encode()).hexdigest()


def _cached(key: str):
    found = _cached_first([key])
    return None if found is None else found[1]


def _cached_first(keys: list[str]):
    """(index, value) of the first of `keys` held in this process or, failing
    that, in the shared cache (one round trip for all keys); None if none is."""
    for index, key in enumerate(keys):
        value = local_pages.get(key)
        if value is not None:
            return index, value
    found = cache.get_many(keys)
    for index, key in enumerate(keys):
        value = found.get(key)
        if value is not None:
            local_pages.set(key, value)
            return index, value
    return None


def _keep(key: str, value, seconds: int) -> None:
    cache.set(key, value, seconds)
    local_pages.set(key, value)


def stamp_cached(
    name: str,
    compute: Callable[[], object],
    *,
    vary: tuple = (),
    seconds: int | None = None,
    stamp: str | None = None,
):
    """What `compute()` returns, computed at most once per site stamp (and `vary`,
    whatever else it depends on) and kept in the shared cache and this process.

    Correct by construction: every public write makes a new stamp, so nothing
    kept here outlives the data it was computed from. The value must pickle.
    `stamp`: the one read already, when a view computes several values.
    """
    if stamp is None:
        stamp, _changed_at = current_stamp()
    key = _stamped_key(name, stamp, vary)
    value = _cached(key)
    if value is None:
        value = compute()
        _keep(key, value, seconds or settings.PAGE_CACHE_SECONDS)
    return value


def clock_fragment(
    name: str, render: Callable[[dt.datetime], str], *, vary: tuple = ()
) -> str:
    """A part of a page that depends on the site's data and the clock (home),
    rendered by `render(moment)` at most once per site stamp and clock bucket.

    Correct by construction: the key holds the stamp, so any write shows at once,
    and the bucket, which `render` is given as its "now", so the cached text is
    exactly what a render in that bucket produces. `vary`: whatever else the text
    depends on (e.g. whether the visitor is staff). CLOCK_CACHE_SECONDS=0 renders
    every time.
    """
    number, moment = clock_bucket()
    if not settings.CLOCK_CACHE_SECONDS:
        return render(moment)
    return stamp_cached(f"clock:{name}", lambda: render(moment), vary=(number, *vary))


def clock_or_frozen_fragment(
    name: str, render: Callable[[dt.datetime], tuple[object, bool]], *, vary=()
) -> tuple[object, bool]:
    """Like `clock_fragment` for a part that may stop depending on the clock
    (a call's page once its notes are finalized): `render(moment)` returns
    (value, frozen), and a frozen value is kept for the site stamp alone instead
    of one clock bucket, so it is rendered once per write, not once a minute.
    Returns (value, frozen) too."""
    number, moment = clock_bucket()
    if not settings.CLOCK_CACHE_SECONDS:
        return render(moment)
    stamp, _changed_at = current_stamp()
    frozen_key = _stamped_key(f"frozen:{name}", stamp, vary)
    clock_key = _stamped_key(f"clock:{name}", stamp, (number, *vary))
    found = _cached_first([frozen_key, clock_key])
    if found is not None:
        index, value = found
        return value, index == 0
    value, frozen = render(moment)
    if frozen:
        _keep(frozen_key, value, settings.PAGE_CACHE_SECONDS)
    else:
        _keep(clock_key, value, settings.CLOCK_CACHE_SECONDS)
    return value, frozen
