"""Every package the demo data produces validates against the OCDS 1.1.5 schema with zero
errors and uses only official codelist values: the release pages, every record (with its
compiled and versioned releases), the bulk file. The backfill gives each demo process one
release per past event. The demo loader is slow, so it runs once, in one test."""

import io
import json
import time

import pytest
from django.core.management import call_command

from marketplace import ocds
from marketplace.models import OcdsRelease
from tests.marketplace.ocds_helpers import assert_valid

pytestmark = pytest.mark.django_db


def test_demo_data_packages_validate(client, settings, capsys):
    settings.OCDS_PAGE_SIZE = 50
    call_command("load_demo_data", stdout=io.StringIO())
    out = io.StringIO()
    call_command("publish_ocds_releases", stdout=out)
    assert "stored" in out.getvalue()
    again = io.StringIO()
    call_command("publish_ocds_releases", stdout=again)
    assert "stored 0 OCDS release(s)" in again.getvalue()
    releases = OcdsRelease.objects.count()
    assert releases > 0
    started = time.monotonic()

    url, pages = "/opendata/ocds/releases/", 0
    while url:
        package = json.loads(client.get(url).content)
        assert_valid(package)
        pages += 1
        url = package.get("links", {}).get("next")
    ocids = sorted(set(OcdsRelease.objects.values_list("ocid", flat=True)))
    # One release per past event: every process has its tender release, and most have more.
    assert releases > len(ocids)
    versions = 0
    for ocid in ocids:
        package = json.loads(client.get(f"/opendata/ocds/records/{ocid}/").content)
        assert_valid(package)
        [record] = package["records"]
        assert record["releases"][0]["tag"] == ["tender"]
        versions = max(versions, len(record["versionedRelease"]["tender"]["status"]))
    assert versions >= 2  # some tender's status changed between its releases
    bulk = json.loads(b"".join(client.get("/opendata/ocds/bulk/").streaming_content))
    assert_valid(bulk)
    assert len(bulk["releases"]) == releases
    tags = {tag for release in bulk["releases"] for tag in release["tag"]}
    with capsys.disabled():
        print(
            f"\nOCDS demo: {releases} releases, {len(ocids)} records, {pages} pages, "
            f"tags {sorted(tags)}, validated in {time.monotonic() - started:.1f}s"
        )
    assert ocds.codelist("releaseTag.csv") >= tags
