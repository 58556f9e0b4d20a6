"""The milestone workflow (MILESTONE_TRANSITIONS): every (from, to) pair, allowed and
forbidden, with the right and the wrong actors, and the moves that need a reason."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marketplace.models import AuditEntry, Contract, Milestone, OrganisationMembership
from marketplace.workflows import MILESTONE_TRANSITIONS, TransitionNotAllowed, transition
from tests import factories

pytestmark = pytest.mark.django_db

Status = Milestone.Status

PAIRS = list(itertools.product(Status.values, repeat=2))
ALLOWED = [(a, b) for a, b in PAIRS if b in MILESTONE_TRANSITIONS.get(a, set())]
FORBIDDEN = [pair for pair in PAIRS if pair not in ALLOWED]

# The organisation reports; the buyer accepts, returns and cancels; a payment settles
# (the platform on a webhook, or the officer recording a treasury transfer).
ORGANISATION_MOVES = {Status.SUBMITTED}
SYSTEM_OR_BUYER_MOVES = {Status.PAID}
REASON_REQUIRED = {Status.RETURNED, Status.CANCELLED}


def _pair_id(pair):
    return f"{pair[0]}->{pair[1]}"


def _milestone(status) -> Milestone:
    contract = factories.ContractFactory(status=Contract.Status.ACTIVE)
    milestone = contract.milestones.order_by("position").first()
    Milestone.objects.filter(pk=milestone.pk).update(status=status)
    milestone.refresh_from_db()
    return milestone


def _member(milestone):
    return factories.OrganisationMembershipFactory(
        organisation=milestone.contract.organisation, role=OrganisationMembership.Role.MEMBER
    ).user


def _officer(milestone):
    return factories.BuyerMembershipFactory(buyer=milestone.contract.buyer).user


def _actor(milestone, to):
    return _member(milestone) if to in ORGANISATION_MOVES else _officer(milestone)


def _audit(obj):
    return AuditEntry.objects.filter(object_id=str(obj.pk), to_status__in=Status.values).count()


def test_table_covers_every_status():
    """Every milestone status has an entry; paid and cancelled lead nowhere."""
    assert set(MILESTONE_TRANSITIONS) == set(Status.values)
    assert MILESTONE_TRANSITIONS[Status.PAID] == set()
    assert MILESTONE_TRANSITIONS[Status.CANCELLED] == set()
    assert len(ALLOWED) == 9


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=map(_pair_id, ALLOWED))
def test_allowed_transition_writes_one_audit_entry(from_status, to_status):
    """An allowed move by a permitted actor (a member of the organisation to SUBMITTED, an
    officer of the buyer otherwise) changes the status and writes one AuditEntry."""
    milestone = _milestone(from_status)
    actor = _actor(milestone, to_status)
    before = AuditEntry.objects.count()

    result = transition(milestone, to_status, by=actor, reason="  依约处理 ")

    milestone.refresh_from_db()
    assert milestone.status == result.status == to_status
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.object_id, entry.actor) == (str(milestone.pk), actor)
    assert (entry.from_status, entry.to_status, entry.reason) == (
        from_status,
        to_status,
        "依约处理",
    )


def test_the_platform_may_mark_an_accepted_milestone_paid():
    """A settled Stripe payment (webhook, no user) marks the milestone paid."""
    milestone = _milestone(Status.ACCEPTED)

    transition(milestone, Status.PAID, by=None)

    milestone.refresh_from_db()
    assert milestone.status == Status.PAID
    assert AuditEntry.objects.latest("id").actor is None


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN, ids=map(_pair_id, FORBIDDEN))
def test_forbidden_transition_changes_nothing(from_status, to_status):
    """A move the table does not list is refused even for a permitted actor; the status and
    the audit log stay as they were."""
    milestone = _milestone(from_status)
    actor = _actor(milestone, to_status)
    before = _audit(milestone)

    with pytest.raises(TransitionNotAllowed) as raised:
        transition(milestone, to_status, by=actor, reason="理由")

    assert raised.value.code == "transition_not_allowed"
    milestone.refresh_from_db()
    assert milestone.status == from_status
    assert _audit(milestone) == before


def _wrong_actors(milestone, to):
    outsiders = [
        factories.StaffFactory(),
        factories.BuyerMembershipFactory().user,
        factories.OrganisationMembershipFactory().user,
    ]
    if to in ORGANISATION_MOVES:
        # The buyer does not report for the organisation, nor does the platform.
        return [None, _officer(milestone), *outsiders]
    organisation_side = [
        _member(milestone),
        factories.OrganisationMembershipFactory(organisation=milestone.contract.organisation).user,
    ]
    if to in SYSTEM_OR_BUYER_MOVES:
        return [*organisation_side, *outsiders]
    return [None, *organisation_side, *outsiders]


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=map(_pair_id, ALLOWED))
def test_allowed_transition_by_the_wrong_actor_is_refused(from_status, to_status):
    """Staff, other buyers' officers, other organisations' members, the other party (its
    admins too) and — except for PAID — the platform get PermissionDenied; nothing changes."""
    milestone = _milestone(from_status)
    for actor in _wrong_actors(milestone, to_status):
        before = _audit(milestone)
        with pytest.raises(PermissionDenied):
            transition(milestone, to_status, by=actor, reason="理由")
        milestone.refresh_from_db()
        assert milestone.status == from_status, actor
        assert _audit(milestone) == before


REASONED = [pair for pair in ALLOWED if pair[1] in REASON_REQUIRED]


@pytest.mark.parametrize(("from_status", "to_status"), REASONED, ids=map(_pair_id, REASONED))
@pytest.mark.parametrize("reason", ["", " \n "])
def test_return_and_cancel_need_a_reason(from_status, to_status, reason):
    """Returning or cancelling a milestone without a reason is refused; nothing changes."""
    milestone = _milestone(from_status)
    actor = _officer(milestone)
    before = _audit(milestone)

    with pytest.raises(ValidationError) as raised:
        transition(milestone, to_status, by=actor, reason=reason)

    assert raised.value.code == "reason_required"
    milestone.refresh_from_db()
    assert milestone.status == from_status
    assert _audit(milestone) == before
