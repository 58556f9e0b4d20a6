"""Reading two-way evaluations (双向评估): what a party may see of a round (never the other
side's evaluation before the reveal), the rounds waiting for a user, the public ratings of a
contract, the summaries and trend on profiles, measured on-time delivery, the public buyer
table and the staff queue of appeals. Each selector fetches related rows up front."""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractYear, NullIf, TruncDate
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import permissions
from marketplace.models import (
    Buyer,
    BuyerMembership,
    Milestone,
    OrganisationMembership,
    Payment,
    Rating,
    RatingAppeal,
    RatingRound,
    RatingScore,
    RatingSummary,
)
from marketplace.models.ratings import (
    BUYER_DIMENSIONS,
    DIMENSION_HELP,
    ORGANISATION_DIMENSIONS,
    OVERALL,
    Dimension,
)
from marketplace.selectors.catalogue import region_code_prefix
from marketplace.selectors.payments import PAYMENT_DAYS_LIMIT

MEAN_PLACES = Decimal("0.01")

SIDE_DIMENSIONS = {
    Rating.Side.BUYER: ORGANISATION_DIMENSIONS,
    Rating.Side.ORGANISATION: BUYER_DIMENSIONS,
}


@dataclass(frozen=True)
class RatingRoundView:
    """What one user may see and do in a round (see rating_round_view)."""

    rating_round: RatingRound
    own_side: str | None  # Rating.Side value of the user's side; None for staff
    own: Rating | None  # the user's side's rating, scores prefetched (`own.scores.all()`)
    other: Rating | None  # the other side's rating, ONLY when visible
    other_submitted: bool  # only the fact that the other side has submitted
    visible: bool  # revealed, or the window has closed
    can_edit: bool  # the user may submit or replace their side's rating now
    can_appeal: bool  # the user may appeal `other` (the evaluation of their side)
    appeal: RatingAppeal | None  # the appeal against `other`, if any
    dimensions: list[tuple[Dimension, str]] = field(default_factory=list)  # own side's, with help
    ratings: list[Rating] = field(default_factory=list)  # all the user may see (staff: both)


@dataclass(frozen=True)
class SummaryRow:
    dimension: str  # a Dimension value or "overall"
    label: str
    count: int
    score: Decimal | None  # Bayesian average; None without evaluations
    mean: Decimal | None  # plain mean of the evaluations counted

    @property
    def percent(self) -> int:
        """The score as a share of 5, for bars."""
        return 0 if self.score is None else round(self.score * 20)


@dataclass(frozen=True)
class TrendPoint:
    year: int
    count: int  # evaluations counted that year
    mean: Decimal  # their mean score (every evaluation has five scores)


@dataclass(frozen=True)
class RatingSummaryView:
    rows: list[SummaryRow]
    overall: SummaryRow
    trend: list[TrendPoint]
    excluded_count: int  # evaluations excluded after an upheld appeal (shown, not counted)


@dataclass(frozen=True)
class OnTimeDelivery:
    accepted_count: int
    on_time_count: int
    percent: int | None


BUYER_TABLE_SORTS = ("name", "punctuality", "rating")


def rating_visible(rating_round, *, now=None) -> bool:
    """Both sides may see each other's evaluation: revealed, or the window has closed (the
    platform's reveal runs after it)."""
    now = now or timezone.now()
    return rating_round.status == RatingRound.Status.REVEALED or now > rating_round.closes_at


def _visible_q(now, prefix="") -> Q:
    return Q(**{f"{prefix}status": RatingRound.Status.REVEALED}) | Q(
        **{f"{prefix}closes_at__lt": now}
    )


def _ratings_with_scores():
    return Rating.objects.select_related("appeal", "submitted_by").prefetch_related(
        Prefetch("scores", queryset=RatingScore.objects.order_by("pk"))
    )


def rating_round_get_for_user(*, pk, user) -> RatingRound:
    """A round with its contract, parties and milestone; Http404 unless `user` is a party of
    the contract (buyer officer, organisation member) or staff."""
    rating_round = get_object_or_404(
        RatingRound.objects.select_related(
            "contract__tender", "contract__buyer", "contract__organisation", "milestone"
        ),
        pk=pk,
    )
    if not (
        permissions.is_staff(user) or permissions.can_view_contract(user, rating_round.contract)
    ):
        raise Http404
    return rating_round


def _own_side(user, contract) -> str | None:
    if permissions.is_contract_buyer(user, contract):
        return Rating.Side.BUYER
    if permissions.can_report_on_contract(user, contract):
        return Rating.Side.ORGANISATION
    return None


def _may_act_for(user, contract, side) -> bool:
    """Submitting for, and appealing on behalf of, a side: buyer officers or org admins."""
    if side == Rating.Side.BUYER:
        return permissions.is_contract_buyer(user, contract)
    return permissions.is_contract_organisation(user, contract)


def rating_round_view(rating_round, user, *, now=None) -> RatingRoundView:
    """What `user` may see and do in a round. A party sees its own evaluation always, the
    other side's only once visible (before: only whether it was submitted); staff see both
    once visible. Editing: own side, open round, window not closed. Appeal: the evaluation
    of the user's side, revealed, not yet appealed. Constant queries."""
    now = now or timezone.now()
    contract = rating_round.contract
    by_side = {rating.side: rating for rating in _ratings_with_scores().filter(round=rating_round)}
    visible = rating_visible(rating_round, now=now)
    own_side = _own_side(user, contract)
    if own_side is None:
        shown = [by_side[side] for side in Rating.Side.values if side in by_side] if visible else []
        return RatingRoundView(
            rating_round=rating_round,
            own_side=None,
            own=None,
            other=None,
            other_submitted=False,
            visible=visible,
            can_edit=False,
            can_appeal=False,
            appeal=None,
            ratings=shown,
        )
    other_side = Rating.Side.ORGANISATION if own_side == Rating.Side.BUYER else Rating.Side.BUYER
    own = by_side.get(own_side)
    other = by_side.get(other_side) if visible else None
    may_act = _may_act_for(user, contract, own_side)
    appeal = getattr(other, "appeal", None) if other is not None else None
    return RatingRoundView(
        rating_round=rating_round,
        own_side=own_side,
        own=own,
        other=other,
        other_submitted=other_side in by_side,
        visible=visible,
        can_edit=may_act and rating_round.status == RatingRound.Status.OPEN and not visible,
        can_appeal=(
            may_act
            and other is not None
            and rating_round.status == RatingRound.Status.REVEALED
            and appeal is None
        ),
        appeal=appeal,
        dimensions=[
            (dimension, DIMENSION_HELP[dimension]) for dimension in SIDE_DIMENSIONS[own_side]
        ],
        ratings=[rating for rating in (own, other) if rating is not None],
    )


def rating_rounds_pending_for_user(user, *, now=None):
    """Open rounds, window not closed, where a side the user submits for (buyer officer,
    organisation admin) has not submitted yet; annotated `pending_side`, soonest closing
    first, with contract and parties loaded."""
    now = now or timezone.now()
    if not (user and user.is_authenticated):
        return RatingRound.objects.none()
    is_buyer = Exists(
        BuyerMembership.objects.filter(user=user, buyer_id=OuterRef("contract__buyer_id"))
    )
    is_admin = Exists(
        OrganisationMembership.objects.filter(
            user=user,
            organisation_id=OuterRef("contract__organisation_id"),
            role=OrganisationMembership.Role.ADMIN,
        )
    )

    def submitted(side):
        return Exists(Rating.objects.filter(round=OuterRef("pk"), side=side))

    buyer_pending = is_buyer & ~submitted(Rating.Side.BUYER)
    organisation_pending = is_admin & ~submitted(Rating.Side.ORGANISATION)
    return (
        RatingRound.objects.filter(status=RatingRound.Status.OPEN, closes_at__gte=now)
        .filter(buyer_pending | organisation_pending)
        .annotate(
            pending_side=Case(
                When(buyer_pending, then=Value(Rating.Side.BUYER.value)),
                default=Value(Rating.Side.ORGANISATION.value),
            )
        )
        .select_related(
            "contract__tender", "contract__buyer", "contract__organisation", "milestone"
        )
        .order_by("closes_at", "pk")
    )


def ratings_public_for_contract(contract, *, now=None):
    """The contract's visible evaluations (revealed, or window closed), each with its scores,
    round and appeal (an upheld appeal shows it as excluded), in round then side order."""
    now = now or timezone.now()
    return (
        _ratings_with_scores()
        .select_related("round__milestone")
        .filter(_visible_q(now, "round__"), round__contract=contract)
        .order_by("round__opened_at", "round__pk", "side")
    )


def _mean(total, count) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / count).quantize(MEAN_PLACES, rounding=ROUND_HALF_UP)


def rating_summary(*, organisation=None, buyer=None) -> RatingSummaryView:
    """The profile's rating block: per dimension and overall the evaluation count, the
    Bayesian score and the plain mean (from the stored summaries), and per year the count
    and mean of the counted evaluations. Three queries, whatever the numbers."""
    if (organisation is None) == (buyer is None):
        raise ValueError("pass exactly one of organisation or buyer")
    if organisation is not None:
        summaries = RatingSummary.objects.filter(organisation=organisation)
        ratings = Rating.objects.filter(
            side=Rating.Side.BUYER, round__contract__organisation=organisation
        )
        dimensions = ORGANISATION_DIMENSIONS
    else:
        summaries = RatingSummary.objects.filter(buyer=buyer)
        ratings = Rating.objects.filter(side=Rating.Side.ORGANISATION, round__contract__buyer=buyer)
        dimensions = BUYER_DIMENSIONS
    stored = {summary.dimension: summary for summary in summaries}

    def row(dimension, label):
        summary = stored.get(dimension)
        if summary is None:
            return SummaryRow(dimension=dimension, label=label, count=0, score=None, mean=None)
        return SummaryRow(
            dimension=dimension,
            label=label,
            count=summary.count,
            score=summary.score,
            mean=_mean(summary.total, summary.count),
        )

    revealed = ratings.filter(round__status=RatingRound.Status.REVEALED)
    trend_rows = (
        RatingScore.objects.filter(rating__in=revealed.filter(excluded_at__isnull=True))
        .annotate(year=ExtractYear("rating__round__revealed_at"))
        .values("year")
        .annotate(ratings=Count("rating", distinct=True), total=Sum("score"), scores=Count("pk"))
        .order_by("year")
    )
    return RatingSummaryView(
        rows=[row(dimension, dimension.label) for dimension in dimensions],
        overall=row(OVERALL, _("综合")),
        trend=[
            TrendPoint(
                year=item["year"],
                count=item["ratings"],
                mean=_mean(item["total"], item["scores"]),
            )
            for item in trend_rows
        ],
        excluded_count=revealed.filter(excluded_at__isnull=False).count(),
    )


def organisation_on_time_delivery(organisation) -> OnTimeDelivery:
    """Measured, not rated: of the organisation's accepted milestones, how many were
    accepted on or before their planned date (Beijing dates). One query."""
    totals = Milestone.objects.filter(
        contract__organisation=organisation, accepted_at__isnull=False
    ).aggregate(
        accepted=Count("pk"),
        on_time=Count("pk", filter=Q(accepted_at__date__lte=F("due_on"))),
    )
    accepted, on_time = totals["accepted"], totals["on_time"]
    return OnTimeDelivery(
        accepted_count=accepted,
        on_time_count=on_time,
        percent=round(on_time * 100 / accepted) if accepted else None,
    )


def _payment_count(*, on_time: bool):
    payments = Payment.objects.filter(
        contract__buyer=OuterRef("pk"),
        settled_at__isnull=False,
        milestone__accepted_at__isnull=False,
    )
    if on_time:
        # The same rule as buyer_punctuality: paid within 30 days of acceptance, by
        # Beijing dates (the date functions use the active time zone on both databases).
        payments = payments.annotate(
            settled_on=TruncDate("settled_at"), accepted_on=TruncDate("milestone__accepted_at")
        ).filter(settled_on__lte=F("accepted_on") + datetime.timedelta(days=PAYMENT_DAYS_LIMIT))
    counted = payments.order_by().values("contract__buyer").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_overall_rating(queryset, *, subject: str):
    """Organisations or buyers (`subject` "organisation" or "buyer") annotated with their
    overall summary: `rating_score` (the Bayesian score, None without evaluations) and
    `rating_count`, as subqueries (no query per row)."""
    overall = RatingSummary.objects.filter(**{subject: OuterRef("pk")}, dimension=OVERALL)
    return queryset.annotate(
        rating_score=Subquery(
            overall.values("score")[:1], output_field=DecimalField(max_digits=6, decimal_places=4)
        ),
        rating_count=Coalesce(
            Subquery(overall.values("count")[:1], output_field=IntegerField()), 0
        ),
    )


def buyer_table_public(*, sort="name", region=None):
    """Buyers for the public table, annotated with `paid_count` (settled payments of
    accepted milestones), `on_time_count`, `on_time_share` (0..1, None without payments),
    `rating_score` (overall Bayesian score, None without evaluations) and `rating_count`;
    sorted in the database by "name", "punctuality" (best share first) or "rating" (best
    score first), missing figures last. An unknown sort means "name"."""
    buyers = Buyer.objects.select_related("region").annotate(
        paid_count=_payment_count(on_time=False),
        on_time_count=_payment_count(on_time=True),
        on_time_share=Cast("on_time_count", FloatField()) / NullIf("paid_count", 0),
    )
    buyers = with_overall_rating(buyers, subject="buyer")
    if region is not None:
        buyers = buyers.filter(region__code__startswith=region_code_prefix(region))
    if sort == "punctuality":
        return buyers.order_by(
            F("on_time_share").desc(nulls_last=True), "-paid_count", "name", "pk"
        )
    if sort == "rating":
        return buyers.order_by(
            F("rating_score").desc(nulls_last=True), "-rating_count", "name", "pk"
        )
    return buyers.order_by("name", "pk")


def _appeals():
    return RatingAppeal.objects.select_related(
        "rating__round__contract__tender",
        "rating__round__contract__buyer",
        "rating__round__contract__organisation",
        "rating__round__milestone",
        "rating__submitted_by",
        "filed_by",
        "decided_by",
    ).prefetch_related(Prefetch("rating__scores", queryset=RatingScore.objects.order_by("pk")))


def rating_appeals_open():
    """Open appeals for the staff queue, oldest first, with the contested evaluation's
    scores, round and contract loaded."""
    return _appeals().filter(status=RatingAppeal.Status.OPEN).order_by("created_at", "pk")


def rating_appeal_get(*, pk) -> RatingAppeal:
    """One appeal for staff to decide, with everything the queue shows (Http404)."""
    return get_object_or_404(_appeals(), pk=pk)
