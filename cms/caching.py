"""Whole-page cache of the portal's Wagtail pages for anonymous readers, on the same
mechanism as the marketplace's public pages (marketplace/pagecache.py): a page group whose
generation token is replaced when anything it shows changes, an ETag, a 304 for a matching
If-None-Match, and here also Last-Modified (and a 304 for If-Modified-Since).

marketplace/urls.py serves Wagtail's pages through `pagecache.public_page(PAGES)` before Wagtail
routes the path, so a hit costs no query; a URL that hands a request to Wagtail itself
(`wagtail.views.serve`) should be wrapped the same way. Use: put `CachedPageMixin` first in a
page model's bases (it adds Last-Modified, and caches the page itself when no outer layer
does). Every cached page is in the group
`PAGES` unless the class sets `cache_group`. A page that reads live data reports when that
data last changed with `modified_at(request, moment)` while it renders; Last-Modified is
the latest of those and the page's last publication. `stale()` (after commit) makes every
page of the group stale; `stale_on(signal, sender)` does it whenever a signal is sent.

Pages go stale when any page is published, unpublished, moved or deleted (menus, lists and
the home page show other pages), and on the marketplace events whose data they show.
"""

import datetime

from django.db.models.signals import post_delete
from django.utils.http import http_date
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from marketplace import events, models, pagecache

PAGES = pagecache.PORTAL  # "pages"

# Status changes of these marketplace models change what the portal shows: the home page's
# open tenders and money contracted, result facts (milestones, payments, ratings, resident
# feedback), and the organisations listed or rated.
STALE_ON_STATUS_CHANGE = (
    "Tender",
    "Contract",
    "Milestone",
    "Payment",
    "RatingRound",
    "RatingAppeal",
    "ResidentFeedback",
    "Organisation",
)


def stale(*groups):
    """Make every cached page of the groups (default: `PAGES`) stale once the current
    transaction commits."""
    for group in groups or (PAGES,):
        pagecache.bump(group)


def modified_at(request, *moments):
    """Tell the cache that the page being rendered shows data last changed at these moments
    (its Last-Modified is the latest of them and of the page's last publication)."""
    known = [moment for moment in moments if moment is not None]
    current = getattr(request, "_page_modified_at", None)
    if current is not None:
        known.append(current)
    if known:
        request._page_modified_at = max(known)


def last_modified(request, page) -> datetime.datetime | None:
    """The Last-Modified moment of `page` as rendered for `request`."""
    moments = [page.last_published_at, getattr(request, "_page_modified_at", None)]
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


class CachedPageMixin:
    """Serve the page through the public page cache (see the module docstring). Works with
    RoutablePageMixin: every route is its own cached URL."""

    cache_group = PAGES

    def serve(self, request, *args, **kwargs):
        def view(request, *args, **kwargs):
            response = super(CachedPageMixin, self).serve(request, *args, **kwargs)
            # The cache stores the content: render the TemplateResponse now.
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            moment = last_modified(request, self)
            if moment is not None and response.status_code == 200:
                response["Last-Modified"] = http_date(moment.timestamp())
            return response

        if getattr(request, "_page_cache_group", None) == self.cache_group:
            # Already inside the cache (marketplace/urls.py wraps Wagtail's serve view, so
            # that a hit skips Wagtail's routing queries too).
            return view(request, *args, **kwargs)
        return pagecache.public_page(self.cache_group)(view)(request, *args, **kwargs)


def _stale(sender=None, **kwargs):
    stale()


def stale_on(signal, sender=None, group=PAGES):
    """Make the group's pages stale whenever `signal` is sent (by `sender`, if given)."""

    def receiver(**kwargs):
        stale(group)

    # Keep the closure alive: signals hold receivers weakly by default.
    signal.connect(receiver, sender=sender, weak=False, dispatch_uid=f"cms-stale-{group}")


def connect():
    """Pages go stale on page publication changes and on the marketplace events they show."""
    page_published.connect(_stale, dispatch_uid="cms-caching-published")
    page_unpublished.connect(_stale, dispatch_uid="cms-caching-unpublished")
    post_page_move.connect(_stale, dispatch_uid="cms-caching-moved")
    post_delete.connect(_page_deleted, dispatch_uid="cms-caching-deleted")
    for name in STALE_ON_STATUS_CHANGE:
        events.status_changed.connect(
            _stale, sender=getattr(models, name), dispatch_uid="cms-caching"
        )
    events.contract_varied.connect(_stale, dispatch_uid="cms-caching")
    events.tender_amended.connect(_stale, dispatch_uid="cms-caching")


def _page_deleted(sender, instance, **kwargs):
    if isinstance(instance, Page):
        stale()
