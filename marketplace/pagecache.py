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
- Responses carry an ETag; a matching ``If-None-Match`` gets 304. A Last-Modified the view
  set is kept with the entry and answers ``If-Modified-Since`` too.
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
from django.utils.http import parse_http_date_safe

from marketplace import events

HIT_HEADER = "X-Page-Cache"
# The group of the portal's Wagtail pages (cms/caching.py makes it stale); marketplace URLs
# that hand a request to Wagtail cache under it too.
PORTAL = "pages"


def _generation_key(group):
    return f"pagecache:{group}:generation"


def bump(group):
    """Make every cached page of `group` stale once the current transaction commits."""
    transaction.on_commit(lambda: cache.set(_generation_key(group), uuid.uuid4().hex, None))


# The page groups that go stale when an object of these models changes status: the
# statistics (contracts signed, milestones accepted, payments settled, tenders past bidding)
# as well as the tender pages.
STALE_ON_STATUS_CHANGE = {
    "Tender": ("tenders", "statistics"),
    "Contract": ("statistics",),
    "Milestone": ("statistics",),
    "Payment": ("statistics",),
}


def _status_changed(sender, **kwargs):
    for group in STALE_ON_STATUS_CHANGE[sender.__name__]:
        bump(group)


def _tenders_changed(sender, **kwargs):
    bump("tenders")


def connect():
    """Pages go stale on the status changes in STALE_ON_STATUS_CHANGE; tender pages also
    on an amendment or a published answer."""
    from marketplace import models

    for name in STALE_ON_STATUS_CHANGE:
        events.status_changed.connect(
            _status_changed, sender=getattr(models, name), dispatch_uid="pagecache"
        )
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
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    return get_conditional_response(
        request, etag=etag, last_modified=last_modified, response=response
    )


def public_page(group):
    """Serve the decorated view's page to anonymous readers from the cache (see above)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            # Inner layers (a Wagtail page's own serve) see that the response is cached here.
            request._page_cache_group = group
            generation_key, page_key = _generation_key(group), _page_key(group, request)
            found = cache.get_many([generation_key, page_key])
            generation = found.get(generation_key)
            entry = found.get(page_key)
            if generation is None:
                cache.add(generation_key, uuid.uuid4().hex, None)
                generation = cache.get(generation_key)
            elif entry is not None and entry["generation"] == generation:
                response = HttpResponse(entry["content"], content_type=entry["content_type"])
                if entry.get("last_modified"):
                    response["Last-Modified"] = entry["last_modified"]
                return _respond(request, response, entry["etag"], hit=True)
            response = view(request, *args, **kwargs)
            if not _cacheable_response(request, response):
                return response
            entry = {
                "generation": generation,
                "content": response.content,
                "content_type": response["Content-Type"],
                "etag": f'"{hashlib.sha256(response.content).hexdigest()[:32]}"',
                "last_modified": response.get("Last-Modified"),
            }
            timeout = timeout_for(request)
            if timeout:
                cache.set(page_key, entry, timeout)
            return _respond(request, response, entry["etag"], hit=False)

        return wrapped

    return decorator
