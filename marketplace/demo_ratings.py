"""Loads the demo evaluations (data/demo_ratings.py) for `manage.py load_demo_data`.

Through the services, as the parties and staff would: the completed contracts are made by
the contract loader (their last payment completes them, which opens the completion round);
the round is then placed at the completion day (the loader moved the contract's timeline
into the past); `rating_submit` at the entry's day, `rating_appeal_file` /
`rating_appeal_decide` now, `rating_rounds_reveal_due` for windows that closed, and a final
`rating_summaries_recompute` so the profiles show figures whatever the task backend.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Max

from marketplace.data import demo_ratings
from marketplace.data.demo_contracts import ROUND_TITLE
from marketplace.demo_contracts import demo_contracts_load
from marketplace.models import (
    BuyerMembership,
    Contract,
    Milestone,
    OrganisationMembership,
    Rating,
    RatingAppeal,
    RatingRound,
)
from marketplace.models.ratings import BUYER_DIMENSIONS, ORGANISATION_DIMENSIONS
from marketplace.services.ratings import (
    rating_appeal_decide,
    rating_appeal_file,
    rating_round_open,
    rating_rounds_reveal_due,
    rating_submit,
    rating_summaries_recompute,
    rating_window_end,
)

DAY = datetime.timedelta(days=1)


@dataclass
class Loaded:
    contracts: int = 0
    ratings: int = 0
    appeals: int = 0
    revealed: int = 0


def demo_ratings_load(*, staff) -> Loaded:
    """Create the completed contracts and the evaluations not there yet (one query when
    everything is loaded)."""
    loaded = Loaded()
    done = RatingAppeal.objects.filter(
        rating__round__contract__award__tender__title=ROUND_TITLE,
        status=RatingAppeal.Status.UPHELD,
    ).exists()
    if done:  # the load is one transaction: its last appeal means all of it is there
        return loaded
    loaded.contracts, _existing = demo_contracts_load(demo_ratings.CONTRACTS)
    contracts = {
        contract.award.rank: contract
        for contract in Contract.objects.filter(
            award__tender__title=ROUND_TITLE, status=Contract.Status.COMPLETED
        ).select_related("award", "tender")
    }
    for entry in demo_ratings.ROUNDS:
        contract = contracts.get(entry["rank"])
        if contract is None:
            continue
        rating_round = _completion_round(contract)
        _play(rating_round, entry, loaded, staff=staff)
    for entry in demo_ratings.MILESTONE_ROUNDS:
        milestone = (
            Milestone.objects.filter(
                contract__tender__title=entry["tender"],
                status__in=[Milestone.Status.ACCEPTED, Milestone.Status.PAID],
            )
            .select_related("contract")
            .order_by("position")
            .first()
        )
        if milestone is None:
            continue
        rating_round = rating_round_open(contract=milestone.contract, milestone=milestone)
        _play(rating_round, entry, loaded, staff=staff)
    loaded.revealed = rating_rounds_reveal_due()
    rating_summaries_recompute(
        organisation_ids=list(contracts_ids("organisation_id")),
        buyer_ids=list(contracts_ids("buyer_id")),
    )
    return loaded


def contracts_ids(field):
    return Contract.objects.values_list(field, flat=True).distinct()


def _completion_round(contract) -> RatingRound:
    """The completion round, placed at the contract's last payment (its completion)."""
    rating_round = rating_round_open(contract=contract)
    completed = contract.milestones.aggregate(last=Max("paid_at"))["last"]
    if completed is not None and rating_round.opened_at != completed:
        RatingRound.objects.filter(pk=rating_round.pk).update(
            opened_at=completed, closes_at=rating_window_end(completed)
        )
        rating_round.refresh_from_db()
    return rating_round


def _people(contract):
    officer = BuyerMembership.objects.filter(buyer_id=contract.buyer_id).order_by("pk").first().user
    admin = (
        OrganisationMembership.objects.filter(
            organisation_id=contract.organisation_id, role=OrganisationMembership.Role.ADMIN
        )
        .order_by("pk")
        .first()
        .user
    )
    return {Rating.Side.BUYER: officer, Rating.Side.ORGANISATION: admin}


def _sheet(side, spec) -> dict:
    dimensions = ORGANISATION_DIMENSIONS if side == Rating.Side.BUYER else BUYER_DIMENSIONS
    comments = spec.get("comments", {})
    return {
        str(dimension): (
            spec["scores"].get(str(dimension), 4),
            comments.get(str(dimension), demo_ratings.GOOD if dimension == dimensions[0] else ""),
        )
        for dimension in dimensions
    }


def _play(rating_round, entry, loaded, *, staff):
    people = _people(rating_round.contract)
    submitted = set(Rating.objects.filter(round=rating_round).values_list("side", flat=True))
    # The later submission comes second: it is the one that reveals the round.
    sides = sorted(
        (side for side in Rating.Side.values if side in entry and side not in submitted),
        key=lambda side: entry[side]["after"],
    )
    for side in sides:
        spec = entry[side]
        rating_submit(
            rating_round=rating_round,
            side=side,
            by=people[side],
            scores=_sheet(side, spec),
            now=rating_round.opened_at + spec["after"] * DAY,
        )
        loaded.ratings += 1
    appeal = entry.get("appeal")
    if appeal is None:
        return
    rated = (
        Rating.Side.BUYER if appeal["by"] == Rating.Side.ORGANISATION else Rating.Side.ORGANISATION
    )
    rating = Rating.objects.get(round=rating_round, side=rated)
    if RatingAppeal.objects.filter(rating=rating).exists():
        return
    filed = rating_appeal_file(rating=rating, by=people[appeal["by"]], reason=appeal["reason"])
    loaded.appeals += 1
    if "decision" in appeal:
        rating_appeal_decide(
            appeal=filed, by=staff, uphold=appeal["uphold"], decision=appeal["decision"]
        )
