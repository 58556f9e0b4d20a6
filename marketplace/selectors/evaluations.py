"""Reading an evaluation: the score matrix, the valid bids, the ranking and each expert's
progress, in a fixed number of queries whatever the number of bids and experts."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.http import Http404
from django.shortcuts import get_object_or_404

from marketplace import permissions, scoring
from marketplace.models import (
    Bid,
    ComplianceFlag,
    EvaluationReport,
    PanelMember,
    Score,
    Tender,
)


@dataclass
class BidResult:
    bid: Bid
    flags: list = field(default_factory=list)  # ComplianceFlag rows, any member
    screened_out: bool = False  # 公益创投: failed 初审
    by_expert: dict = field(default_factory=dict)  # member id -> criterion id -> Score
    panel: dict = field(default_factory=dict)  # criterion id -> Decimal (unrounded mean)
    technical: Decimal = Decimal(0)
    price_points: Decimal = Decimal(0)
    total: Decimal | None = None
    rank: int | None = None
    valid: bool = True


@dataclass
class EvaluationResults:
    tender: Tender
    criteria: list
    members: list  # active PanelMembers
    rows: list  # ranked valid bids first, then invalid ones
    progress: dict  # member id -> (criterion scores given, needed)
    complete: bool  # every active expert scored every valid bid on every non-price criterion

    @property
    def recommended(self):
        ranked = [row for row in self.rows if row.rank == 1]
        return ranked[0] if ranked and self.complete else None


def evaluation_results(tender: Tender) -> EvaluationResults:
    """Score matrix and ranking of a tender's live bids (five queries).

    A bid is invalid when more than half of the active experts flagged it as
    non-compliant, or (公益创投) when it has not passed 初审. Price scores use the lowest valid price.
    """
    criteria = list(tender.criteria.all())
    scored = [c for c in criteria if not c.is_price]
    price_criterion = next((c for c in criteria if c.is_price), None)
    members = list(
        PanelMember.objects.filter(tender=tender, status=PanelMember.Status.ACTIVE)
        .select_related("expert__user")
        .order_by("created_at", "pk")
    )
    bids = list(
        tender.bids.filter(Bid.LIVE)
        .select_related("organisation", "screening")
        .order_by("submitted_at", "pk")
    )
    rows = {bid.pk: BidResult(bid=bid) for bid in bids}
    active = {member.pk for member in members}
    for flag in ComplianceFlag.objects.filter(bid__tender=tender).select_related(
        "member__expert__user"
    ):
        if flag.bid_id in rows and flag.member_id in active:
            rows[flag.bid_id].flags.append(flag)
    for score in Score.objects.filter(member__in=active, bid__in=list(rows)):
        rows[score.bid_id].by_expert.setdefault(score.member_id, {})[score.criterion_id] = score

    for row in rows.values():
        screening = getattr(row.bid, "screening", None)
        # 公益创投: only proposals that passed 初审 go to the panel.
        row.screened_out = tender.is_venture and (screening is None or not screening.passed)
        row.valid = not row.screened_out and len(row.flags) * 2 <= len(members)

    valid = [row for row in rows.values() if row.valid]
    progress = {member.pk: [0, len(valid) * len(scored)] for member in members}
    complete = bool(members) and bool(valid)
    for row in valid:
        for member in members:
            given = row.by_expert.get(member.pk, {})
            progress[member.pk][0] += sum(1 for c in scored if c.pk in given)
        for criterion in scored:
            points = [
                row.by_expert[m.pk][criterion.pk].points
                for m in members
                if criterion.pk in row.by_expert.get(m.pk, {})
            ]
            complete = complete and len(points) == len(members)
            if points:
                row.panel[criterion.pk] = scoring.panel_mean(points)
        row.technical = sum(row.panel.values(), Decimal(0))

    if price_criterion is not None and valid:
        lowest = min(row.bid.amount.amount for row in valid)
        for row in valid:
            row.price_points = scoring.price_score(
                price_criterion.weight, lowest, row.bid.amount.amount
            )
    standings = scoring.rank(
        scoring.Standing(
            key=row, technical=row.technical, price=row.bid.amount.amount,
            price_points=row.price_points,
        )
        for row in valid
    )  # fmt: skip
    for place, standing in enumerate(standings, start=1):
        standing.key.total = standing.total
        standing.key.rank = place
    invalid = [row for row in rows.values() if not row.valid]
    return EvaluationResults(
        tender=tender,
        criteria=criteria,
        members=members,
        rows=[standing.key for standing in standings] + invalid,
        progress={pk: tuple(counts) for pk, counts in progress.items()},
        complete=complete,
    )


# --- H2 scoring pages: who may open which evaluation page (404 for everyone else) ---


def seat_get_for_expert(*, pk, user) -> PanelMember:
    """The user's own active seat on a panel, with its tender; 404 for anyone else's seat,
    a pending or recused one, or a seat on a tender that is not (or no longer) evaluated."""
    if not (user and user.is_authenticated):
        raise Http404
    try:
        return PanelMember.objects.select_related("tender", "expert__user").get(
            pk=pk,
            expert__user=user,
            status=PanelMember.Status.ACTIVE,
            tender__status__in=[Tender.Status.EVALUATING, Tender.Status.AWARDED],
        )
    except PanelMember.DoesNotExist as error:
        raise Http404 from error


def tender_get_for_evaluation(*, pk, user) -> Tender:
    """A tender for the buyer-side evaluation pages (panel, dashboard, award, round); 404
    unless `user` runs its evaluation (the buyer's officers; a delegated 公益创投 operator)."""
    tender = get_object_or_404(
        Tender.objects.select_related("buyer", "category", "region", "opening"), pk=pk
    )
    if not permissions.can_run_evaluation(user, tender):
        raise Http404
    return tender


def report_current(tender):
    """The tender's current evaluation report (not superseded), or None."""
    return EvaluationReport.objects.filter(tender=tender, superseded_at__isnull=True).first()


def report_get_for_user(*, pk, number, user):
    """A numbered report of tender `pk` for whoever may read it: those who run the
    evaluation, the tender's active experts, and the experts who confirmed that report.
    404 for everyone else."""
    try:
        report = EvaluationReport.objects.select_related("tender__buyer", "recommended").get(
            tender_id=pk, number=number
        )
    except EvaluationReport.DoesNotExist as error:
        raise Http404 from error
    if not (user and user.is_authenticated):
        raise Http404
    if permissions.can_run_evaluation(user, report.tender):
        return report
    if permissions.is_panel_expert(user, report.tender):
        return report
    if report.confirmations.filter(member__expert__user=user).exists():
        return report
    raise Http404


def report_rows(report: EvaluationReport) -> dict[int, dict]:
    """The frozen results of a report, by bid id: {"valid", "rank", "total", …} per bid.

    The award reads the report H2's report_create froze (results["bids"]), not the live
    scores: what the panel confirmed is what the award follows."""
    results = report.results or {}
    return {int(row["bid"]): row for row in results.get("bids", []) if row.get("bid")}
