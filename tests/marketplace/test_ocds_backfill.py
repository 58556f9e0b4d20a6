"""The backfill of past events (manage.py publish_ocds_releases): one release per public
event the data dates, each dated at its event and showing the process as it stood then, in
order, with the ids live releases have; idempotent, and a fixed number of queries a batch."""

import datetime
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from djmoney.money import Money

from marketplace import ocds
from marketplace.models import (
    AuditEntry,
    Award,
    Contract,
    ContractVersion,
    Milestone,
    OcdsRelease,
    Payment,
    Tender,
    TenderOpening,
    TenderVersion,
)
from marketplace.selectors.opendata import CLOSING_STATUSES
from marketplace.services.opendata import ocds_release_publish, ocds_releases_backfill
from marketplace.services.tenders import tender_cancel
from tests import factories
from tests.marketplace.ocds_helpers import assert_valid, full_process

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 1, 0, 0, 250000, tzinfo=datetime.UTC)


def _at(hours: int) -> datetime.datetime:
    return T0 + datetime.timedelta(hours=hours)


def _terms(amount: str, deliverables: str, names: list[str]) -> dict:
    shares = ["30.00", "40.00", "30.00"]
    return {
        "amount": amount,
        "currency": "CNY",
        "starts_on": "2026-04-01",
        "ends_on": "2027-03-31",
        "deliverables": deliverables,
        "milestones": [
            {
                "position": position,
                "name": name,
                "percentage": share,
                "amount": str(Money(amount, "CNY").amount * int(share[:2]) / 100),
                "due_on": f"2026-0{position + 6}-30",
                "status": "pending",
            }
            for position, (name, share) in enumerate(zip(names, shares, strict=True))
        ],
    }


def dated_process():
    """full_process with one event an hour from T0: published (v1 with another title and
    budget), amended (v2), bids opened, award, contract signed (v1 at 240,000), variation
    signed (v2 at 250,000), first milestone accepted, its payment settled, second milestone
    accepted."""
    tender, _bids, award, contract, payment = full_process()
    Tender.objects.filter(pk=tender.pk).update(published_at=_at(0))
    TenderVersion.objects.create(
        tender=tender,
        number=1,
        snapshot={"title": "旧项目名称", "budget": "280000.00 CNY", "bid_deadline": "bad"},
        created_by=tender.created_by,
        created_at=_at(0),
    )
    TenderVersion.objects.create(
        tender=tender,
        number=2,
        snapshot={"title": tender.title, "budget": "300000.00 CNY"},
        changes=[{"field": "title", "before": "旧项目名称", "after": tender.title}],
        created_by=tender.created_by,
        created_at=_at(1),
    )
    TenderOpening.objects.filter(tender=tender).update(opened_at=_at(2))
    Award.objects.filter(pk=award.pk).update(published_at=_at(3))
    Contract.objects.filter(pk=contract.pk).update(signed_at=_at(4))
    ContractVersion.objects.filter(contract=contract, number=1).update(
        buyer_signed_at=_at(4) - datetime.timedelta(minutes=5),
        organisation_signed_at=_at(4),
        terms=_terms("240000.00", "旧服务内容", ["预付", "中期", "终期"]),
    )
    ContractVersion.objects.filter(contract=contract, number=2).update(
        buyer_signed_at=_at(5), organisation_signed_at=_at(5)
    )
    milestones = list(contract.milestones.order_by("position"))
    Milestone.objects.filter(pk=milestones[0].pk).update(accepted_at=_at(6), paid_at=_at(7))
    Payment.objects.filter(pk=payment.pk).update(settled_at=_at(7))
    Milestone.objects.filter(pk=milestones[1].pk).update(accepted_at=_at(8))
    return tender, contract, milestones, payment


def _stored(tender) -> list[dict]:
    return list(
        OcdsRelease.objects.filter(tender=tender)
        .order_by("date", "pk")
        .values_list("data", flat=True)
    )


def test_backfill_stores_one_release_per_past_event_in_order():
    """Nine events, nine releases: the live ids and tags, each dated at its own event."""
    tender, contract, milestones, payment = dated_process()
    assert ocds_releases_backfill() == 9
    releases = _stored(tender)
    ocid = ocds.ocid_for(tender.pk)
    assert [release["id"].removeprefix(f"{ocid}-") for release in releases] == [
        "tender",
        "tenderAmendment-v2",
        "tenderUpdate-opened",
        f"award-{contract.award_id}",
        f"contract-{contract.pk}",
        f"contractAmendment-{contract.pk}-v2",
        f"implementation-milestone-{milestones[0].pk}",
        f"implementation-payment-{payment.pk}",
        f"implementation-milestone-{milestones[1].pk}",
    ]
    assert [release["tag"] for release in releases] == [
        ["tender"],
        ["tenderAmendment"],
        ["tenderUpdate"],
        ["award"],
        ["contract"],
        ["contractAmendment"],
        ["implementation"],
        ["implementation"],
        ["implementation"],
    ]
    assert {tag for release in releases for tag in release["tag"]} <= ocds.codelist(
        "releaseTag.csv"
    )
    assert [release["date"] for release in releases] == [ocds.iso(_at(h)) for h in range(9)]
    assert releases[0]["date"] == "2026-03-02T01:00:00Z"
    assert_valid(ocds.release_package(releases, uri="http://testserver/x"))
    assert_valid(ocds.record_package(ocid, releases, uri="http://testserver/x"))


def test_each_backfilled_release_shows_the_process_as_it_stood_at_its_event():
    tender, _contract, _milestones, payment = dated_process()
    ocds_releases_backfill()
    published, amended, opened, awarded, signed, varied, met, paid, last = _stored(tender)

    # Published: the first version's title and budget, no tenderer, award or contract.
    assert published["tender"]["title"] == "旧项目名称"
    assert published["tender"]["value"]["amount"] == 280000
    assert published["tender"]["status"] == "active"
    assert "amendments" not in published["tender"] and "tenderers" not in published["tender"]
    assert "awards" not in published and "contracts" not in published
    assert [party["roles"] for party in published["parties"]] == [["buyer", "procuringEntity"]]
    # Amended: today's notice, with its amendment.
    assert amended["tender"]["title"] == tender.title
    assert [a["id"] for a in amended["tender"]["amendments"]] == ["2"]
    # Opened: the tenderers, still no award.
    assert opened["tender"]["numberOfTenderers"] == 2
    assert "awards" not in opened
    # Awarded: the award, the tender complete, no contract yet.
    assert [a["status"] for a in awarded["awards"]] == ["active"]
    assert awarded["tender"]["status"] == "complete"
    assert "contracts" not in awarded
    # Signed: version 1's amount, content and milestones, nothing met or paid.
    [first] = signed["contracts"]
    assert first["value"]["amount"] == 240000
    assert first["description"] == "旧服务内容"
    assert [m["title"] for m in first["implementation"]["milestones"]] == ["预付", "中期", "终期"]
    assert {m["status"] for m in first["implementation"]["milestones"]} == {"scheduled"}
    assert first["implementation"]["transactions"] == []
    assert "amendments" not in first
    # Varied: version 2 in force.
    [second] = varied["contracts"]
    assert second["value"]["amount"] == 250000
    assert [a["id"] for a in second["amendments"]] == ["2"]
    # Milestone met, then paid, then the second milestone met.
    statuses = [m["status"] for m in met["contracts"][0]["implementation"]["milestones"]]
    assert statuses == ["met", "scheduled", "scheduled"]
    assert met["contracts"][0]["implementation"]["milestones"][0]["dateMet"] == ocds.iso(_at(6))
    assert met["contracts"][0]["implementation"]["transactions"] == []
    assert [t["id"] for t in paid["contracts"][0]["implementation"]["transactions"]] == [
        str(payment.pk)
    ]
    statuses = [m["status"] for m in last["contracts"][0]["implementation"]["milestones"]]
    assert statuses == ["met", "met", "scheduled"]


def test_backfill_is_idempotent():
    """A second run stores nothing and changes nothing."""
    _tender, *_ = dated_process()
    factories.TenderFactory(status=Tender.Status.DRAFT)
    assert ocds_releases_backfill() == 9
    before = list(OcdsRelease.objects.order_by("pk").values_list("pk", "release_id", "data"))
    assert ocds_releases_backfill() == 0
    assert (
        list(OcdsRelease.objects.order_by("pk").values_list("pk", "release_id", "data")) == before
    )


def test_a_process_with_live_releases_gets_only_its_missing_events():
    """Events already published live keep their release; the others are added, no duplicate."""
    tender, _contract, _milestones, _payment = dated_process()
    live = ocds_release_publish(tender_id=tender.pk, event="award")
    assert ocds_releases_backfill() == 8
    ids = [release["id"] for release in _stored(tender)]
    assert len(ids) == len(set(ids)) == 9
    assert OcdsRelease.objects.get(pk=live.pk).data == live.data


def test_a_process_with_the_earlier_whole_state_release_is_left_alone():
    """Stored releases are never changed or removed, so a process the earlier backfill gave
    one release of its whole state gets no per-event release that would repeat it."""
    tender, *_ = dated_process()
    ocid = ocds.ocid_for(tender.pk)
    data = {"ocid": ocid, "id": ocds.release_id_for(ocid, "backfill")}
    OcdsRelease.objects.create(
        ocid=ocid, release_id=data["id"], date=T0, tags=["tender"], data=data, tender=tender
    )
    assert ocds_releases_backfill() == 0
    assert OcdsRelease.objects.count() == 1


def test_closing_events_are_dated_by_the_audit_log_or_the_last_update(officer, buyer):
    """A cancellation made through the workflow is dated by its audit entry; a status set
    without one, by the row's last update. Before it, the tender was active."""
    cancelled = factories.TenderFactory(buyer=buyer)
    tender_cancel(tender=cancelled, by=officer, reason="预算调整")  # its live signal never ran
    logged = AuditEntry.objects.get(object_id=str(cancelled.pk), to_status="cancelled")
    failed = factories.TenderFactory()
    Tender.objects.filter(pk=failed.pk).update(status=Tender.Status.FAILED)
    failed.refresh_from_db()

    assert ocds_releases_backfill() == 4
    published, cancellation = _stored(cancelled)
    assert cancellation["tag"] == ["tenderCancellation"]
    assert cancellation["date"] == ocds.iso(logged.created_at)
    assert cancellation["tender"]["status"] == "cancelled"
    assert published["tender"]["status"] == "active"
    published, failure = _stored(failed)
    assert failure["id"].endswith("-tenderUpdate-failed")
    assert failure["date"] == ocds.iso(failed.updated_at)
    assert failure["tender"]["status"] == "unsuccessful"
    assert published["tender"]["status"] == "active"


def _processes(count):
    for _ in range(count):
        dated_process()
        cancelled = factories.TenderFactory()
        Tender.objects.filter(pk=cancelled.pk).update(status=Tender.Status.CANCELLED)


def test_a_batch_is_read_and_stored_in_a_fixed_number_of_queries(django_assert_num_queries):
    """One query for the ids, then per batch: the tenders and their ten prefetches, the
    stored release ids, the audit log, one insert, and the batch's savepoint (2)."""
    ContentType.objects.get_for_models(*CLOSING_STATUSES)  # cached for the process
    _processes(1)
    with django_assert_num_queries(17):
        assert ocds_releases_backfill(batch_size=50) == 11
    OcdsRelease.objects.all().delete()
    _processes(3)
    with django_assert_num_queries(17):
        assert ocds_releases_backfill(batch_size=50) == 44
    with CaptureQueriesContext(connection) as queries:
        assert ocds_releases_backfill(batch_size=4) == 0
    assert len(queries) == 1 + 2 * 15  # two batches, nothing to insert


def test_command_reports_progress_and_what_it_stored():
    _processes(2)
    out = io.StringIO()
    call_command("publish_ocds_releases", "--batch-size", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split("]")[1].split()[0] for line in lines[:-1]] == ["2/4", "4/4"]
    assert lines[-1].startswith("stored 22 OCDS release(s) in ")
    again = io.StringIO()
    call_command("publish_ocds_releases", stdout=again)
    assert again.getvalue().splitlines()[-1].startswith("stored 0 OCDS release(s)")


def test_no_event_is_dated_before_the_tender_was_published():
    """A row dated before the publication (inconsistent data) is an event of that moment,
    after the tender release."""
    tender, contract, *_ = dated_process()
    Award.objects.filter(pk=contract.award_id).update(published_at=_at(-24))
    ocds_releases_backfill()
    releases = _stored(tender)
    assert releases[0]["tag"] == ["tender"]
    award = next(release for release in releases if release["tag"] == ["award"])
    assert award["date"] == ocds.iso(_at(0))
