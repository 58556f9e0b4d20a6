"""Whole-page cache for anonymous readers of public pages.

Most visitors of `/tenders/` are not signed in and see exactly the same page, so the page
is rendered once and served from the cache until its data changes:

- Only anonymous GET/HEAD requests without a session or messages cookie are served from
  or stored in the cache, and only 200 responses that set no cookie (a page that asked for
  a CSRF token is never stored).
- Pages belong to a *group* (``"tenders"``). Each group has a generation token in the
  cache; an entry is served only while the token it was stored under is current.
  `bump(group)` (after commit) replaces the token, so every page of the group is stale at
  once, with nothing to enumerate. A missing token (evicted, cache cleared) is a new one.
- An entry lives at most ``PUBLIC_PAGE_CACHE_SECONDS`` (default 60), and never past the
  next moment the page changes by the clock alone (a deadline it shows): views report
  those moments with `expires_by`.
- Responses carry an ETag; a matching ``If-None-Match`` gets 304.
"""

import datetime
import hashlib
import uuid
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_vary_headers

from marketplace import events

HIT_HEADER = "X-Page-Cache"


def _generation_key(group):
    return f"pagecache:{group}:generation"


def bump(group):
    """Make every cached page of `group` stale once the current transaction commits."""
    transaction.on_commit(lambda: cache.set(_generation_key(group), uuid.uuid4().hex, None))


def _tenders_changed(sender, **kwargs):
    bump("tenders")


def connect():
    """Tender pages go stale on any tender status change, amendment or published answer."""
    from marketplace.models import Tender

    events.status_changed.connect(_tenders_changed, sender=Tender, dispatch_uid="pagecache")
    events.tender_amended.connect(_tenders_changed, dispatch_uid="pagecache")
    events.clarification_answered.connect(_tenders_changed, dispatch_uid="pagecache")


def expires_by(request, *moments):
    """Tell the cache that the page being rendered changes by itself at these moments."""
    now = timezone.now()
    future = [moment for moment in moments if moment is not None and moment > now]
    if future:
        current = getattr(request, "_page_cache_until", None)
        request._page_cache_until = min(future + ([current] if current else []))


def timeout_for(request):
    """Seconds the page just rendered for `request` may be served from the cache."""
    seconds = settings.PUBLIC_PAGE_CACHE_SECONDS
    until = getattr(request, "_page_cache_until", None)
    if until is not None:
        left = (until - timezone.now()) / datetime.timedelta(seconds=1)
        seconds = min(seconds, int(left))
    return max(seconds, 0)


def _cacheable_request(request):
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.user.is_authenticated
    )


def _cacheable_response(request, response):
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not response.has_header("Cache-Control")
    )


def _page_key(group, request):
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"pagecache:{group}:{translation.get_language()}:{request.get_host()}:{path}"


def _respond(request, response, etag, hit):
    response["ETag"] = etag
    response[HIT_HEADER] = "hit" if hit else "miss"
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return get_conditional_response(request, etag=etag, response=response)


def public_page(group):
    """Serve the decorated view's page to anonymous readers from the cache (see above)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            generation_key, page_key = _generation_key(group), _page_key(group, request)
            found = cache.get_many([generation_key, page_key])
            generation = found.get(generation_key)
            entry = found.get(page_key)
            if generation is None:
                cache.add(generation_key, uuid.uuid4().hex, None)
                generation = cache.get(generation_key)
            elif entry is not None and entry["generation"] == generation:
                response = HttpResponse(entry["content"], content_type=entry["content_type"])
                return _respond(request, response, entry["etag"], hit=True)
            response = view(request, *args, **kwargs)
            if not _cacheable_response(request, response):
                return response
            entry = {
                "generation": generation,
                "content": response.content,
                "content_type": response["Content-Type"],
                "etag": f'"{hashlib.sha256(response.content).hexdigest()[:32]}"',
            }
            timeout = timeout_for(request)
            if timeout:
                cache.set(page_key, entry, timeout)
            return _respond(request, response, entry["etag"], hit=False)

        return wrapped

    return decorator
