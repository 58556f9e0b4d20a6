"""The contract workflow: every (from, to) pair of CONTRACT_TRANSITIONS, allowed and
forbidden, with the right and the wrong actor."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marketplace.models import AuditEntry, Contract, OrganisationMembership
from marketplace.workflows import CONTRACT_TRANSITIONS, TransitionNotAllowed, transition
from tests import factories

pytestmark = pytest.mark.django_db

Status = Contract.Status

PAIRS = list(itertools.product(Status.values, repeat=2))
ALLOWED = [(a, b) for a, b in PAIRS if b in CONTRACT_TRANSITIONS.get(a, set())]
FORBIDDEN = [pair for pair in PAIRS if pair not in ALLOWED]


def _pair_id(pair):
    return f"{pair[0]}->{pair[1]}"


def _audit(contract):
    return AuditEntry.objects.filter(
        content_type__model="contract", object_id=str(contract.pk)
    ).count()


def _officer(contract):
    return factories.BuyerMembershipFactory(buyer=contract.buyer).user


def _admin(contract):
    return factories.OrganisationMembershipFactory(
        organisation=contract.organisation, role=OrganisationMembership.Role.ADMIN
    ).user


# Who may make each move: either party brings the contract into force; the platform (or
# the buyer) completes it; only the buyer terminates it.
RIGHT_ACTORS = {
    Status.ACTIVE: ("officer", "admin"),
    Status.COMPLETED: ("system", "officer"),
    Status.TERMINATED: ("officer",),
}


def _actor(kind, contract):
    return {"system": lambda c: None, "officer": _officer, "admin": _admin}[kind](contract)


def _wrong_actors(contract, to):
    outsiders = [
        factories.StaffFactory(),
        factories.BuyerMembershipFactory().user,
        factories.OrganisationMembershipFactory().user,
        factories.OrganisationMembershipFactory(
            organisation=contract.organisation, role=OrganisationMembership.Role.MEMBER
        ).user,
    ]
    if to == Status.ACTIVE:
        return [None, *outsiders]
    if to == Status.COMPLETED:
        return [_admin(contract), *outsiders]
    return [None, _admin(contract), *outsiders]


def test_table_covers_every_status():
    """Every contract status has an entry; completed and terminated are final."""
    assert set(CONTRACT_TRANSITIONS) == set(Status.values)
    assert CONTRACT_TRANSITIONS[Status.COMPLETED] == set()
    assert CONTRACT_TRANSITIONS[Status.TERMINATED] == set()
    assert sorted(ALLOWED) == sorted(
        [
            (Status.DRAFT, Status.ACTIVE),
            (Status.DRAFT, Status.TERMINATED),
            (Status.ACTIVE, Status.COMPLETED),
            (Status.ACTIVE, Status.TERMINATED),
        ]
    )


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=map(_pair_id, ALLOWED))
def test_allowed_transition_by_each_right_actor_writes_one_audit_entry(from_status, to_status):
    """Each permitted actor can make the move: the status changes and one AuditEntry
    records actor, from, to and reason."""
    for kind in RIGHT_ACTORS[to_status]:
        contract = factories.ContractFactory(status=from_status)
        actor = _actor(kind, contract)
        before = _audit(contract)

        transition(contract, to_status, by=actor, reason=" 依约处理 ")

        contract.refresh_from_db()
        assert contract.status == to_status
        assert _audit(contract) == before + 1
        entry = AuditEntry.objects.latest("id")
        assert (entry.actor, entry.from_status, entry.to_status, entry.reason) == (
            actor,
            from_status,
            to_status,
            "依约处理",
        )


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=map(_pair_id, ALLOWED))
def test_allowed_transition_by_the_wrong_actor_is_refused(from_status, to_status):
    """Staff, other buyers' officers, other organisations, plain members — and the
    platform or the organisation where the move is not theirs — get PermissionDenied."""
    contract = factories.ContractFactory(status=from_status)
    for actor in _wrong_actors(contract, to_status):
        before = _audit(contract)
        with pytest.raises(PermissionDenied):
            transition(contract, to_status, by=actor, reason="理由")
        contract.refresh_from_db()
        assert contract.status == from_status, actor
        assert _audit(contract) == before


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN, ids=map(_pair_id, FORBIDDEN))
def test_forbidden_transition_changes_nothing(from_status, to_status):
    """A move the table does not list is refused even for the buyer's officer."""
    contract = factories.ContractFactory(status=from_status)
    before = _audit(contract)

    with pytest.raises(TransitionNotAllowed) as raised:
        transition(contract, to_status, by=_officer(contract), reason="理由")

    assert raised.value.code == "transition_not_allowed"
    contract.refresh_from_db()
    assert contract.status == from_status
    assert _audit(contract) == before


@pytest.mark.parametrize("from_status", [Status.DRAFT, Status.ACTIVE])
@pytest.mark.parametrize("reason", ["", "  \n"])
def test_termination_needs_a_reason(from_status, reason):
    contract = factories.ContractFactory(status=from_status)
    before = _audit(contract)

    with pytest.raises(ValidationError) as raised:
        transition(contract, Status.TERMINATED, by=_officer(contract), reason=reason)

    assert raised.value.code == "reason_required"
    contract.refresh_from_db()
    assert contract.status == from_status
    assert _audit(contract) == before
