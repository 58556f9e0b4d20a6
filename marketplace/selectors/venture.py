"""Reading a 公益创投 round: its proposals with their 初审 result and presentation slot, the
stage counts, and the funding plan (who is funded, at what, and how much of the pool)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.http import Http404
from djmoney.money import Money

from marketplace import scoring
from marketplace.models import (
    Bid,
    EvaluationReport,
    PresentationSlot,
    Tender,
    TenderOpening,
)
from marketplace.selectors.evaluations import report_rows, tender_get_for_evaluation


def round_get_for_user(*, pk, user) -> Tender:
    """A 公益创投 round whose evaluation `user` may run (the buyer's officers, or admins of an
    operator with a delegation in force); 404 for any other tender or user."""
    tender = tender_get_for_evaluation(pk=pk, user=user)
    if not tender.is_venture:
        raise Http404
    return tender


def round_is_opened(tender) -> bool:
    """The proposals are sealed until the opening (开标)."""
    return TenderOpening.objects.filter(tender=tender).exists()


def round_proposals(tender):
    """The live proposals of an opened round in submission order, with organisation, 初审
    and slot fetched up front (one query, whatever the count). Empty before the opening."""
    return (
        Bid.objects.filter(Bid.LIVE, tender=tender, tender__opening__isnull=False)
        .select_related("organisation", "screening", "presentation")
        .order_by("submitted_at", "pk")
    )


def round_passed_proposals(tender):
    """Proposals that passed 初审, in submission order: the ones presenting (答辩)."""
    return round_proposals(tender).filter(screening__passed=True)


def round_slots(tender):
    """The presentation schedule, earliest first."""
    return (
        PresentationSlot.objects.filter(bid__tender=tender)
        .select_related("bid__organisation")
        .order_by("starts_at", "pk")
    )


@dataclass
class RoundCounts:
    proposals: int = 0
    passed: int = 0
    failed: int = 0
    slots: int = 0

    @property
    def unscreened(self) -> int:
        return self.proposals - self.passed - self.failed


def round_counts(tender) -> RoundCounts:
    """How many proposals, passed and failed 初审, and scheduled (two queries)."""
    counts = round_proposals(tender).aggregate(
        proposals=Count("pk"),
        passed=Count("pk", filter=Q(screening__passed=True)),
        failed=Count("pk", filter=Q(screening__passed=False)),
    )
    slots = PresentationSlot.objects.filter(bid__tender=tender).count()
    return RoundCounts(slots=slots, **counts)


def current_report(tender) -> EvaluationReport | None:
    """The report that counts now (not superseded), confirmed or not."""
    return EvaluationReport.objects.filter(tender=tender, superseded_at__isnull=True).first()


@dataclass
class FundingRow:
    bid: Bid
    rank: int
    total: Decimal | None
    requested: Money
    amount: Money | None = None  # funded amount; None when skipped
    reason: str = ""  # why a lower amount than requested

    @property
    def skipped(self) -> bool:
        return self.amount is None

    @property
    def lowered(self) -> bool:
        return self.amount is not None and self.amount < self.requested


@dataclass
class FundingPlan:
    report: EvaluationReport
    pool: Money
    rows: list = field(default_factory=list)  # FundingRow, in rank order
    used: Money = None
    remaining: Money = None

    @property
    def funded(self) -> list:
        return [row for row in self.rows if not row.skipped]

    @property
    def skipped(self) -> list:
        return [row for row in self.rows if row.skipped]

    @property
    def used_percent(self) -> Decimal:
        if not self.pool.amount:
            return Decimal(0)
        return (self.used.amount * 100 / self.pool.amount).quantize(Decimal("0.1"))


def funding_ranking(report) -> list[tuple[Bid, int, Decimal | None]]:
    """The report's valid proposals best first as (bid, rank, total), from its frozen rows
    (two queries: the ranking is the report's, not today's scores)."""
    rows = {
        bid_id: row
        for bid_id, row in report_rows(report).items()
        if row.get("valid") and row.get("rank") is not None
    }
    bids = Bid.objects.select_related("organisation").in_bulk(list(rows))
    ranked = []
    for bid_id, row in rows.items():
        if bid_id in bids:
            total = row.get("total")
            ranked.append((bids[bid_id], int(row["rank"]), Decimal(str(total)) if total else None))
    ranked.sort(key=lambda item: (item[1], item[0].submitted_at, item[0].pk))
    return ranked


def funding_plan(tender, *, report, overrides=None) -> FundingPlan:
    """Fund the report's ranking in order while the pool (the budget) lasts: a proposal that
    does not fit is skipped and the next that fits is funded. `overrides` maps a bid id to
    (lower amount, reason), already checked (services.venture checks them)."""
    overrides = overrides or {}
    ranking = funding_ranking(report)
    funded, _skipped, remaining = scoring.allocate_funding(
        [(bid.pk, bid.amount.amount) for bid, _rank, _total in ranking],
        tender.budget.amount,
        {pk: amount.amount for pk, (amount, _reason) in overrides.items()},
    )
    amounts = dict(funded)
    rows = []
    for bid, rank, total in ranking:
        amount = amounts.get(bid.pk)
        rows.append(
            FundingRow(
                bid=bid,
                rank=rank,
                total=total,
                requested=bid.amount,
                amount=None if amount is None else Money(amount, "CNY"),
                reason=overrides[bid.pk][1] if bid.pk in overrides else "",
            )
        )
    return FundingPlan(
        report=report,
        pool=tender.budget,
        rows=rows,
        used=Money(tender.budget.amount - remaining, "CNY"),
        remaining=Money(remaining, "CNY"),
    )
