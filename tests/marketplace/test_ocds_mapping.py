"""OCDS releases of our contracting processes: what is mapped where, what is never
published (sealed bids), codelists, the merge rules (compiled and versioned releases), and
the receivers of domain events. The backfill is in test_ocds_backfill.py."""

import datetime
import json

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from djmoney.money import Money

from marketplace import ocds
from marketplace.models import (
    Award,
    BidDocument,
    OcdsRelease,
    Tender,
    TenderDocument,
    TenderVersion,
)
from marketplace.ocds import merge as ocds_merge
from marketplace.selectors.opendata import ocds_process_get
from marketplace.services.opendata import ocds_release_publish, ocds_releases_backfill
from marketplace.services.tenders import tender_cancel
from tests import factories
from tests.marketplace.ocds_helpers import (
    LOSING_PRICE,
    SECRET_PLAN,
    SECRET_TEAM,
    assert_valid,
    dump,
    full_process,
    open_tender,
    publish_all,
)

pytestmark = pytest.mark.django_db


def _release(tender, event="tender", subject=""):
    return ocds_release_publish(tender_id=tender.pk, event=event, subject=subject).data


def _package(*releases):
    return ocds.release_package(list(releases), uri="http://testserver/opendata/ocds/releases/")


def test_ocid_uses_the_configured_prefix(settings):
    """ocid = <OCDS_PREFIX>-<tender id>, and only our own prefix parses back to an id."""
    settings.OCDS_PREFIX = "ocds-a1b2c3"
    assert ocds.ocid_for(42) == "ocds-a1b2c3-42"
    assert ocds.tender_id_from_ocid("ocds-a1b2c3-42") == 42
    assert ocds.tender_id_from_ocid("ocds-213czf-000-00001") is None
    assert ocds.tender_id_from_ocid("ocds-a1b2c3-x") is None


def test_published_tender_maps_to_a_valid_tender_release(settings):
    """A published tender: parties, budget, method, periods, criteria with weights, the notice
    and its public documents with public URLs; valid against the schema and codelists."""
    tender = factories.TenderFactory(method=Tender.Method.INVITED, funding_source="区级福彩公益金")
    document = TenderDocument.objects.create(
        tender=tender,
        title="招标文件.pdf",
        file=ContentFile(b"%PDF", name="t.pdf"),
        size=4,
        sha256="a" * 64,
        uploaded_by=tender.created_by,
    )
    TenderDocument.objects.create(
        tender=tender,
        title="已撤下的文件.pdf",
        file=ContentFile(b"%PDF", name="old.pdf"),
        size=4,
        sha256="b" * 64,
        uploaded_by=tender.created_by,
        removed_in_version=2,
    )
    release = _release(tender)
    assert_valid(_package(release))

    assert release["ocid"] == f"{settings.OCDS_PREFIX}-{tender.pk}"
    assert release["tag"] == ["tender"]
    assert release["buyer"]["name"] == tender.buyer.name
    [buyer] = release["parties"]
    assert buyer["roles"] == ["buyer", "procuringEntity"]
    assert buyer["identifier"]["id"] == tender.buyer.credit_code
    assert release["planning"]["budget"] == {
        "description": "区级福彩公益金",
        "amount": {"amount": 300000, "currency": "CNY"},
    }
    section = release["tender"]
    assert section["status"] == "active"
    assert section["procurementMethod"] == "selective"
    assert section["procurementMethodDetails"] == "邀请招标"
    assert section["mainProcurementCategory"] == "services"
    assert section["awardCriteria"] == "ratedCriteria"
    assert "服务方案 70" in section["awardCriteriaDetails"]
    assert "价格 30" in section["awardCriteriaDetails"]
    assert section["tenderPeriod"]["endDate"] == ocds.iso(tender.bid_deadline)
    assert section["enquiryPeriod"]["endDate"] == ocds.iso(tender.clarification_deadline)
    assert "numberOfTenderers" not in section and "tenderers" not in section
    urls = {d["id"]: d["url"] for d in section["documents"]}
    assert urls == {
        "notice": f"{settings.SITE_URL}/tenders/{tender.pk}/",
        str(document.pk): f"{settings.SITE_URL}/files/tender-documents/{document.pk}/",
    }
    assert "awards" not in release and "contracts" not in release


def test_tender_statuses_map_to_the_tender_status_codelist():
    """Every status of ours has a code of the closed tenderStatus codelist."""
    assert set(ocds.TENDER_STATUS) == set(Tender.Status)
    assert set(ocds.TENDER_STATUS.values()) <= ocds.codelist("tenderStatus.csv")
    assert set(ocds.PROCUREMENT_METHOD) == set(Tender.Method)
    assert set(ocds.PROCUREMENT_METHOD.values()) <= ocds.codelist("method.csv")
    assert set(ocds.AWARD_STATUS.values()) <= ocds.codelist("awardStatus.csv")
    assert set(ocds.CONTRACT_STATUS.values()) <= ocds.codelist("contractStatus.csv")
    assert set(ocds.MILESTONE_STATUS.values()) <= ocds.codelist("milestoneStatus.csv")


def test_amendments_come_from_the_tender_versions():
    tender = factories.TenderFactory()
    TenderVersion.objects.create(tender=tender, number=1, snapshot={}, created_by=tender.created_by)
    TenderVersion.objects.create(
        tender=tender,
        number=2,
        snapshot={},
        changes=[{"field": "bid_deadline", "before": "a", "after": "b"}],
        note="延长投标截止时间",
        created_by=tender.created_by,
    )
    release = _release(tender, "tenderAmendment", "v2")
    assert release["tag"] == ["tenderAmendment"]
    [amendment] = release["tender"]["amendments"]
    assert amendment["id"] == "2"
    assert amendment["rationale"] == "延长投标截止时间"
    assert "投标截止时间" in amendment["description"]
    assert_valid(_package(release))


def test_full_process_maps_awards_contracts_milestones_and_transactions():
    tender, bids, award, contract, payment = full_process()
    release = _release(tender, "implementation", f"payment-{payment.pk}")
    assert_valid(_package(release))

    roles = {party["name"]: party["roles"] for party in release["parties"]}
    assert roles[tender.buyer.name] == ["buyer", "procuringEntity", "payer"]
    assert roles[bids[0].organisation.name] == ["tenderer", "supplier", "payee"]
    assert roles[bids[1].organisation.name] == ["tenderer"]
    assert release["tender"]["status"] == "complete"
    assert release["tender"]["numberOfTenderers"] == 2
    [published] = release["awards"]
    assert published["status"] == "active"
    assert published["value"] == {"amount": 250000, "currency": "CNY"}
    assert published["suppliers"][0]["name"] == bids[0].organisation.name
    [mapped] = release["contracts"]
    assert mapped["awardID"] == str(award.pk)
    assert mapped["status"] == "active"
    assert mapped["dateSigned"] == ocds.iso(contract.signed_at)
    assert mapped["period"]["startDate"].endswith("T00:00:00+08:00")
    assert [a["id"] for a in mapped["amendments"]] == ["2"]
    statuses = [m["status"] for m in mapped["implementation"]["milestones"]]
    assert statuses == ["met", "met", "scheduled"]
    [transaction] = mapped["implementation"]["transactions"]
    assert transaction["value"] == {"amount": 75000, "currency": "CNY"}
    assert transaction["payer"]["name"] == tender.buyer.name
    assert transaction["payee"]["name"] == bids[0].organisation.name


def test_revoked_award_is_cancelled_and_its_organisation_no_longer_supplier():
    tender, bids, award, _contract, _payment = full_process()
    second = factories.AwardFactory(
        bid=bids[1], tender=tender, amount=bids[1].amount, report=award.report
    )
    Award.objects.filter(pk=second.pk).update(status=Award.Status.REVOKED)
    release = _release(tender, "awardCancellation", str(second.pk))
    statuses = {a["id"]: a["status"] for a in release["awards"]}
    assert statuses == {str(award.pk): "active", str(second.pk): "cancelled"}
    roles = {party["name"]: party["roles"] for party in release["parties"]}
    assert roles[bids[1].organisation.name] == ["tenderer"]


def _secrets_absent(text: str, *, names=()):
    assert SECRET_PLAN not in text and SECRET_TEAM not in text
    assert "271828.18" not in text and "271828" not in text
    assert "secret-bid" not in text
    for name in names:
        assert name not in text


def test_sealed_bids_never_leak_before_the_deadline(client):
    """Before the deadline no release, page or record names a bidder, a price or a file."""
    tender = factories.TenderFactory()
    bids = [
        factories.BidFactory(
            tender=tender, amount=LOSING_PRICE, service_plan=SECRET_PLAN, team=SECRET_TEAM
        )
        for _ in range(2)
    ]
    BidDocument.objects.create(
        bid=bids[0],
        title="secret-bid.pdf",
        file=ContentFile(b"%PDF", name="secret-bid.pdf"),
        size=4,
        sha256="c" * 64,
    )
    release = _release(tender)
    ocds_releases_backfill()
    pages = [
        client.get("/opendata/ocds/releases/").content.decode(),
        client.get(f"/opendata/ocds/records/{release['ocid']}/").content.decode(),
        b"".join(client.get("/opendata/ocds/bulk/").streaming_content).decode(),
    ]
    for text in [dump(release), *pages]:
        _secrets_absent(text, names=[bid.organisation.name for bid in bids])


def test_after_opening_only_names_and_number_then_only_the_awarded_price():
    """After opening: the tenderers and their number, no price or proposal; after the award
    only the awarded amount, never the losing bid's price or proposal."""
    tender, bids = open_tender()
    opened = _release(tender, "tenderUpdate", "opened")
    assert opened["tender"]["numberOfTenderers"] == 2
    assert {t["name"] for t in opened["tender"]["tenderers"]} == {
        bid.organisation.name for bid in bids
    }
    _secrets_absent(dump(opened))
    assert "250000" not in dump(opened)

    factories.AwardFactory(bid=bids[0], tender=tender, amount=bids[0].amount)
    awarded = _release(tender, "award")
    _secrets_absent(dump(awarded))
    assert awarded["awards"][0]["value"]["amount"] == 250000


def test_codelist_walker_finds_every_coded_field():
    """The checker sees the codes it must check, and flags a code outside its codelist."""
    tender, *_ = full_process()
    release = _release(tender, "contract", "x")
    found = {(name, code) for _, name, code in ocds.codelist_values(release)}
    for expected in [
        ("releaseTag.csv", "contract"),
        ("partyRole.csv", "payee"),
        ("tenderStatus.csv", "complete"),
        ("method.csv", "open"),
        ("procurementCategory.csv", "services"),
        ("awardCriteria.csv", "ratedCriteria"),
        ("submissionMethod.csv", "electronicSubmission"),
        ("documentType.csv", "tenderNotice"),
        ("awardStatus.csv", "active"),
        ("contractStatus.csv", "active"),
        ("milestoneType.csv", "delivery"),
        ("milestoneStatus.csv", "met"),
    ]:
        assert expected in found
    broken = {**release, "tender": {**release["tender"], "submissionMethod": ["fax"]}}
    assert ocds.codelist_violations(broken) == [
        "/tender/submissionMethod: 'fax' not in submissionMethod.csv"
    ]


def test_every_event_release_is_valid_with_codelist_values():
    tender, _bids, _award, contract, payment = full_process()
    releases = publish_all(
        tender,
        [
            ("tender", ""),
            ("tenderUpdate", "opened"),
            ("award", ""),
            ("contract", str(contract.pk)),
            ("contractAmendment", f"{contract.pk}-v2"),
            ("implementation", f"payment-{payment.pk}"),
            ("contractTermination", str(contract.pk)),
        ],
    )
    assert_valid(_package(*(release.data for release in releases)))
    records = ocds.record_package(
        releases[0].ocid, [r.data for r in releases], uri="http://testserver/x"
    )
    assert_valid(records)


def test_the_same_event_is_stored_once():
    tender = factories.TenderFactory()
    first = ocds_release_publish(tender_id=tender.pk, event="tender")
    assert first is not None
    assert ocds_release_publish(tender_id=tender.pk, event="tender") is None
    assert OcdsRelease.objects.count() == 1


def test_a_draft_is_never_published():
    draft = factories.TenderFactory(status=Tender.Status.DRAFT)
    assert ocds_release_publish(tender_id=draft.pk, event="tenderCancellation") is None
    assert ocds_releases_backfill() == 0
    assert not OcdsRelease.objects.exists()


def test_process_is_read_in_a_constant_number_of_queries(django_assert_max_num_queries):
    tender, *_ = full_process()
    with django_assert_max_num_queries(16):
        ocds.release_build(
            ocds_process_get(tender_id=tender.pk), key="k", tags=["tender"], date=timezone.now()
        )


def test_receiver_stores_a_release_after_commit(officer, buyer, django_capture_on_commit_callbacks):
    """Cancelling a published tender appends a tenderCancellation release once it commits."""
    tender = factories.TenderFactory(buyer=buyer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tender_cancel(tender=tender, by=officer, reason="预算调整")
        assert not OcdsRelease.objects.exists()
    for callback in callbacks:
        callback()
    [release] = OcdsRelease.objects.all()
    assert release.tags == ["tenderCancellation"]
    assert release.tender == tender
    assert release.data["tender"]["status"] == "cancelled"


# --- merge rules on small fixed inputs ------------------------------------------------------

R1 = {
    "ocid": "ocds-x-1",
    "id": "1",
    "date": "2026-01-01T00:00:00Z",
    "tag": ["tender"],
    "tender": {
        "id": "T",
        "title": "旧标题",
        "submissionMethod": ["written"],
        "items": [{"id": "a", "description": "A", "quantity": 1}],
        "documents": [{"id": "d1", "title": "D1"}, {"id": "d2", "title": "D2"}],
    },
    "parties": [{"id": "p1", "name": "P1", "roles": ["buyer"]}],
}
R2 = {
    "ocid": "ocds-x-1",
    "id": "2",
    "date": "2026-01-02T00:00:00Z",
    "tag": ["tenderAmendment"],
    "tender": {
        "title": "新标题",
        "submissionMethod": ["electronicSubmission"],
        "documents": [{"id": "d2", "title": "D2 v2"}, {"id": "d3", "title": "D3"}],
        "description": None,
    },
    "parties": [{"id": "p1", "roles": ["buyer", "payer"]}, {"id": "p2", "name": "P2"}],
}


def test_merge_objects_by_field_arrays_by_id_and_replace_other_arrays():
    compiled = ocds_merge.compile_releases([R2, R1])  # out of order on purpose: date order wins
    assert compiled["tag"] == ["compiled"]
    assert compiled["id"] == "ocds-x-1-2026-01-02T00:00:00Z"
    assert compiled["date"] == "2026-01-02T00:00:00Z"
    assert compiled["tender"]["id"] == "T"
    assert compiled["tender"]["title"] == "新标题"
    assert compiled["tender"]["submissionMethod"] == ["electronicSubmission"]
    assert compiled["tender"]["items"] == [{"id": "a", "description": "A", "quantity": 1}]
    assert compiled["tender"]["documents"] == [
        {"id": "d1", "title": "D1"},
        {"id": "d2", "title": "D2 v2"},
        {"id": "d3", "title": "D3"},
    ]
    assert compiled["parties"] == [
        {"id": "p1", "name": "P1", "roles": ["buyer", "payer"]},
        {"id": "p2", "name": "P2"},
    ]


def test_merge_null_removes_a_field_and_inputs_are_not_changed():
    first = {**R1, "tender": {**R1["tender"], "description": "说明"}}
    compiled = ocds_merge.compile_releases([first, R2])
    assert "description" not in compiled["tender"]
    assert first["tender"]["description"] == "说明"
    assert R1["tender"]["documents"][1]["title"] == "D2"


def _official_record() -> dict:
    package = json.loads(
        (ocds.OCDS_DIR / "examples" / "implementation-record-package.json").read_text("utf-8")
    )
    [record] = package["records"]
    return record


def test_merge_matches_the_official_compiled_release():
    """The compiled release of the official record example equals the one OCDS published."""
    record = _official_record()
    assert ocds_merge.compile_releases(record["releases"]) == record["compiledRelease"]


def test_versioned_release_matches_the_official_one():
    """So does the versioned release, from the same releases."""
    record = _official_record()
    assert ocds_merge.versioned_release(record["releases"]) == record["versionedRelease"]


def _version(release, value):
    return {
        "releaseID": release["id"],
        "releaseDate": release["date"],
        "releaseTag": release["tag"],
        "value": value,
    }


def test_versioned_release_keeps_each_change_of_a_field():
    """A field changed between two releases has two versions, one left alone keeps one; an
    item's id is its key, not a version; a list of literals and a free-form object are one
    value each; a null is a version; the release's id, date and tag are left out."""
    first = {
        **R1,
        "parties": [{**R1["parties"][0], "details": {"scale": "large"}}],
        "buyer": {"id": "p1", "name": "P1", "additionalIdentifiers": [{"id": "x", "scheme": "S"}]},
    }
    second = {
        **R2,
        "parties": [{**R2["parties"][0], "details": {"scale": "sme"}}, R2["parties"][1]],
        "buyer": {"id": "p1", "name": "P1"},
    }
    versioned = ocds_merge.versioned_release([second, first])
    assert set(versioned) == {"ocid", "tender", "parties", "buyer"}
    assert versioned["ocid"] == "ocds-x-1"
    tender = versioned["tender"]
    assert tender["title"] == [_version(first, "旧标题"), _version(second, "新标题")]
    assert tender["id"] == [_version(first, "T")]
    assert tender["submissionMethod"] == [
        _version(first, ["written"]),
        _version(second, ["electronicSubmission"]),
    ]
    assert tender["description"] == [_version(second, None)]
    assert [document["id"] for document in tender["documents"]] == ["d1", "d2", "d3"]
    assert tender["documents"][1]["title"] == [_version(first, "D2"), _version(second, "D2 v2")]
    assert tender["items"] == [
        {"id": "a", "description": [_version(first, "A")], "quantity": [_version(first, 1)]}
    ]
    p1 = versioned["parties"][0]
    assert p1["id"] == "p1"
    assert p1["roles"] == [_version(first, ["buyer"]), _version(second, ["buyer", "payer"])]
    assert p1["details"] == [
        _version(first, {"scale": "large"}),
        _version(second, {"scale": "sme"}),
    ]
    assert versioned["buyer"]["id"] == [_version(first, "p1")]
    assert versioned["buyer"]["additionalIdentifiers"] == [
        _version(first, [{"id": "x", "scheme": "S"}])
    ]


def test_an_empty_list_of_objects_merges_as_no_item():
    """An empty identifier-merged array shows as [] until a release brings items, which it
    does not wipe out again; both merged forms stay plain JSON."""
    empty = {**R1, "tender": {"milestones": []}}
    filled = {**R2, "tender": {"milestones": [{"id": "m1", "title": "M1"}]}}
    again = {**R2, "id": "3", "date": "2026-01-03T00:00:00Z", "tender": {"milestones": []}}
    assert ocds_merge.compile_releases([empty])["tender"] == {"milestones": []}
    assert ocds_merge.versioned_release([empty])["tender"] == {"milestones": []}
    compiled = ocds_merge.compile_releases([empty, filled, again])
    assert compiled["tender"]["milestones"] == [{"id": "m1", "title": "M1"}]
    versioned = ocds_merge.versioned_release([empty, filled, again])
    assert versioned["tender"]["milestones"] == [{"id": "m1", "title": [_version(filled, "M1")]}]
    json.dumps([compiled, versioned])


def test_award_release_key_follows_the_standing_award():
    tender, bids = open_tender()
    first = factories.AwardFactory(bid=bids[0], tender=tender, amount=bids[0].amount)
    release = ocds_release_publish(tender_id=tender.pk, event="award")
    assert release.release_id.endswith(f"-award-{first.pk}")
    Award.objects.filter(pk=first.pk).update(status=Award.Status.REVOKED)
    second = factories.AwardFactory(
        bid=bids[1],
        tender=tender,
        report=first.report,
        amount=Money("260000.00", "CNY"),
        published_at=timezone.now() + datetime.timedelta(seconds=1),
    )
    again = ocds_release_publish(tender_id=tender.pk, event="award")
    assert again.release_id.endswith(f"-award-{second.pk}")
