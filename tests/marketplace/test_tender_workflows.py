"""The tender and bid workflows: every (from, to) pair, actors, reasons."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marketplace.models import AuditEntry, Bid, OrganisationMembership, Tender
from marketplace.workflows import (
    BID_TRANSITIONS,
    TENDER_TRANSITIONS,
    TransitionNotAllowed,
    transition,
)
from tests import factories

pytestmark = pytest.mark.django_db

TenderStatus = Tender.Status
BidStatus = Bid.Status

TENDER_PAIRS = list(itertools.product(TenderStatus.values, repeat=2))
TENDER_ALLOWED = [(a, b) for a, b in TENDER_PAIRS if b in TENDER_TRANSITIONS.get(a, set())]
TENDER_FORBIDDEN = [pair for pair in TENDER_PAIRS if pair not in TENDER_ALLOWED]

BID_PAIRS = list(itertools.product(BidStatus.values, repeat=2))
BID_ALLOWED = [(a, b) for a, b in BID_PAIRS if b in BID_TRANSITIONS.get(a, set())]
BID_FORBIDDEN = [pair for pair in BID_PAIRS if pair not in BID_ALLOWED]

# Who makes each move: the platform (None) closes bidding; the buyer's officers do the rest.
SYSTEM_MOVES = {TenderStatus.CLOSED}


def _pair_id(pair):
    return f"{pair[0]}->{pair[1]}"


def _tender_actor(tender, to):
    if to in SYSTEM_MOVES:
        return None
    return factories.BuyerMembershipFactory(buyer=tender.buyer).user


def _bid_actor(bid):
    return factories.OrganisationMembershipFactory(
        organisation=bid.organisation, role=OrganisationMembership.Role.MEMBER
    ).user


def _audit(obj):
    return AuditEntry.objects.filter(object_id=str(obj.pk)).count()


def test_tables_cover_every_status():
    """Every tender and bid status has an entry; the terminal ones lead nowhere."""
    assert set(TENDER_TRANSITIONS) == set(TenderStatus.values)
    assert set(BID_TRANSITIONS) == set(BidStatus.values)
    assert TENDER_TRANSITIONS[TenderStatus.CANCELLED] == set()
    assert TENDER_TRANSITIONS[TenderStatus.FAILED] == set()
    assert BID_TRANSITIONS[BidStatus.WITHDRAWN] == set()
    assert BID_TRANSITIONS[BidStatus.REPLACED] == set()
    assert len(TENDER_ALLOWED) == 15
    assert len(BID_ALLOWED) == 2


@pytest.mark.parametrize(
    ("from_status", "to_status"), TENDER_ALLOWED, ids=map(_pair_id, TENDER_ALLOWED)
)
def test_allowed_tender_transition_writes_one_audit_entry(from_status, to_status):
    """An allowed move by a permitted actor (the platform for CLOSED, the buyer's officer
    otherwise) changes the status and writes exactly one AuditEntry with actor, from, to, reason."""
    tender = factories.TenderFactory(status=from_status)
    actor = _tender_actor(tender, to_status)
    before = AuditEntry.objects.count()

    result = transition(tender, to_status, by=actor, reason="  依规处理  ")

    tender.refresh_from_db()
    assert tender.status == result.status == to_status
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.object_id == str(tender.pk)
    assert entry.actor == actor
    assert (entry.from_status, entry.to_status, entry.reason) == (
        from_status,
        to_status,
        "依规处理",
    )


@pytest.mark.parametrize("from_status", [TenderStatus.CLOSED, TenderStatus.OPENED])
def test_the_platform_may_fail_a_tender(from_status):
    """流标 may be declared by the platform itself (no user), with a reason."""
    tender = factories.TenderFactory(status=from_status)

    transition(tender, TenderStatus.FAILED, by=None, reason="有效投标不足")

    tender.refresh_from_db()
    assert tender.status == TenderStatus.FAILED
    assert AuditEntry.objects.latest("id").actor is None


@pytest.mark.parametrize(
    ("from_status", "to_status"), TENDER_FORBIDDEN, ids=map(_pair_id, TENDER_FORBIDDEN)
)
def test_forbidden_tender_transition_changes_nothing(from_status, to_status):
    """A move the table does not list raises TransitionNotAllowed even for a permitted actor;
    the status and the audit log stay as they were."""
    tender = factories.TenderFactory(status=from_status)
    actor = _tender_actor(tender, to_status)
    before = _audit(tender)

    with pytest.raises(TransitionNotAllowed) as raised:
        transition(tender, to_status, by=actor, reason="理由")

    assert raised.value.code == "transition_not_allowed"
    tender.refresh_from_db()
    assert tender.status == from_status
    assert _audit(tender) == before


def _unpermitted_tender_actors(tender, to):
    outsiders = [
        factories.StaffFactory(),
        factories.BuyerMembershipFactory().user,
        factories.OrganisationMembershipFactory().user,
    ]
    if to in SYSTEM_MOVES:
        # Bidding closes by the clock: not even the buyer's officer closes it by hand.
        return [factories.BuyerMembershipFactory(buyer=tender.buyer).user, *outsiders]
    if to == TenderStatus.FAILED:
        return outsiders
    return [None, *outsiders]


@pytest.mark.parametrize(
    ("from_status", "to_status"), TENDER_ALLOWED, ids=map(_pair_id, TENDER_ALLOWED)
)
def test_allowed_tender_transition_by_the_wrong_actor_is_refused(from_status, to_status):
    """Staff, other buyers' officers, bidders — and for CLOSED the tender's own officer, for
    the officer's moves the platform — get PermissionDenied; nothing changes."""
    tender = factories.TenderFactory(status=from_status)
    for actor in _unpermitted_tender_actors(tender, to_status):
        before = _audit(tender)
        with pytest.raises(PermissionDenied):
            transition(tender, to_status, by=actor, reason="理由")
        tender.refresh_from_db()
        assert tender.status == from_status, actor
        assert _audit(tender) == before


REASONED = [
    pair for pair in TENDER_ALLOWED if pair[1] in (TenderStatus.CANCELLED, TenderStatus.FAILED)
]


@pytest.mark.parametrize(("from_status", "to_status"), REASONED, ids=map(_pair_id, REASONED))
@pytest.mark.parametrize("reason", ["", " \n "])
def test_cancel_and_fail_need_a_reason(from_status, to_status, reason):
    """Cancelling or failing a tender without a reason is refused with reason_required."""
    tender = factories.TenderFactory(status=from_status)
    actor = factories.BuyerMembershipFactory(buyer=tender.buyer).user
    before = _audit(tender)

    with pytest.raises(ValidationError) as raised:
        transition(tender, to_status, by=actor, reason=reason)

    assert raised.value.code == "reason_required"
    tender.refresh_from_db()
    assert tender.status == from_status
    assert _audit(tender) == before


@pytest.mark.parametrize(("from_status", "to_status"), BID_ALLOWED, ids=map(_pair_id, BID_ALLOWED))
def test_allowed_bid_transition_writes_one_audit_entry(from_status, to_status):
    """A member of the bidding organisation withdraws or replaces its bid: one AuditEntry."""
    bid = factories.BidFactory(status=from_status)
    actor = _bid_actor(bid)
    before = AuditEntry.objects.count()

    transition(bid, to_status, by=actor)

    bid.refresh_from_db()
    assert bid.status == to_status
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.object_id, entry.actor, entry.from_status, entry.to_status) == (
        str(bid.pk),
        actor,
        from_status,
        to_status,
    )


@pytest.mark.parametrize(
    ("from_status", "to_status"), BID_FORBIDDEN, ids=map(_pair_id, BID_FORBIDDEN)
)
def test_forbidden_bid_transition_changes_nothing(from_status, to_status):
    """A withdrawn or replaced bid never comes back, and no move stays in place."""
    bid = factories.BidFactory(status=from_status)
    actor = _bid_actor(bid)
    before = _audit(bid)

    with pytest.raises(TransitionNotAllowed):
        transition(bid, to_status, by=actor)

    bid.refresh_from_db()
    assert bid.status == from_status
    assert _audit(bid) == before


@pytest.mark.parametrize(("from_status", "to_status"), BID_ALLOWED, ids=map(_pair_id, BID_ALLOWED))
def test_allowed_bid_transition_by_the_wrong_actor_is_refused(from_status, to_status):
    """The buyer's officer, staff, another organisation's member and the platform cannot
    withdraw or replace a bid; nothing changes."""
    bid = factories.BidFactory(status=from_status)
    actors = [
        None,
        factories.StaffFactory(),
        factories.BuyerMembershipFactory(buyer=bid.tender.buyer).user,
        factories.OrganisationMembershipFactory().user,
    ]
    for actor in actors:
        before = _audit(bid)
        with pytest.raises(PermissionDenied):
            transition(bid, to_status, by=actor)
        bid.refresh_from_db()
        assert bid.status == from_status, actor
        assert _audit(bid) == before
