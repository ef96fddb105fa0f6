"""The public page cache: conditional GET and cached renders for anonymous visitors.

It lives in `people`, the lowest app, beside `SiteGeneration`, so that people's own
urls can use it without importing upwards (people <- meetings <- agenda).

Finalized notes change only when someone edits, finalizes or reopens them, so their
pages (and the archive, people pages and feeds built from them) are rendered once
and then served from Django's cache. Every write to a model the site shows bumps
`SiteGeneration` (people/models.py); the stamp is part of each cache key and ETag,
so one write invalidates every page at once and no cached page outlives the data it
was rendered from. A request costs one primary-key lookup for the stamp and one
cache read (two queries with the database cache), and nothing but the stamp lookup
when the browser already has the page (304).

Never cached: logged-in users (staff may see drafts), anything but GET/HEAD, non-200
answers, responses that set cookies or say private/no-store, pages that carry a CSRF
token (forms) and pages that showed messages.
"""

import hashlib
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from people.models import SiteGeneration

# Response headers worth keeping with a cached page; the rest (Vary, CSP, security
# headers, cookies) are added again by the middleware on every response.
STORED_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language", "Link")


def public_page(
    view: Callable | None = None,
    *,
    only_if: Callable[..., bool] | None = None,
    refresh_seconds: int | None = None,
):
    """Wrap a public view with conditional GET and the generation-keyed page cache.

    only_if(request, *args, **kwargs): consulted once per render, before storing;
    False keeps that page out of the cache (e.g. a meeting that is not finalized,
    whose page changes when the call starts). refresh_seconds: for pages that also
    depend on the clock (an "upcoming calls" feed), start a new key that often.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not settings.PAGE_CACHE or request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            if request.user.is_authenticated:
                response = view(request, *args, **kwargs)
                patch_cache_control(response, private=True, no_cache=True)
                return response

            stamp, changed_at = SiteGeneration.current()
            last_modified = int(changed_at.timestamp())  # HTTP dates are whole seconds
            bucket = 0
            if refresh_seconds:
                bucket = int(time.time() // refresh_seconds)
                last_modified = max(last_modified, bucket * refresh_seconds)
            key = hashlib.sha256(
                f"{stamp}|{bucket}|{request.build_absolute_uri()}".encode()
            ).hexdigest()
            etag = f'"{key[:32]}"'

            # An ETag is only ever sent for a page stored under this very stamp, so
            # a match proves the browser holds the current page: no cache read.
            if request.headers.get("If-None-Match"):
                not_modified = get_conditional_response(
                    request, etag=etag, response=HttpResponse()
                )
                if not_modified.status_code == 304:
                    return _with_validators(not_modified, etag, last_modified)

            cache_key = f"page:{key}"
            entry = cache.get(cache_key)
            if entry is not None:
                content, headers = entry
                response = HttpResponse(content, headers=headers)
                response = _with_validators(response, etag, last_modified)
                return get_conditional_response(
                    request, etag=etag, last_modified=last_modified, response=response
                )

            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)):
                response = response.render()
            if not _storable(request, response) or (
                only_if is not None and not only_if(request, *args, **kwargs)
            ):
                return response
            headers = {h: response[h] for h in STORED_HEADERS if response.has_header(h)}
            cache.set(
                cache_key,
                (response.content, headers),
                refresh_seconds or settings.PAGE_CACHE_SECONDS,
            )
            return _with_validators(response, etag, last_modified)

        return wrapper

    return decorate(view) if view is not None else decorate


def _with_validators(response, etag: str, last_modified: int):
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(last_modified)
    # Browsers and proxies may keep the page but must ask again each time; the
    # answer is a cheap 304 while nothing changed.
    patch_cache_control(response, public=True, no_cache=True)
    return response


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
