"""Reads about payments: a contract's balance from the ledger, the payments shown on the
contract page, and payment punctuality per milestone and per buyer.

Punctuality follows 《保障中小企业款项支付条例》: a government body pays within 30 days of
accepting the work. Days count from the acceptance date to the settlement date (Beijing
dates); working days follow the official holiday calendar (marketplace.dates)."""

import datetime
import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from djmoney.money import Money

from marketplace.dates import working_days_between
from marketplace.models import LedgerEntry, Milestone, Payment

PAYMENT_DAYS_LIMIT = 30


def _cny(value) -> Money:
    return Money(value if value is not None else Decimal("0.00"), "CNY")


def contract_balance(contract) -> dict:
    """{paid, refunded, net_paid, outstanding} as Money, from one ledger aggregate:
    outstanding is the contract amount minus what was paid net of refunds."""
    totals = LedgerEntry.objects.filter(contract=contract).aggregate(
        paid=Sum("amount", filter=Q(kind=LedgerEntry.Kind.PAYMENT)),
        refunded=Sum("amount", filter=Q(kind=LedgerEntry.Kind.REFUND)),
    )
    paid, refunded = _cny(totals["paid"]), _cny(totals["refunded"])
    net = paid - refunded
    return {
        "paid": paid,
        "refunded": refunded,
        "net_paid": net,
        "outstanding": contract.amount - net,
    }


def contract_payments(contract):
    """The contract's payments with their milestone and ledger rows, in milestone order."""
    return (
        Payment.objects.filter(contract=contract)
        .select_related("milestone")
        .prefetch_related("ledger")
        .order_by("milestone__position", "pk")
    )


@dataclass(frozen=True)
class Punctuality:
    accepted_on: datetime.date
    paid_on: datetime.date | None
    calendar_days: int
    working_days: int
    late: bool

    @property
    def paid(self) -> bool:
        return self.paid_on is not None


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def punctuality(accepted_at, settled_at, *, today=None) -> Punctuality | None:
    """Days from acceptance to settlement; unpaid: to `today` (late once past 30 days)."""
    if accepted_at is None:
        return None
    start = _local_date(accepted_at)
    end = _local_date(settled_at) if settled_at else (today or timezone.localdate())
    days = (end - start).days
    return Punctuality(
        accepted_on=start,
        paid_on=_local_date(settled_at) if settled_at else None,
        calendar_days=days,
        working_days=working_days_between(start, end) if end > start else 0,
        late=days > PAYMENT_DAYS_LIMIT,
    )


def milestone_punctuality(milestone, payment=None, *, today=None) -> Punctuality | None:
    """Punctuality of one milestone's payment (pass the payment to save a query)."""
    if payment is None:
        payment = Payment.objects.filter(milestone=milestone).first()
    settled_at = payment.settled_at if payment is not None else None
    return punctuality(milestone.accepted_at, settled_at, today=today)


@dataclass(frozen=True)
class BuyerPunctuality:
    paid_count: int
    median_days: float | None
    on_time_share: float | None  # 0..1, paid within 30 days
    late_count: int
    overdue_now: int

    @property
    def on_time_percent(self) -> int | None:
        return None if self.on_time_share is None else round(self.on_time_share * 100)


def buyer_punctuality(buyer, *, now=None) -> BuyerPunctuality:
    """Median days to pay, share paid within 30 days, late payments, and milestones
    accepted more than 30 days ago that are still unpaid (two queries)."""
    now = now or timezone.now()
    rows = Payment.objects.filter(
        contract__buyer=buyer,
        settled_at__isnull=False,
        milestone__accepted_at__isnull=False,
    ).values_list("milestone__accepted_at", "settled_at")
    days = [(_local_date(settled) - _local_date(accepted)).days for accepted, settled in rows]
    overdue = Milestone.objects.filter(
        contract__buyer=buyer,
        status=Milestone.Status.ACCEPTED,
        accepted_at__lt=now - datetime.timedelta(days=PAYMENT_DAYS_LIMIT),
    ).count()
    on_time = sum(1 for d in days if d <= PAYMENT_DAYS_LIMIT)
    return BuyerPunctuality(
        paid_count=len(days),
        median_days=statistics.median(days) if days else None,
        on_time_share=(on_time / len(days)) if days else None,
        late_count=len(days) - on_time,
        overdue_now=overdue,
    )


def payment_get_for_buyer(pk: int, user) -> Payment:
    """A payment the user may act on as the contract's buyer officer (DoesNotExist else)."""
    return Payment.objects.select_related(
        "contract__buyer", "contract__organisation", "milestone"
    ).get(pk=pk, contract__buyer__memberships__user=user)
