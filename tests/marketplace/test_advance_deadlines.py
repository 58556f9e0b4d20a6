"""The advance_deadlines command: close bidding at the deadline, or fail it (流标)."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from marketplace.models import AuditEntry, Bid, Tender
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _due(**fields):
    """A published tender whose deadline passed a minute ago (no job has run yet)."""
    now = timezone.now()
    return factories.TenderFactory(
        clarification_deadline=now - DAY,
        bid_deadline=now - datetime.timedelta(minutes=1),
        opening_at=now + datetime.timedelta(hours=1),
        **fields,
    )


def _run():
    out = StringIO()
    call_command("advance_deadlines", stdout=out)
    return out.getvalue()


def _transitions(tender):
    return list(
        AuditEntry.objects.filter(object_id=str(tender.pk), action="transition")
        .order_by("id")
        .values_list("from_status", "to_status", "actor")
    )


def test_closes_a_due_tender_once_however_often_it_runs():
    """A due tender with enough bids is CLOSED by the platform; a second run changes nothing
    and writes no further audit entries."""
    tender = _due()
    factories.BidFactory.create_batch(3, tender=tender)

    first = _run()
    after_first = AuditEntry.objects.count()
    second = _run()

    tender.refresh_from_db()
    assert tender.status == Tender.Status.CLOSED
    assert _transitions(tender) == [(Tender.Status.PUBLISHED, Tender.Status.CLOSED, None)]
    assert AuditEntry.objects.count() == after_first
    assert "closed 1" in first
    assert "closed 0" in second and "failed 0" in second


def test_fails_a_due_tender_with_too_few_live_bids(django_capture_on_commit_callbacks, mailoutbox):
    """公开招标 needs 3 live bids; with 2 live (and 1 withdrawn) the tender fails (流标) with a
    reason naming the counts, and bidders are told after commit."""
    tender = _due()
    bids = factories.BidFactory.create_batch(2, tender=tender)
    factories.BidFactory(tender=tender, status=Bid.Status.WITHDRAWN)
    member = factories.OrganisationMembershipFactory(organisation=bids[0].organisation)

    with django_capture_on_commit_callbacks(execute=True):
        output = _run()
    _run()

    tender.refresh_from_db()
    assert tender.status == Tender.Status.FAILED
    assert _transitions(tender) == [
        (Tender.Status.PUBLISHED, Tender.Status.CLOSED, None),
        (Tender.Status.CLOSED, Tender.Status.FAILED, None),
    ]
    failed = AuditEntry.objects.get(object_id=str(tender.pk), to_status=Tender.Status.FAILED)
    assert "有效投标 2 家" in failed.reason
    assert "3 家" in failed.reason
    assert "failed 1" in output
    assert [message.to for message in mailoutbox] == [[member.user.email]]
    assert "已流标" in mailoutbox[0].subject


def test_single_source_with_one_bid_closes():
    """单一来源 needs only 1 bid: one live bid closes the tender normally."""
    tender = _due(method=Tender.Method.SINGLE_SOURCE)
    factories.BidFactory(tender=tender)

    _run()

    tender.refresh_from_db()
    assert tender.status == Tender.Status.CLOSED


def test_does_nothing_before_the_deadline():
    """A tender whose deadline is still ahead stays PUBLISHED with no audit entry, even with
    no bids at all."""
    now = timezone.now()
    tender = factories.TenderFactory(
        clarification_deadline=now - DAY, bid_deadline=now + datetime.timedelta(minutes=1)
    )
    before = AuditEntry.objects.count()

    output = _run()

    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED
    assert AuditEntry.objects.count() == before
    assert "closed 0" in output and "failed 0" in output


@pytest.mark.parametrize(
    "status", [Tender.Status.DRAFT, Tender.Status.CANCELLED, Tender.Status.OPENED]
)
def test_leaves_tenders_that_are_not_published_alone(status):
    """Drafts, cancelled and opened tenders past their deadline are not touched."""
    tender = _due(status=status)
    before = AuditEntry.objects.count()

    _run()

    tender.refresh_from_db()
    assert tender.status == status
    assert AuditEntry.objects.count() == before
