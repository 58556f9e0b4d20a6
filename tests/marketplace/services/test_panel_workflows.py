"""The panel seat workflow: every (from, to) pair, by the seat's expert and by others."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied

from marketplace.models import AuditEntry, PanelMember
from marketplace.workflows import PANEL_MEMBER_TRANSITIONS, TransitionNotAllowed, transition
from tests import factories

pytestmark = pytest.mark.django_db

Seat = PanelMember.Status
PAIRS = list(itertools.product(Seat.values, repeat=2))
ALLOWED = [(a, b) for a, b in PAIRS if b in PANEL_MEMBER_TRANSITIONS[a]]
FORBIDDEN = [pair for pair in PAIRS if pair not in ALLOWED]


def test_only_a_pending_seat_moves_and_only_once():
    """A declaration settles a pending seat as active or recused; nothing leaves those."""
    assert sorted(ALLOWED) == [(Seat.PENDING, Seat.ACTIVE), (Seat.PENDING, Seat.RECUSED)]


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_the_seats_expert_makes_an_allowed_move_with_one_audit_entry(from_status, to_status):
    seat = factories.PanelMemberFactory(status=from_status)
    before = AuditEntry.objects.count()

    transition(seat, to_status, by=seat.expert.user)

    seat.refresh_from_db()
    assert seat.status == to_status
    assert AuditEntry.objects.count() == before + 1


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_nobody_else_moves_a_seat(from_status, to_status):
    seat = factories.PanelMemberFactory(status=from_status)
    for actor in (
        None,
        factories.ExpertFactory().user,
        factories.BuyerMembershipFactory(buyer=seat.tender.buyer).user,
        factories.StaffFactory(),
    ):
        with pytest.raises(PermissionDenied):
            transition(seat, to_status, by=actor)
    seat.refresh_from_db()
    assert seat.status == from_status


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN)
def test_a_forbidden_move_changes_nothing(from_status, to_status):
    seat = factories.PanelMemberFactory(status=from_status)
    before = AuditEntry.objects.count()
    with pytest.raises(TransitionNotAllowed):
        transition(seat, to_status, by=seat.expert.user)
    seat.refresh_from_db()
    assert seat.status == from_status
    assert AuditEntry.objects.count() == before
