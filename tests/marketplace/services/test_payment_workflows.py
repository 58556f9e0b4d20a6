"""The payment workflow: every (from, to) pair of PAYMENT_TRANSITIONS, allowed and forbidden,
with the right and the wrong actor."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied

from marketplace.models import AuditEntry, OrganisationMembership, Payment
from marketplace.workflows import PAYMENT_TRANSITIONS, TransitionNotAllowed, transition
from tests import factories
from tests.marketplace.payment_helpers import accepted_milestone

pytestmark = pytest.mark.django_db

Status = Payment.Status
PAIRS = list(itertools.product(Status.values, repeat=2))
ALLOWED = [(a, b) for a, b in PAIRS if b in PAYMENT_TRANSITIONS.get(a, set())]
FORBIDDEN = [pair for pair in PAIRS if pair not in ALLOWED]
# The platform (webhooks) settles, fails and refunds; only an officer starts a charge.
SYSTEM_MAY = {Status.SUCCEEDED, Status.FAILED, Status.REFUNDED}


def _pair_id(pair):
    return f"{pair[0]}->{pair[1]}"


def _payment(status):
    milestone, officer = accepted_milestone()
    payment = Payment.objects.create(
        milestone=milestone,
        contract=milestone.contract,
        amount=milestone.amount,
        gateway=Payment.Gateway.STRIPE,
        idempotency_key=f"milestone-{milestone.pk}",
        status=status,
    )
    return payment, officer


def _audit(payment):
    return AuditEntry.objects.filter(
        content_type__model="payment", object_id=str(payment.pk)
    ).count()


def test_table_covers_every_status():
    """Every status has an entry; refunded is final; failed can only be retried."""
    assert set(PAYMENT_TRANSITIONS) == set(Status.values)
    assert sorted(ALLOWED) == sorted(
        [
            (Status.PENDING, Status.PROCESSING),
            (Status.PENDING, Status.SUCCEEDED),
            (Status.PROCESSING, Status.SUCCEEDED),
            (Status.PROCESSING, Status.FAILED),
            (Status.FAILED, Status.PROCESSING),
            (Status.SUCCEEDED, Status.REFUNDED),
        ]
    )


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=map(_pair_id, ALLOWED))
def test_allowed_transition_by_the_officer_writes_one_audit_entry(from_status, to_status):
    """The buyer's officer may make every allowed move (with a reason where required)."""
    payment, officer = _payment(from_status)
    transition(payment, to_status, by=officer, reason="理由")
    payment.refresh_from_db()
    assert payment.status == to_status
    assert _audit(payment) == 1


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=map(_pair_id, ALLOWED))
def test_allowed_transition_by_the_platform_only_where_it_may(from_status, to_status):
    """The platform (no user: webhooks) may settle, fail and refund, never start a charge."""
    payment, _officer = _payment(from_status)
    if to_status in SYSTEM_MAY:
        transition(payment, to_status, by=None, reason="理由")
        payment.refresh_from_db()
        assert payment.status == to_status
    else:
        with pytest.raises(PermissionDenied):
            transition(payment, to_status, by=None, reason="理由")
        payment.refresh_from_db()
        assert payment.status == from_status and _audit(payment) == 0


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=map(_pair_id, ALLOWED))
def test_allowed_transition_refused_to_outsiders(from_status, to_status):
    """Staff, another buyer's officer and the organisation's admin may not move a payment."""
    payment, _officer = _payment(from_status)
    outsiders = [
        factories.StaffFactory(),
        factories.BuyerMembershipFactory().user,
        factories.OrganisationMembershipFactory(
            organisation=payment.contract.organisation, role=OrganisationMembership.Role.ADMIN
        ).user,
    ]
    for outsider in outsiders:
        with pytest.raises(PermissionDenied):
            transition(payment, to_status, by=outsider, reason="理由")
    payment.refresh_from_db()
    assert payment.status == from_status and _audit(payment) == 0


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN, ids=map(_pair_id, FORBIDDEN))
def test_forbidden_transition_changes_nothing(from_status, to_status):
    """A move the table does not list is refused, even for the officer, and changes nothing."""
    payment, officer = _payment(from_status)
    with pytest.raises(TransitionNotAllowed):
        transition(payment, to_status, by=officer, reason="理由")
    payment.refresh_from_db()
    assert payment.status == from_status and _audit(payment) == 0


def test_refund_needs_a_reason():
    from django.core.exceptions import ValidationError

    payment, officer = _payment(Status.SUCCEEDED)
    with pytest.raises(ValidationError):
        transition(payment, Status.REFUNDED, by=officer, reason="  ")
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
