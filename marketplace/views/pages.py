"""Marketplace URLs whose pages the portal (Wagtail) renders: the organisation and buyer
directories and profiles are routable pages in cms/, kept under their marketplace URL names
(`reverse("organisation_detail", args=[pk])` works everywhere) by handing the request on."""

from wagtail.views import serve

from marketplace import pagecache


# Like every portal page: looked up in the page cache before Wagtail routes the request, so
# a hit costs no query (the page's own serve sees it is inside the cache already).
@pagecache.public_page(pagecache.PORTAL)
def wagtail_page(request, **kwargs):
    """Serve the Wagtail page at this request's path (the URL's arguments are the page's)."""
    return serve(request, request.path[1:])
