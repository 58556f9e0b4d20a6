"""Open data endpoints (OCDS 1.1): release packages by page, record packages by ocid, a
streamed bulk download, and the page that explains them.

Every JSON answer carries an ETag and Last-Modified and honours conditional GETs. Stored
releases are never edited, so the number of releases and the highest primary key of the
set identify its content; Last-Modified is the latest release date (or storage time, for an
older release imported later, so that a newly imported release still changes it).
"""

import datetime
import hashlib
import json
import math

from django.conf import settings
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from marketplace import ocds
from marketplace.selectors.opendata import (
    ReleaseSetState,
    ocds_release_list,
    ocds_release_set_state,
    ocds_releases_for_ocid,
)

JSON_PARAMS = {"ensure_ascii": False}
BULK_CHUNK = 500


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message}}, status=status, json_dumps_params=JSON_PARAMS
    )


def _last_modified(state: ReleaseSetState) -> datetime.datetime | None:
    moments = [moment for moment in (state.last_date, state.last_created) if moment is not None]
    return max(moments) if moments else None


def _validators(request, state: ReleaseSetState) -> tuple[str, datetime.datetime | None]:
    digest = hashlib.sha256(
        f"{request.get_full_path()}|{state.count}|{state.last_pk}".encode()
    ).hexdigest()[:32]
    return f'"{digest}"', _last_modified(state)


def _conditional(request, state: ReleaseSetState, build):
    """A 304 if the client's copy is current, else `build()` with the validators set."""
    etag, modified = _validators(request, state)
    timestamp = int(modified.timestamp()) if modified else None
    not_modified = get_conditional_response(request, etag=etag, last_modified=timestamp)
    if not_modified is not None:
        return not_modified
    response = build(modified)
    response["ETag"] = etag
    if timestamp is not None:
        response["Last-Modified"] = http_date(timestamp)
    return response


def _parse_since(value: str) -> datetime.datetime | None:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        moment = datetime.datetime.combine(day, datetime.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _page_url(request, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@require_safe
def ocds_release_package(request):
    """One page of all releases, oldest first, with `links.next`/`links.prev`; `?since=`
    keeps the releases dated at or after an ISO 8601 date-time."""
    since = None
    if request.GET.get("since"):
        try:
            since = _parse_since(request.GET["since"])
        except ValueError:
            return _error(
                400,
                "invalid_since",
                _("参数 since 不是有效的 ISO 8601 日期时间，例如 2026-01-01T00:00:00+08:00。"),
            )
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 0
    if page < 1:
        return _error(400, "invalid_page", _("参数 page 必须是正整数。"))
    releases = ocds_release_list(since=since)
    state = ocds_release_set_state(releases)
    size = settings.OCDS_PAGE_SIZE
    pages = max(1, math.ceil(state.count / size))
    if page > pages:
        return _error(404, "page_not_found", _("没有这一页。"))

    def build(modified):
        rows = releases.values_list("data", flat=True)[(page - 1) * size : page * size]
        links = {}
        if page < pages:
            links["next"] = _page_url(request, page + 1)
        if page > 1:
            links["prev"] = _page_url(request, page - 1)
        package = ocds.release_package(
            list(rows), uri=request.build_absolute_uri(), published=modified, links=links
        )
        return JsonResponse(package, json_dumps_params=JSON_PARAMS)

    return _conditional(request, state, build)


@require_safe
def ocds_record_package(request, ocid):
    """The record of one contracting process: all its releases and the compiled release."""
    releases = ocds_releases_for_ocid(ocid)
    state = ocds_release_set_state(releases)
    if not state.count:
        return _error(404, "ocid_not_found", _("没有这个开放合同编号（ocid）的记录。"))

    def build(modified):
        package = ocds.record_package(
            ocid,
            list(releases.values_list("data", flat=True)),
            uri=request.build_absolute_uri(),
            published=modified,
        )
        return JsonResponse(package, json_dumps_params=JSON_PARAMS)

    return _conditional(request, state, build)


def _bulk_chunks(envelope: dict, releases):
    head = json.dumps(envelope, ensure_ascii=False)
    # The envelope without its closing brace, then the releases array, written as it is read.
    yield head[:-1] + ', "releases": ['
    first = True
    for data in releases.values_list("data", flat=True).iterator(chunk_size=BULK_CHUNK):
        yield ("" if first else ",\n") + json.dumps(data, ensure_ascii=False)
        first = False
    yield "]}\n"


@require_safe
def ocds_bulk(request):
    """Every release in one release package, streamed (never held in memory at once)."""
    releases = ocds_release_list()
    state = ocds_release_set_state(releases)

    def build(modified):
        envelope = ocds.release_package([], uri=request.build_absolute_uri(), published=modified)
        del envelope["releases"]
        if request.method == "HEAD":
            response = HttpResponse(content_type="application/json")
        else:
            response = StreamingHttpResponse(
                _bulk_chunks(envelope, releases), content_type="application/json"
            )
        response["Content-Disposition"] = 'attachment; filename="ocds-releases.json"'
        return response

    return _conditional(request, state, build)


@require_safe
def opendata_index(request):
    """The human page: endpoints, licence and publication policy."""
    example = ocds_release_list().values_list("ocid", flat=True).first()
    return render(
        request,
        "marketplace/opendata_index.html",
        {
            "releases_url": request.build_absolute_uri(reverse("ocds_release_package")),
            "bulk_url": request.build_absolute_uri(reverse("ocds_bulk")),
            "record_example_url": (
                request.build_absolute_uri(reverse("ocds_record_package", args=[example]))
                if example
                else ""
            ),
            "prefix": settings.OCDS_PREFIX,
            "license": settings.OCDS_LICENSE,
            "page_size": settings.OCDS_PAGE_SIZE,
            "publisher": settings.OCDS_PUBLISHER_NAME,
        },
    )
