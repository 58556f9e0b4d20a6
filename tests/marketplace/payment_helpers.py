"""Shared set-up of the payment tests: an active contract whose first milestone is accepted."""

import datetime

from django.utils import timezone

from marketplace.models import Milestone
from tests import factories


def accepted_milestone(*, accepted_at=None, buyer=None):
    """An active contract's first milestone, accepted (as H6's acceptance leaves it), and an
    officer of its buyer. Returns (milestone, officer)."""
    kwargs = {"status": "active"}
    if buyer is not None:
        kwargs["award__bid__tender__buyer"] = buyer
    contract = factories.ContractFactory(**kwargs)
    milestone = contract.milestones.order_by("position").first()
    Milestone.objects.filter(pk=milestone.pk).update(
        status=Milestone.Status.ACCEPTED,
        accepted_at=accepted_at or timezone.now() - datetime.timedelta(days=1),
    )
    milestone.refresh_from_db()
    officer = factories.BuyerMembershipFactory(buyer=contract.buyer).user
    factories.OrganisationMembershipFactory(organisation=contract.organisation)  # an admin
    return milestone, officer
