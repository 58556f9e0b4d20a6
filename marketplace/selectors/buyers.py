"""Reads about buyers."""

from django.db.models import Count, Prefetch
from django.utils import timezone

from marketplace.models import Buyer, BuyerMembership, Delegation
from marketplace.selectors.catalogue import region_code_prefix


def buyer_list_public(*, region=None):
    """All buyers, optionally those inside a region, with their region and parent loaded."""
    buyers = Buyer.objects.select_related("region", "parent")
    if region is not None:
        buyers = buyers.filter(region__code__startswith=region_code_prefix(region))
    return buyers.order_by("region__code", "name", "pk")


def buyer_get(*, pk) -> Buyer:
    return (
        Buyer.objects.select_related("region", "parent")
        .annotate(officer_count=Count("memberships"))
        .get(pk=pk)
    )


def _delegations_active():
    today = timezone.localdate()
    return (
        Delegation.objects.filter(
            revoked_at__isnull=True, starts_on__lte=today, expires_on__gte=today
        )
        .select_related("operator")
        .order_by("expires_on")
    )


def buyer_delegations_active(buyer):
    """Delegations in force today: not revoked, started, not expired."""
    return _delegations_active().filter(buyer=buyer)


def buyer_memberships_for_user(user, *, with_delegations=False):
    """The buyers a person is an officer of; optionally with `buyer.active_delegations`."""
    memberships = BuyerMembership.objects.filter(user=user).select_related("buyer", "buyer__region")
    if with_delegations:
        memberships = memberships.prefetch_related(
            Prefetch(
                "buyer__delegations", queryset=_delegations_active(), to_attr="active_delegations"
            )
        )
    return memberships.order_by("buyer__name")


def buyer_children(buyer):
    return buyer.children.select_related("region").order_by("name")


def buyer_officers(buyer):
    """The buyer's officers (经办人) with their users, in the order they joined."""
    return buyer.memberships.select_related("user").order_by("created_at")
