"""The evaluation workflows (rating rounds, rating appeals, resident feedback): every
(from, to) pair of each table, allowed and forbidden, permitted and unpermitted actors,
required reasons — like tests/marketplace/test_workflows.py does for organisations."""

import itertools
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marketplace.models import (
    AuditEntry,
    OrganisationMembership,
    RatingAppeal,
    RatingRound,
    ResidentFeedback,
)
from marketplace.workflows import (
    RATING_APPEAL_TRANSITIONS,
    RATING_ROUND_TRANSITIONS,
    RESIDENT_FEEDBACK_TRANSITIONS,
    TransitionNotAllowed,
    transition,
)
from tests import factories


def _round(status):
    # A revealed round must carry its time (a database check); rating_submit and the
    # platform's reveal set revealed_at before the move, so the open rounds here have it too.
    return factories.RatingRoundFactory(status=status, revealed_at=timezone.now())


def _round_permitted(obj, to):
    """A party of the contract (here an officer of the buyer) reveals by submitting second."""
    return factories.BuyerMembershipFactory(buyer=obj.contract.buyer).user


def _round_unpermitted(obj, to):
    return [
        factories.StaffFactory(),  # staff do not reveal a round early
        factories.UserFactory(),
        factories.BuyerMembershipFactory().user,
        factories.OrganisationMembershipFactory().user,
    ]


def _appeal(status):
    return RatingAppeal.objects.create(
        rating=factories.RatingFactory(),
        filed_by=factories.UserFactory(),
        reason="评分与事实不符",
        status=status,
    )


def _staff(obj, to):
    return factories.StaffFactory()


def _appeal_unpermitted(obj, to):
    contract = obj.rating.round.contract
    return [
        None,  # the platform does not decide appeals
        factories.BuyerMembershipFactory(buyer=contract.buyer).user,
        factories.OrganisationMembershipFactory(organisation=contract.organisation).user,
        factories.UserFactory(),
        factories.StaffFactory(is_active=False),
    ]


def _feedback(status):
    comment = "" if status == ResidentFeedback.Status.NO_COMMENT else "服务很贴心"
    return factories.ResidentFeedbackFactory(comment=comment, status=status)


def _feedback_unpermitted(obj, to):
    contract = obj.contract
    return [
        None,
        factories.BuyerMembershipFactory(buyer=contract.buyer).user,
        factories.OrganisationMembershipFactory(
            organisation=contract.organisation, role=OrganisationMembership.Role.ADMIN
        ).user,
        factories.UserFactory(),
        factories.StaffFactory(is_active=False),
    ]


@dataclass(frozen=True)
class Table:
    model: type
    transitions: dict
    make: object
    permitted: object
    unpermitted: object
    reason_required: frozenset


TABLES = {
    "round": Table(
        RatingRound,
        RATING_ROUND_TRANSITIONS,
        _round,
        _round_permitted,
        _round_unpermitted,
        frozenset(),
    ),
    "appeal": Table(
        RatingAppeal,
        RATING_APPEAL_TRANSITIONS,
        _appeal,
        _staff,
        _appeal_unpermitted,
        frozenset({RatingAppeal.Status.UPHELD, RatingAppeal.Status.DISMISSED}),
    ),
    "feedback": Table(
        ResidentFeedback,
        RESIDENT_FEEDBACK_TRANSITIONS,
        _feedback,
        _staff,
        _feedback_unpermitted,
        frozenset({ResidentFeedback.Status.REJECTED}),
    ),
}


def _pairs(allowed: bool):
    result = []
    for name, table in TABLES.items():
        for a, b in itertools.product(table.model.Status.values, repeat=2):
            if (b in table.transitions.get(a, set())) == allowed:
                result.append(pytest.param(name, a, b, id=f"{name}:{a}->{b}"))
    return result


ALLOWED = _pairs(True)
FORBIDDEN = _pairs(False)


def _audit_count(obj):
    return AuditEntry.objects.filter(object_id=str(obj.pk)).count()


@pytest.mark.parametrize("name", TABLES)
def test_table_covers_every_status(name):
    """Every status has an entry in its table; no status is a dead end by omission."""
    table = TABLES[name]
    assert set(table.transitions) == set(table.model.Status.values)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "from_status", "to_status"), ALLOWED)
def test_allowed_transition_succeeds_and_writes_one_audit_entry(name, from_status, to_status):
    """An allowed move by a permitted actor changes the status and writes one audit entry."""
    table = TABLES[name]
    obj = table.make(from_status)
    actor = table.permitted(obj, to_status)
    before = _audit_count(obj)

    transition(obj, to_status, by=actor, reason="  已核实  ")

    obj.refresh_from_db()
    assert obj.status == to_status
    assert _audit_count(obj) == before + 1
    entry = AuditEntry.objects.filter(object_id=str(obj.pk)).latest("id")
    assert (entry.from_status, entry.to_status, entry.actor, entry.reason) == (
        from_status,
        to_status,
        actor,
        "已核实",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "from_status", "to_status"), FORBIDDEN)
def test_forbidden_transition_raises_and_changes_nothing(name, from_status, to_status):
    """A move the table does not list raises TransitionNotAllowed, even for a permitted actor."""
    table = TABLES[name]
    obj = table.make(from_status)
    actor = table.permitted(obj, to_status)
    before = _audit_count(obj)

    with pytest.raises(TransitionNotAllowed) as raised:
        transition(obj, to_status, by=actor, reason="理由")

    assert raised.value.code == "transition_not_allowed"
    obj.refresh_from_db()
    assert obj.status == from_status
    assert _audit_count(obj) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "from_status", "to_status"), ALLOWED)
def test_allowed_transition_by_unpermitted_actor_raises_and_changes_nothing(
    name, from_status, to_status
):
    """A move the table allows, asked for by someone without the right, raises PermissionDenied."""
    table = TABLES[name]
    obj = table.make(from_status)
    for actor in table.unpermitted(obj, to_status):
        before = _audit_count(obj)
        with pytest.raises(PermissionDenied):
            transition(obj, to_status, by=actor, reason="理由")
        obj.refresh_from_db()
        assert obj.status == from_status, actor
        assert _audit_count(obj) == before


@pytest.mark.django_db
def test_the_platform_reveals_a_round_whose_window_closed():
    """The platform (no user) may reveal a round: the window-close reveal."""
    rating_round = _round(RatingRound.Status.OPEN)
    transition(rating_round, RatingRound.Status.REVEALED, by=None)
    rating_round.refresh_from_db()
    assert rating_round.status == RatingRound.Status.REVEALED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "from_status", "to_status"),
    [
        pytest.param(name, a, b, id=f"{name}:{a}->{b}")
        for name, table in TABLES.items()
        for a, targets in table.transitions.items()
        for b in targets
        if b in table.reason_required
    ],
)
@pytest.mark.parametrize("reason", ["", "  \n"])
def test_decisions_require_a_reason(name, from_status, to_status, reason):
    """An appeal decision and a rejected comment need a (non-blank) reason; nothing changes."""
    table = TABLES[name]
    obj = table.make(from_status)
    before = _audit_count(obj)
    with pytest.raises(ValidationError) as raised:
        transition(obj, to_status, by=table.permitted(obj, to_status), reason=reason)
    assert raised.value.code == "reason_required"
    obj.refresh_from_db()
    assert obj.status == from_status
    assert _audit_count(obj) == before
