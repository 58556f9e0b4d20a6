"""The award and objection workflows: every (from, to) pair, allowed and forbidden, with the
right and the wrong actor."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marketplace.models import AuditEntry, Award, Objection, OrganisationMembership
from marketplace.workflows import (
    AWARD_TRANSITIONS,
    OBJECTION_TRANSITIONS,
    TransitionNotAllowed,
    transition,
)
from tests import factories

pytestmark = pytest.mark.django_db

AwardStatus = Award.Status
ObjectionStatus = Objection.Status


def _pairs(values, table):
    pairs = list(itertools.product(values, repeat=2))
    allowed = [(a, b) for a, b in pairs if b in table.get(a, set())]
    return allowed, [pair for pair in pairs if pair not in allowed]


AWARD_ALLOWED, AWARD_FORBIDDEN = _pairs(AwardStatus.values, AWARD_TRANSITIONS)
OBJECTION_ALLOWED, OBJECTION_FORBIDDEN = _pairs(ObjectionStatus.values, OBJECTION_TRANSITIONS)


def _pair_id(pair):
    return f"{pair[0]}->{pair[1]}"


def _audit(obj):
    return AuditEntry.objects.filter(
        content_type__model=obj._meta.model_name, object_id=str(obj.pk)
    ).count()


def _officer(tender):
    return factories.BuyerMembershipFactory(buyer=tender.buyer).user


def _outsiders(obj):
    """Everyone who may not move an award or an objection: the platform, staff, another
    buyer's officer, the winner's and the objector's own members."""
    return [
        None,
        factories.StaffFactory(),
        factories.BuyerMembershipFactory().user,
        factories.OrganisationMembershipFactory(
            organisation=obj.bid.organisation, role=OrganisationMembership.Role.ADMIN
        ).user,
    ]


def test_tables_cover_every_status():
    """Every award and objection status has an entry; revoked, upheld and dismissed are final."""
    assert set(AWARD_TRANSITIONS) == set(AwardStatus.values)
    assert set(OBJECTION_TRANSITIONS) == set(ObjectionStatus.values)
    assert AWARD_ALLOWED == [(AwardStatus.NOTICE, AwardStatus.REVOKED)]
    assert sorted(OBJECTION_ALLOWED) == sorted(
        [
            (ObjectionStatus.OPEN, ObjectionStatus.UPHELD),
            (ObjectionStatus.OPEN, ObjectionStatus.DISMISSED),
        ]
    )


@pytest.mark.parametrize(
    ("from_status", "to_status"), AWARD_ALLOWED, ids=map(_pair_id, AWARD_ALLOWED)
)
def test_allowed_award_transition_by_the_officer_writes_one_audit_entry(from_status, to_status):
    """The buyer's officer revokes a standing award with a reason: one AuditEntry."""
    award = factories.AwardFactory(status=from_status)
    officer = _officer(award.tender)
    before = _audit(award)

    transition(award, to_status, by=officer, reason=" 质疑成立 ")

    award.refresh_from_db()
    assert award.status == to_status
    assert _audit(award) == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.actor, entry.from_status, entry.to_status, entry.reason) == (
        officer,
        from_status,
        to_status,
        "质疑成立",
    )


@pytest.mark.parametrize(
    ("from_status", "to_status"), AWARD_ALLOWED, ids=map(_pair_id, AWARD_ALLOWED)
)
def test_allowed_award_transition_by_the_wrong_actor_is_refused(from_status, to_status):
    """Anyone but the tender's evaluation runners gets PermissionDenied; nothing changes."""
    award = factories.AwardFactory(status=from_status)
    for actor in _outsiders(award):
        before = _audit(award)
        with pytest.raises(PermissionDenied):
            transition(award, to_status, by=actor, reason="理由")
        award.refresh_from_db()
        assert award.status == from_status
        assert _audit(award) == before


@pytest.mark.parametrize(
    ("from_status", "to_status"), AWARD_ALLOWED, ids=map(_pair_id, AWARD_ALLOWED)
)
def test_revoking_an_award_needs_a_reason(from_status, to_status):
    """Revoking without a reason is refused with reason_required; nothing changes."""
    award = factories.AwardFactory(status=from_status)
    before = _audit(award)
    with pytest.raises(ValidationError) as raised:
        transition(award, to_status, by=_officer(award.tender), reason="  ")
    assert raised.value.code == "reason_required"
    award.refresh_from_db()
    assert award.status == from_status
    assert _audit(award) == before


@pytest.mark.parametrize(
    ("from_status", "to_status"), AWARD_FORBIDDEN, ids=map(_pair_id, AWARD_FORBIDDEN)
)
def test_forbidden_award_transition_changes_nothing(from_status, to_status):
    """A revoked award never comes back, and no move stays in place, even for the officer."""
    award = factories.AwardFactory(status=from_status)
    before = _audit(award)
    with pytest.raises(TransitionNotAllowed):
        transition(award, to_status, by=_officer(award.tender), reason="理由")
    award.refresh_from_db()
    assert award.status == from_status
    assert _audit(award) == before


@pytest.mark.parametrize(
    ("from_status", "to_status"), OBJECTION_ALLOWED, ids=map(_pair_id, OBJECTION_ALLOWED)
)
def test_allowed_objection_transition_by_the_officer_writes_one_audit_entry(from_status, to_status):
    """The buyer's officer answers an open objection (the answer is the reason)."""
    objection = factories.ObjectionFactory(status=from_status)
    officer = _officer(objection.tender)
    before = _audit(objection)

    transition(objection, to_status, by=officer, reason="经核查，答复如下。")

    objection.refresh_from_db()
    assert objection.status == to_status
    assert _audit(objection) == before + 1
    assert AuditEntry.objects.latest("id").reason == "经核查，答复如下。"


@pytest.mark.parametrize(
    ("from_status", "to_status"), OBJECTION_ALLOWED, ids=map(_pair_id, OBJECTION_ALLOWED)
)
def test_allowed_objection_transition_by_the_wrong_actor_is_refused(from_status, to_status):
    """The objector itself, staff, other officers and the platform may not answer."""
    objection = factories.ObjectionFactory(status=from_status)
    for actor in _outsiders(objection):
        before = _audit(objection)
        with pytest.raises(PermissionDenied):
            transition(objection, to_status, by=actor, reason="答复")
        objection.refresh_from_db()
        assert objection.status == from_status
        assert _audit(objection) == before


@pytest.mark.parametrize(
    ("from_status", "to_status"), OBJECTION_ALLOWED, ids=map(_pair_id, OBJECTION_ALLOWED)
)
def test_answering_an_objection_needs_the_answer(from_status, to_status):
    """An empty answer is refused with reason_required; nothing changes."""
    objection = factories.ObjectionFactory(status=from_status)
    before = _audit(objection)
    with pytest.raises(ValidationError) as raised:
        transition(objection, to_status, by=_officer(objection.tender), reason="")
    assert raised.value.code == "reason_required"
    objection.refresh_from_db()
    assert objection.status == from_status
    assert _audit(objection) == before


@pytest.mark.parametrize(
    ("from_status", "to_status"), OBJECTION_FORBIDDEN, ids=map(_pair_id, OBJECTION_FORBIDDEN)
)
def test_forbidden_objection_transition_changes_nothing(from_status, to_status):
    """An answered objection stays answered; an open one cannot be re-opened in place."""
    objection = factories.ObjectionFactory(status=from_status)
    before = _audit(objection)
    with pytest.raises(TransitionNotAllowed):
        transition(objection, to_status, by=_officer(objection.tender), reason="答复")
    objection.refresh_from_db()
    assert objection.status == from_status
    assert _audit(objection) == before


def test_a_delegated_operator_may_answer_a_venture_objection():
    """For a 公益创投 round, the admin of an operator the buyer delegated it to answers."""
    award = factories.AwardFactory(bid__tender__method="venture", bid__tender__budget="4000000.00")
    delegation = factories.DelegationFactory(buyer=award.tender.buyer)
    admin = factories.OrganisationMembershipFactory(
        organisation=delegation.operator, role=OrganisationMembership.Role.ADMIN
    ).user
    objection = factories.ObjectionFactory(tender=award.tender)

    transition(objection, ObjectionStatus.DISMISSED, by=admin, reason="不成立")

    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.DISMISSED
