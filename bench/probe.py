"""Inside Django (bench/load.py runs `python -m bench.probe`): pick the URLs to measure and
count the queries each page makes, with the Django test client. Prints one JSON line.

A page in CACHED_PAGES is measured twice: as the anonymous public sees it (served from the
whole-page cache, marketplace/pagecache.py) and as `<name>_uncached`, with a session cookie
that matches no session, which keeps the request out of that cache so that every request
renders the page (it still reads the shared fragment caches: a filter form, a total).
"""

import argparse
import json
import math

import django
from django.apps import apps

if not apps.ready:
    django.setup()

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.loadgen import HIT_HEADER, HOST
from cms.models import ResultPage
from marketplace.models import Contract, Region
from marketplace.selectors.organisations import organisation_list_public
from marketplace.selectors.tenders import tender_list_public

UNCACHED_COOKIE = "sessionid=bench-uncached"
UNCACHED = "_uncached"
CACHED_PAGES = (
    "tenders",
    "tenders_city_open",
    "tender",
    "awards",
    "statistics",
    "home",
    "results",
    "result",
)
CITY_CODE = "320500"  # 苏州市: the district filter covers all its counties


def site_urls() -> dict[str, str]:
    """Every page the bench knows, by name, the bare view first."""
    organisations = organisation_list_public()
    count = organisations.count()
    last_page = max(1, math.ceil(count / settings.PAGE_SIZE))
    city = Region.objects.get(code=CITY_CODE)
    urls = {
        "bare": "/bench/bare/",
        "list": "/organisations/",
        "list_last_page": f"/organisations/?page={last_page}",
        "list_city": f"/organisations/?district={city.pk}",
    }
    if count:
        urls["profile"] = organisations[count // 2].get_absolute_url()
    # Field names of marketplace.forms.tenders_public.TenderFilterForm.
    urls["tenders"] = "/tenders/"
    urls["tenders_city_open"] = f"/tenders/?region={city.pk}&status=open&sort=deadline"
    # An awarded tender half-way down the list: the notice with the most to show (criteria,
    # versions, answers, the award section).
    awarded = tender_list_public().filter(status="awarded")
    awarded_count = awarded.count()
    if awarded_count:
        urls["tender"] = awarded[awarded_count // 2].get_absolute_url()
    urls["awards"] = "/awards/"
    urls["statistics"] = "/statistics/"  # every chart, all years
    # The portal (cms/): the home page, the results list and the newest published result
    # (bench/portal.py publishes the bench's).
    urls["home"] = "/"
    urls["results"] = "/results/"
    result = ResultPage.objects.live().order_by("-first_published_at", "-pk").first()
    if result is not None:
        urls["result"] = result.url
    # A contract half-way down, with paid milestones and ledger entries, and its buyer's
    # profile (contracts let, payment punctuality).
    contracts = Contract.objects.order_by("pk")
    contract_count = contracts.count()
    if contract_count:
        contract = contracts.select_related("buyer")[contract_count // 2]
        urls["contract"] = reverse("contract_public", args=[contract.pk])
        urls["buyer"] = contract.buyer.get_absolute_url()
    for name in CACHED_PAGES:
        if name in urls:
            urls[f"{name}{UNCACHED}"] = urls[name]
    return urls


def selected(urls, names) -> dict[str, str]:
    """The bare view and the named pages (with their uncached twins); all if no names."""
    if not names:
        return urls
    wanted = {"bare", *names, *(f"{name}{UNCACHED}" for name in names)}
    return {name: url for name, url in urls.items() if name in wanted}


def probe_page(client, name, url) -> dict:
    """The second of two requests (the first fills per-process caches: ContentTypes,
    templates, the page cache): status, queries, size and whether the page cache served it."""
    cookie = UNCACHED_COOKIE if name.endswith(UNCACHED) else ""
    client.get(url, HTTP_COOKIE=cookie)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_COOKIE=cookie)
    return {
        "url": url,
        "cookie": cookie,
        "status": response.status_code,
        "queries": len(queries),
        "cache": response.get(HIT_HEADER, "-"),
        "bytes": len(response.content),
        "slowest_query_ms": max(
            (round(float(query["time"]) * 1000, 2) for query in queries.captured_queries),
            default=0,
        ),
    }


def probe(names=()):
    urls = site_urls()
    unknown = set(names) - set(urls)
    if unknown:
        raise SystemExit(
            f"Unknown or missing pages: {', '.join(sorted(unknown))} (known: {', '.join(urls)})"
        )
    client = Client(HTTP_HOST=HOST)
    pages = {name: probe_page(client, name, url) for name, url in selected(urls, names).items()}
    rendered_from_cache = [
        name for name, page in pages.items() if name.endswith(UNCACHED) and page["cache"] == "hit"
    ]
    if rendered_from_cache:
        raise SystemExit(f"Served from the page cache despite the cookie: {rendered_from_cache}")
    return {
        "organisations": organisation_list_public().count(),
        "tenders": tender_list_public().count(),
        "results": ResultPage.objects.live().count(),
        "pages": pages,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default="", help="comma-separated page names; all if empty")
    args = parser.parse_args(argv)
    names = [name for name in args.pages.split(",") if name]
    print(json.dumps(probe(names)))


if __name__ == "__main__":
    main()
