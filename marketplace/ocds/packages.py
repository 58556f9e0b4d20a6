"""Release packages and record packages (records merged by marketplace/ocds/merge.py)."""

import datetime

from django.conf import settings
from django.urls import reverse

from marketplace.ocds.codes import OCDS_VERSION
from marketplace.ocds.merge import compile_releases, versioned_release
from marketplace.ocds.values import iso, site_url


def _envelope(uri: str, published: datetime.datetime | None) -> dict:
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": iso(published or datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)),
        "publisher": {"name": settings.OCDS_PUBLISHER_NAME, "uri": settings.OCDS_PUBLISHER_URI},
        "license": settings.OCDS_LICENSE,
        "publicationPolicy": site_url(reverse("opendata_index")),
    }


def release_package(releases: list[dict], *, uri: str, published=None, links=None) -> dict:
    """A release package around `releases`."""
    package = _envelope(uri, published)
    if links:
        package["links"] = links
    package["releases"] = releases
    return package


def record_package(ocid: str, releases: list[dict], *, uri: str, published=None) -> dict:
    """A record package with the one record of `ocid`: its releases, the compiled release
    and the versioned release (marketplace/ocds/merge.py)."""
    package = _envelope(uri, published)
    package["packages"] = [site_url(reverse("ocds_release_package"))]
    package["records"] = [
        {
            "ocid": ocid,
            "releases": releases,
            "compiledRelease": compile_releases(releases),
            "versionedRelease": versioned_release(releases),
        }
    ]
    return package
