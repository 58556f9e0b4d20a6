"""Building contracting processes for the OCDS tests, and checks every package must pass."""

import datetime
import json

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from djmoney.money import Money

from marketplace import ocds
from marketplace.models import (
    Contract,
    ContractVersion,
    Milestone,
    Payment,
    Tender,
    TenderOpening,
)
from marketplace.services.opendata import ocds_release_publish
from tests import factories

SECRET_PLAN = "绝密服务方案X9"
SECRET_TEAM = "绝密团队Y7"
LOSING_PRICE = Money("271828.18", "CNY")


def assert_valid(package: dict):
    """Zero schema errors, and every codelist value from the official codelists; a record
    has its compiled and versioned releases, and its releases in date order."""
    assert ocds.package_errors(package) == []
    for record in package.get("records", []):
        assert record["versionedRelease"]["ocid"] == record["ocid"]
        assert record["compiledRelease"]["ocid"] == record["ocid"]
        dates = [parse_datetime(release["date"]) for release in record["releases"]]
        assert dates == sorted(dates)
    releases = package.get("releases") or [
        release for record in package["records"] for release in record["releases"]
    ]
    if "records" in package:
        releases = [*releases, *(record["compiledRelease"] for record in package["records"])]
    for release in releases:
        assert ocds.codelist_violations(release) == []


def dump(data) -> str:
    return json.dumps(data, ensure_ascii=False)


def open_tender(*, bids=2, **fields):
    """A tender whose deadline passed and whose bids were read out, with `bids` live bids
    (the second one at LOSING_PRICE)."""
    now = timezone.now()
    tender = factories.TenderFactory(
        status=Tender.Status.OPENED,
        clarification_deadline=now - datetime.timedelta(days=3),
        bid_deadline=now - datetime.timedelta(days=2),
        opening_at=now - datetime.timedelta(days=2),
        **fields,
    )
    made = [
        factories.BidFactory(
            tender=tender,
            amount=Money("250000.00", "CNY") if index == 0 else LOSING_PRICE,
            service_plan=SECRET_PLAN,
            team=SECRET_TEAM,
            submitted_at=tender.bid_deadline - datetime.timedelta(hours=1),
        )
        for index in range(bids)
    ]
    TenderOpening.objects.create(
        tender=tender,
        opened_by=tender.created_by,
        opened_at=tender.opening_at,
        record=[
            {
                "bid": bid.pk,
                "organisation": bid.organisation.name,
                "amount": f"{bid.amount.amount:.2f}",
                "currency": "CNY",
                "submitted_at": bid.submitted_at.isoformat(),
                "reconfirmed": True,
            }
            for bid in made
        ],
    )
    return tender, made


def full_process():
    """Opened, awarded to the first bid, contract signed, first milestone accepted and paid,
    second accepted, variation signed: every section of a release is filled."""
    tender, bids = open_tender()
    award = factories.AwardFactory(
        bid=bids[0],
        tender=tender,
        amount=bids[0].amount,
        notice_ends_at=timezone.now() - datetime.timedelta(days=1),
    )
    Tender.objects.filter(pk=tender.pk).update(status=Tender.Status.AWARDED)
    contract = factories.ContractFactory(
        award=award, status=Contract.Status.ACTIVE, signed_at=timezone.now()
    )
    milestones = list(contract.milestones.order_by("position"))
    now = timezone.now()
    Milestone.objects.filter(pk=milestones[0].pk).update(
        status=Milestone.Status.PAID, accepted_at=now, paid_at=now
    )
    Milestone.objects.filter(pk=milestones[1].pk).update(
        status=Milestone.Status.ACCEPTED, accepted_at=now
    )
    payment = Payment.objects.create(
        milestone=milestones[0],
        contract=contract,
        amount=milestones[0].amount,
        gateway=Payment.Gateway.TREASURY,
        status=Payment.Status.SUCCEEDED,
        idempotency_key=f"ocds-test-{contract.pk}",
        reference="PZ-0001",
        settled_at=now,
    )
    ContractVersion.objects.create(
        contract=contract,
        number=2,
        reason="调整中期评估时间",
        terms={},
        text="v2",
        sha256="1" * 64,
        created_by=contract.created_by,
        buyer_signed_by=contract.created_by,
        buyer_signed_at=now,
        organisation_signed_by=contract.created_by,
        organisation_signed_at=now,
    )
    return tender, bids, award, contract, payment


def publish_all(tender, events):
    """Store a release for each (event, subject) of `tender`."""
    return [
        ocds_release_publish(tender_id=tender.pk, event=event, subject=subject)
        for event, subject in events
    ]
