"""Reading what the public profiles of organisations and buyers show beyond their own
fields and ratings: the signed contracts an organisation won or a buyer let, with their
amounts, and the totals over all of them computed in the database."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Sum
from djmoney.money import Money

from marketplace.models import Buyer, Contract, Milestone, Organisation, RatingSummary
from marketplace.selectors.stats import SIGNED_STATUSES


@dataclass(frozen=True)
class ContractTotals:
    count: int
    amount: Money  # sum of the contract amounts, CNY
    active_count: int
    completed_count: int
    updated_at: datetime.datetime | None  # latest change of any of the contracts


def _signed():
    # Drafts are not public (contract_public_get); a signed contract stays public whatever
    # happens to it later, terminated included.
    return Contract.objects.filter(status__in=SIGNED_STATUSES, signed_at__isnull=False)


def contracts_won_public(organisation) -> QuerySet[Contract]:
    """The organisation's signed contracts, newest signature first, with tender and buyer.
    Paginate it: the query count does not grow with the rows."""
    return (
        _signed()
        .filter(organisation=organisation)
        .select_related("tender", "buyer")
        .order_by("-signed_at", "-pk")
    )


def contracts_let_public(buyer) -> QuerySet[Contract]:
    """The buyer's signed contracts, newest signature first, with tender and organisation.
    Paginate it: the query count does not grow with the rows."""
    return (
        _signed()
        .filter(buyer=buyer)
        .select_related("tender", "organisation")
        .order_by("-signed_at", "-pk")
    )


def contract_totals(contracts: QuerySet[Contract]) -> ContractTotals:
    """Count, total amount, active and completed counts and the latest change of
    `contracts` (one of the two selectors above), in one aggregate query."""
    row = contracts.order_by().aggregate(
        count=Count("pk"),
        amount=Sum("amount"),
        active=Count("pk", filter=Q(status=Contract.Status.ACTIVE)),
        completed=Count("pk", filter=Q(status=Contract.Status.COMPLETED)),
        updated_at=Max("updated_at"),
    )
    return ContractTotals(
        count=row["count"],
        amount=Money(row["amount"] if row["amount"] is not None else Decimal("0.00"), "CNY"),
        active_count=row["active"],
        completed_count=row["completed"],
        updated_at=row["updated_at"],
    )


def _latest(queryset):
    return Subquery(queryset.order_by("-updated_at").values("updated_at")[:1])


def profile_data_updated_at(*, organisation=None, buyer=None) -> list[datetime.datetime]:
    """When the live data of a profile last changed beyond the subject's own row and its
    contracts (`contract_totals`): the latest change of its contracts' milestones
    (acceptance, payment) and of its rating summaries. One query."""
    if (organisation is None) == (buyer is None):
        raise ValueError("pass exactly one of organisation or buyer")
    if organisation is not None:
        subjects = Organisation.objects.filter(pk=organisation.pk)
        milestones = Milestone.objects.filter(contract__organisation_id=OuterRef("pk"))
        summaries = RatingSummary.objects.filter(organisation_id=OuterRef("pk"))
    else:
        subjects = Buyer.objects.filter(pk=buyer.pk)
        milestones = Milestone.objects.filter(contract__buyer_id=OuterRef("pk"))
        summaries = RatingSummary.objects.filter(buyer_id=OuterRef("pk"))
    row = (
        subjects.annotate(milestones_at=_latest(milestones), summaries_at=_latest(summaries))
        .values_list("milestones_at", "summaries_at")
        .first()
    )
    return [moment for moment in row or () if moment is not None]
