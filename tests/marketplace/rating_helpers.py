"""Shared set-up of the rating tests: a completed contract, its parties, full score sheets,
and an independent from-scratch computation of the summaries."""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.conf import settings
from django.utils import timezone

from marketplace.models import (
    AuditEntry,
    Contract,
    OrganisationMembership,
    Rating,
    RatingAppeal,
    RatingRound,
    RatingScore,
    RatingSummary,
)
from marketplace.models.ratings import BUYER_DIMENSIONS, ORGANISATION_DIMENSIONS
from tests import factories

# Monday 2 November 2026, 10:00 Beijing time: no holiday in the 15 working days after it.
NOW = timezone.make_aware(datetime.datetime(2026, 11, 2, 10, 0))
# The 15th working day after 2 November 2026 is Monday 23 November; the window ends then.
CLOSES_AT = timezone.make_aware(
    datetime.datetime.combine(datetime.date(2026, 11, 23), datetime.time.max)
)


class Parties:
    """A completed contract with an officer of its buyer, an admin and a plain member of its
    organisation, an officer of another buyer, an admin of another organisation, and staff."""

    def __init__(self, contract=None):
        self.contract = contract or factories.ContractFactory(status=Contract.Status.COMPLETED)
        self.officer = factories.BuyerMembershipFactory(buyer=self.contract.buyer).user
        self.admin = factories.OrganisationMembershipFactory(
            organisation=self.contract.organisation
        ).user
        self.member = factories.OrganisationMembershipFactory(
            organisation=self.contract.organisation, role=OrganisationMembership.Role.MEMBER
        ).user
        self.stranger_officer = factories.BuyerMembershipFactory().user
        self.stranger_admin = factories.OrganisationMembershipFactory().user
        self.staff = factories.StaffFactory()


def sheet(side, score=4, comment="", **overrides):
    """A full score sheet for `side`: {dimension: (score, comment)}, all `score` unless
    overridden per dimension (value: score, or (score, comment))."""
    dimensions = ORGANISATION_DIMENSIONS if side == Rating.Side.BUYER else BUYER_DIMENSIONS
    result = {}
    for dimension in dimensions:
        value = overrides.get(str(dimension), score)
        result[str(dimension)] = value if isinstance(value, tuple) else (value, comment)
    return result


def snapshot():
    """Everything an evaluation service may change, to assert that a refusal changed nothing."""
    return {
        "rounds": sorted(
            RatingRound.objects.values_list("pk", "status", "revealed_at", "closes_at")
        ),
        "ratings": sorted(
            Rating.objects.values_list("pk", "side", "submitted_by", "submitted_at", "excluded_at")
        ),
        "scores": sorted(
            RatingScore.objects.values_list("pk", "rating", "dimension", "score", "comment")
        ),
        "appeals": sorted(
            RatingAppeal.objects.values_list("pk", "status", "decision", "decided_by", "decided_at")
        ),
        "summaries": sorted(
            RatingSummary.objects.values_list("pk", "dimension", "count", "total", "score")
        ),
        "audit": AuditEntry.objects.count(),
    }


def _q(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def summaries_from_scratch():
    """{("organisation"|"buyer", id, dimension): (count, total, score)} straight from the
    definition: revealed rounds, not excluded; overall = each evaluation's mean;
    score = (C·m + Σ)/(C + n) with m the platform mean of that dimension and subject type."""
    prior = settings.RATING_PRIOR_WEIGHT
    result = {}
    for side, kind in ((Rating.Side.BUYER, "organisation"), (Rating.Side.ORGANISATION, "buyer")):
        per_subject = defaultdict(lambda: defaultdict(list))
        ratings = (
            Rating.objects.filter(
                side=side, round__status=RatingRound.Status.REVEALED, excluded_at__isnull=True
            )
            .select_related("round__contract")
            .prefetch_related("scores")
        )
        for rating in ratings:
            contract = rating.round.contract
            subject = contract.organisation_id if kind == "organisation" else contract.buyer_id
            scores = [s.score for s in rating.scores.all()]
            for s in rating.scores.all():
                per_subject[subject][s.dimension].append(Fraction(s.score))
            per_subject[subject]["overall"].append(Fraction(sum(scores), len(scores)))
        platform = defaultdict(list)
        for dims in per_subject.values():
            for dimension, values in dims.items():
                platform[dimension] += values
        for subject, dims in per_subject.items():
            for dimension, values in dims.items():
                m = sum(platform[dimension]) / len(platform[dimension])
                score = (prior * m + sum(values)) / (prior + len(values))
                result[(kind, subject, dimension)] = (len(values), _q(sum(values)), _q(score))
    return result


def summaries_stored():
    return {
        (
            "organisation" if s.organisation_id else "buyer",
            s.organisation_id or s.buyer_id,
            s.dimension,
        ): (s.count, s.total, s.score)
        for s in RatingSummary.objects.all()
    }
