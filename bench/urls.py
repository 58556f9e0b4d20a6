"""The site's URLs plus /bench/bare/: the cheapest Django response, the floor pages are compared to."""

from django.http import HttpResponse
from django.urls import path

from marketplace.urls import urlpatterns as site_urlpatterns


def bare(request):
    """A tiny response through the full middleware stack, with no database or template."""
    return HttpResponse(b"ok", content_type="text/plain")


# First, so that Wagtail's catch-all page route at the end of the site's URLs never sees it.
urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *site_urlpatterns]
