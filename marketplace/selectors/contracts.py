"""Reading contracts: the parties' manage page, the public part of a signed contract, the
buyer's and the organisation's lists, and contracts left unsigned too long. Each selector
filters by permission (404 otherwise) and fetches related rows up front."""

import datetime

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from marketplace import permissions
from marketplace.models import (
    Award,
    BuyerMembership,
    Contract,
    ContractVersion,
    Milestone,
)
from marketplace.selectors.awards import award_signable

# A contract not signed by both sides this long after the award's notice ended is overdue.
UNSIGNED_OVERDUE_DAYS = 30


def _overdue_before() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(
        days=getattr(settings, "CONTRACT_UNSIGNED_OVERDUE_DAYS", UNSIGNED_OVERDUE_DAYS)
    )


def _with_parties(queryset):
    return queryset.select_related("tender", "buyer", "organisation", "award")


def contract_is_overdue(contract) -> bool:
    """Unsigned 30 days after the award's notice period ended."""
    return (
        contract.status == Contract.Status.DRAFT
        and contract.award.notice_ends_at <= _overdue_before()
    )


def contract_get_for_user(*, pk, user) -> Contract:
    """A contract for its manage page, with tender, parties, award, versions (and their
    signers) and milestones fetched up front; 404 unless `user` is one of the parties."""
    contract = get_object_or_404(
        _with_parties(Contract.objects).prefetch_related(
            Prefetch(
                "versions",
                queryset=ContractVersion.objects.select_related(
                    "buyer_signed_by", "organisation_signed_by", "created_by"
                ).order_by("number"),
            ),
            Prefetch("milestones", queryset=Milestone.objects.order_by("position", "pk")),
        ),
        pk=pk,
    )
    if not permissions.can_view_contract(user, contract):
        raise Http404
    return contract


def contract_public_get(*, pk) -> Contract:
    """The public part of a contract signed by both sides (drafts are 404), with its parties
    and milestones up front."""
    return get_object_or_404(
        _with_parties(Contract.objects)
        .exclude(status=Contract.Status.DRAFT)
        .filter(signed_at__isnull=False)
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("position", "pk"))
        ),
        pk=pk,
    )


def contract_version_get_for_user(*, pk, number, user) -> ContractVersion:
    """One version of a contract (earlier ones stay readable) for the parties; 404 else."""
    contract = contract_get_for_user(pk=pk, user=user)
    for version in contract.versions.all():
        if version.number == number:
            return version
    raise Http404


def contract_pending_version(contract) -> ContractVersion | None:
    """The version awaiting signatures, from the prefetched versions (no query)."""
    versions = [v for v in contract.versions.all() if v.withdrawn_at is None]
    if not versions or versions[-1].is_signed:
        return None
    return versions[-1]


def _overdue_annotation():
    return Q(status=Contract.Status.DRAFT, award__notice_ends_at__lte=_overdue_before())


def _listing(queryset):
    return (
        _with_parties(queryset)
        .annotate(overdue=ExpressionWrapper(_overdue_annotation(), output_field=BooleanField()))
        .order_by("-created_at", "-pk")
    )


def contracts_for_buyer(user, *, buyer=None):
    """Contracts of the buyers `user` is an officer of (one buyer if given), newest first;
    `overdue` flags those unsigned 30 days after the notice. Paginate it: constant queries."""
    if not (user and user.is_authenticated):
        return Contract.objects.none()
    buyers = BuyerMembership.objects.filter(user=user).values("buyer_id")
    contracts = Contract.objects.filter(buyer_id__in=buyers)
    if buyer is not None:
        contracts = contracts.filter(buyer=buyer)
    return _listing(contracts)


def contracts_for_organisation(organisation, user):
    """An organisation's contracts, for its members (404 otherwise), newest first."""
    if not permissions.is_organisation_member(user, organisation):
        raise Http404
    return _listing(Contract.objects.filter(organisation=organisation))


def contracts_unsigned_overdue(*, buyer=None):
    """Draft contracts still unsigned 30 days after their award's notice period ended."""
    contracts = Contract.objects.filter(_overdue_annotation())
    if buyer is not None:
        contracts = contracts.filter(buyer=buyer)
    return _with_parties(contracts).order_by("award__notice_ends_at", "pk")


def awards_awaiting_contract(tender):
    """The tender's standing awards that may be signed now and have no contract yet."""
    awards = Award.objects.filter(
        tender=tender, status=Award.Status.NOTICE, contract__isnull=True
    ).select_related("tender", "bid__organisation")
    return [award for award in awards if award_signable(award)]


def award_get_for_contract(*, pk, user) -> Award:
    """An award for the contract form, with its tender and winner; 404 unless `user` is an
    officer of the tender's buyer."""
    award = get_object_or_404(
        Award.objects.select_related("tender__buyer", "bid__organisation"), pk=pk
    )
    if not permissions.is_buyer_officer(user, award.tender.buyer_id):
        raise Http404
    return award


def contract_list_public(*, buyer=None, organisation=None, status=None):
    """Contracts signed by both sides (as on the public contract page), newest signature
    first, with tender and parties fetched up front; optionally of one buyer, organisation
    or status."""
    contracts = Contract.objects.exclude(status=Contract.Status.DRAFT).filter(
        signed_at__isnull=False
    )
    if buyer is not None:
        contracts = contracts.filter(buyer_id=buyer)
    if organisation is not None:
        contracts = contracts.filter(organisation_id=organisation)
    if status:
        contracts = contracts.filter(status=status)
    return _with_parties(contracts).order_by("-signed_at", "-pk")
