"""`manage.py import_ocds`: the official examples round-trip through our endpoints; invalid,
conflicting or foreign-prefixed input stores nothing."""

import copy
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from marketplace import ocds
from marketplace.models import OcdsRelease
from marketplace.services.opendata import ocds_package_import
from tests.marketplace.ocds_helpers import assert_valid

pytestmark = pytest.mark.django_db

EXAMPLES = sorted((ocds.OCDS_DIR / "examples").glob("*.json"))
TENDER_EXAMPLE = ocds.OCDS_DIR / "examples" / "tender-release-package.json"


def _load(path):
    return json.loads(path.read_text("utf-8"))


def _releases_of(package):
    if "records" in package:
        return [release for record in package["records"] for release in record["releases"]]
    return package["releases"]


def _command(*files):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_ocds", *map(str, files), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_official_example_round_trips(client, path):
    """Imported, each example's releases come back equal from the release and record
    packages, and the record compiles them."""
    out, _ = _command(path)
    expected = {release["id"]: release for release in _releases_of(_load(path))}
    assert f"{len(expected)} release(s) imported" in out

    listed = json.loads(client.get("/opendata/ocds/releases/").content)
    assert_valid(listed)
    assert {release["id"]: release for release in listed["releases"]} == expected

    for ocid in {release["ocid"] for release in expected.values()}:
        record = json.loads(client.get(f"/opendata/ocds/records/{ocid}/").content)
        assert ocds.package_errors(record) == []
        [got] = record["records"]
        assert {r["id"]: r for r in got["releases"]} == {
            k: v for k, v in expected.items() if v["ocid"] == ocid
        }
        assert got["compiledRelease"]["tag"] == ["compiled"]
    assert OcdsRelease.objects.filter(imported=True, tender=None).count() == len(expected)


def test_all_examples_together_and_again_change_nothing():
    _command(*EXAMPLES)
    count = OcdsRelease.objects.count()
    out, _ = _command(*EXAMPLES)
    assert OcdsRelease.objects.count() == count
    assert "0 release(s) imported" in out


def test_invalid_package_lists_the_first_errors_and_stores_nothing(tmp_path):
    package = _load(TENDER_EXAMPLE)
    del package["releases"][0]["ocid"]
    package["releases"][0]["tender"]["status"] = 42
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(package), "utf-8")
    good = TENDER_EXAMPLE
    with pytest.raises(CommandError, match="1 file"):
        _command(bad, good)
    assert set(OcdsRelease.objects.values_list("release_id", flat=True)) == {
        release["id"] for release in _load(good)["releases"]
    }


def test_invalid_package_error_messages(tmp_path):
    package = _load(TENDER_EXAMPLE)
    del package["releases"][0]["ocid"]
    with pytest.raises(ValidationError) as raised:
        ocds_package_import(package=package)
    assert any("ocid" in message for message in raised.value.messages)
    assert not OcdsRelease.objects.exists()


def test_not_json_is_reported(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    with pytest.raises(CommandError):
        _command(bad)
    assert not OcdsRelease.objects.exists()


def test_conflicting_release_is_an_error_and_the_file_stores_nothing():
    package = _load(TENDER_EXAMPLE)
    ocds_package_import(package=package)
    changed = copy.deepcopy(package)
    changed["releases"][0]["tender"]["title"] = "另一个标题"
    extra = copy.deepcopy(package["releases"][0])
    extra["id"] = "extra-release"
    changed["releases"].insert(0, extra)
    with pytest.raises(ValidationError) as raised:
        ocds_package_import(package=changed)
    assert "内容不同" in raised.value.messages[0]
    assert not OcdsRelease.objects.filter(release_id="extra-release").exists()


def test_our_own_prefix_cannot_be_imported(settings):
    package = _load(TENDER_EXAMPLE)
    settings.OCDS_PREFIX = "ocds-213czf-000"
    package["releases"][0]["ocid"] = "ocds-213czf-000-7"
    with pytest.raises(ValidationError):
        ocds_package_import(package=package)
    assert not OcdsRelease.objects.exists()
