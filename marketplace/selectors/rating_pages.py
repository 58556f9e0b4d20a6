"""Reads the evaluation pages need beyond `marketplace.selectors.ratings`: finding a round
by its contract (and milestone) for the page URLs, and a contract's rounds for the links on
its manage page. Who may see what is still decided by `selectors.ratings`."""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404

from marketplace import permissions
from marketplace.models import Milestone, Rating, RatingRound, RatingScore
from marketplace.selectors.contracts import contract_get_for_user
from marketplace.selectors.ratings import buyer_table_public, rating_round_get_for_user


def rating_round_get_for_page(*, contract_pk, user, milestone_pk=None) -> RatingRound:
    """The completion round of a contract (or the round of one of its milestones) for a
    party of the contract or staff; Http404 when there is none or the user may not see it."""
    round_pk = (
        RatingRound.objects.filter(contract_id=contract_pk, milestone_id=milestone_pk)
        .values_list("pk", flat=True)
        .first()
    )
    if round_pk is None:
        raise Http404
    return rating_round_get_for_user(pk=round_pk, user=user)


def milestone_get_for_rating(*, contract_pk, milestone_pk, user) -> Milestone:
    """A milestone whose optional evaluation the user may open: a buyer officer or an
    organisation admin of its contract (the people who rate); Http404 for anyone else."""
    contract = contract_get_for_user(pk=contract_pk, user=user)
    if not (
        permissions.is_contract_buyer(user, contract)
        or permissions.is_contract_organisation(user, contract)
    ):
        raise Http404
    return get_object_or_404(
        Milestone.objects.select_related("contract"), pk=milestone_pk, contract=contract
    )


def rating_rounds_for_contract(contract) -> list[RatingRound]:
    """The contract's rounds (completion and milestone ones), completion first."""
    return sorted(
        RatingRound.objects.filter(contract=contract),
        key=lambda rating_round: (rating_round.milestone_id is not None, rating_round.opened_at),
    )


def rating_counterpart(rating) -> Rating | None:
    """The other side's evaluation in the same round, with its scores, for staff deciding
    an appeal against `rating` (both are shown side by side)."""
    return (
        Rating.objects.filter(round_id=rating.round_id)
        .exclude(pk=rating.pk)
        .select_related("submitted_by")
        .prefetch_related(Prefetch("scores", queryset=RatingScore.objects.order_by("pk")))
        .first()
    )


def buyer_table_page(*, sort="name", region=None):
    """`buyer_table_public` with each buyer's parent loaded, which the table shows."""
    return buyer_table_public(sort=sort, region=region).select_related("parent")
