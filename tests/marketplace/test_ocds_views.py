"""The open data endpoints: release packages by page with links and `since`, record packages,
the streamed bulk file, conditional GETs, and the explanation page."""

import datetime
import json

import pytest
from django.utils.http import http_date

from marketplace import ocds
from marketplace.models import OcdsRelease
from marketplace.selectors.opendata import ocds_process_get
from tests import factories
from tests.marketplace.ocds_helpers import assert_valid

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC)
RELEASES = "/opendata/ocds/releases/"


def _releases(count):
    """`count` stored releases of one process, one a day from START."""
    tender = factories.TenderFactory()
    process = ocds_process_get(tender_id=tender.pk)
    stored = []
    for index in range(count):
        date = START + datetime.timedelta(days=index)
        data = ocds.release_build(process, key=f"k{index}", tags=["tenderUpdate"], date=date)
        stored.append(
            OcdsRelease.objects.create(
                ocid=data["ocid"],
                release_id=data["id"],
                date=date,
                tags=data["tag"],
                data=data,
                tender=tender,
            )
        )
    return stored


def _json(response):
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_release_pages_link_next_and_prev(client, settings):
    """Pages of OCDS_PAGE_SIZE oldest first; links.next/prev chain them; every page valid."""
    settings.OCDS_PAGE_SIZE = 2
    stored = _releases(5)
    first = _json(client.get(RELEASES))
    assert_valid(first)
    assert [r["id"] for r in first["releases"]] == [r.release_id for r in stored[:2]]
    assert "prev" not in first["links"]
    second = _json(client.get(first["links"]["next"]))
    assert [r["id"] for r in second["releases"]] == [r.release_id for r in stored[2:4]]
    assert second["links"]["prev"].endswith("page=1")
    last = _json(client.get(second["links"]["next"]))
    assert [r["id"] for r in last["releases"]] == [stored[4].release_id]
    assert "next" not in last.get("links", {})
    assert client.get(RELEASES + "?page=4").status_code == 404
    assert client.get(RELEASES + "?page=zero").status_code == 400


def test_page_queries_do_not_grow_with_releases(client, settings, django_assert_num_queries):
    settings.OCDS_PAGE_SIZE = 50
    _releases(3)
    with django_assert_num_queries(2):
        client.get(RELEASES)
    _releases(20)
    with django_assert_num_queries(2):
        client.get(RELEASES)


def test_since_keeps_releases_from_that_moment(client):
    stored = _releases(4)
    since = (START + datetime.timedelta(days=2)).isoformat()
    package = _json(client.get(RELEASES, {"since": since}))
    assert [r["id"] for r in package["releases"]] == [r.release_id for r in stored[2:]]
    day_only = _json(client.get(RELEASES, {"since": "2026-03-03"}))
    assert len(day_only["releases"]) == 2  # 08:00 UTC = 16:00 in Shanghai, after midnight
    next_link = _json(client.get(RELEASES, {"since": since}))
    assert "links" not in next_link or "next" not in next_link["links"]


def test_bad_since_is_a_400_in_the_request_language(client):
    response = client.get(RELEASES, {"since": "昨天"})
    assert response.status_code == 400
    body = _json(response)
    assert body["error"]["code"] == "invalid_since"
    assert "since" in body["error"]["message"]
    assert "ISO 8601" in body["error"]["message"]
    english = client.get(RELEASES, {"since": "yesterday"}, headers={"accept-language": "en"})
    assert english.status_code == 400
    assert english.headers["Content-Language"] in ("en", "zh-hans")


def test_conditional_get_with_etag_and_last_modified(client):
    stored = _releases(2)
    response = client.get(RELEASES)
    etag, modified = response["ETag"], response["Last-Modified"]
    assert modified == http_date(stored[-1].created_at.timestamp())
    assert client.get(RELEASES, headers={"if-none-match": etag}).status_code == 304
    assert client.get(RELEASES, headers={"if-modified-since": modified}).status_code == 304
    _releases(1)
    changed = client.get(RELEASES, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_record_package_compiles_the_process(client):
    stored = _releases(3)
    ocid = stored[0].ocid
    response = client.get(f"/opendata/ocds/records/{ocid}/")
    package = _json(response)
    assert_valid(package)
    [record] = package["records"]
    assert record["ocid"] == ocid
    assert [r["id"] for r in record["releases"]] == [r.release_id for r in stored]
    assert record["compiledRelease"]["tag"] == ["compiled"]
    assert record["compiledRelease"]["date"] == ocds.iso(stored[-1].date)
    # Every release re-dated the process; the first one set the title, which never changed.
    versioned = record["versionedRelease"]
    assert [v["releaseID"] for v in versioned["tender"]["title"]] == [stored[0].release_id]
    assert versioned["parties"][0]["id"] == stored[0].data["parties"][0]["id"]
    assert (
        client.get(
            f"/opendata/ocds/records/{ocid}/", headers={"if-none-match": response["ETag"]}
        ).status_code
        == 304
    )
    missing = client.get("/opendata/ocds/records/ocds-nothing-1/")
    assert missing.status_code == 404
    assert _json(missing)["error"]["code"] == "ocid_not_found"


def test_bulk_streams_every_release_in_one_valid_package(client, settings):
    settings.OCDS_PAGE_SIZE = 2
    stored = _releases(5)
    response = client.get("/opendata/ocds/bulk/")
    assert response.streaming
    assert "attachment" in response["Content-Disposition"]
    package = json.loads(b"".join(response.streaming_content))
    assert_valid(package)
    assert [r["id"] for r in package["releases"]] == [r.release_id for r in stored]
    assert (
        client.get("/opendata/ocds/bulk/", headers={"if-none-match": response["ETag"]}).status_code
        == 304
    )


def test_empty_endpoints_answer_an_empty_package(client):
    """With nothing published the packages are empty; the schema's only complaint is that a
    package should hold at least one release."""
    for package in [
        _json(client.get(RELEASES)),
        json.loads(b"".join(client.get("/opendata/ocds/bulk/").streaming_content)),
    ]:
        assert package["releases"] == []
        assert ocds.package_errors(package) == ["releases: [] should be non-empty"]


def test_opendata_page_explains_endpoints_and_licence(client, settings):
    _releases(1)
    response = client.get("/opendata/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "开放数据" in text
    assert "/opendata/ocds/releases/" in text
    assert "/opendata/ocds/bulk/" in text
    assert settings.OCDS_LICENSE in text
    assert f"{settings.OCDS_PREFIX}-" in text
