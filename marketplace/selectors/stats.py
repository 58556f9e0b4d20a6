"""Platform statistics: headline numbers, and the public statistics page's figures
(/statistics/) as database aggregates — money contracted by category, district and year,
bids per tender, and how quickly buyers pay.

Money contracted counts every contract that was signed (签订): active, completed and also
terminated ones — a terminated contract was still money committed, and leaving it out would
make a year's figure shrink afterwards. Amounts are the contract amount in force (after any
variation); a contract belongs to the year it was signed (Beijing time). Totals are summed by
the database as Decimal and returned as Money in CNY."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import ExtractYear, Substr, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace.models import Bid, Buyer, Category, Contract, Organisation, Payment, Region, Tender
from marketplace.selectors.payments import PAYMENT_DAYS_LIMIT

SIGNED_STATUSES = (
    Contract.Status.ACTIVE,
    Contract.Status.COMPLETED,
    Contract.Status.TERMINATED,
)
# Bids are sealed until the deadline; afterwards how many came in is read out at the opening
# (开标记录), so only tenders past bidding are counted. Cancelled tenders are left out: their
# bids may never have been opened.
PAST_BIDDING_STATUSES = (
    Tender.Status.CLOSED,
    Tender.Status.OPENED,
    Tender.Status.EVALUATING,
    Tender.Status.AWARDED,
    Tender.Status.FAILED,
)
BIDS_TOP_BUCKET = 5  # "5 or more"
# Upper bounds (days, inclusive) of the payment-time buckets; the last bucket is open-ended.
PAYMENT_DAY_BOUNDS = (7, 15, PAYMENT_DAYS_LIMIT, 60)
CATEGORY_CODE_LENGTH = 2  # top-level catalogue codes ("01"); children add two digits
COUNTY_CODE_LENGTH = 6  # GB/T 2260: a county's code; streets extend it


def platform_counts() -> dict:
    """Headline numbers for the home page, in two queries."""
    organisations = Organisation.objects.aggregate(
        verified=Count("pk", filter=Q(status=Organisation.Status.VERIFIED))
    )
    return {"organisations": organisations["verified"], "buyers": Buyer.objects.count()}


@dataclass(frozen=True)
class AmountRow:
    key: str  # category code, county code or year
    label: str
    contracts: int
    amount: Money


@dataclass(frozen=True)
class CountRow:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class BuyerPaymentRow:
    buyer_id: int
    name: str
    buckets: tuple[int, ...]  # payments per PAYMENT_DAY_BOUNDS bucket, then "> 60 days"
    paid_count: int
    on_time_count: int  # paid within PAYMENT_DAYS_LIMIT days of acceptance

    @property
    def label(self) -> str:
        return self.name

    @property
    def on_time_percent(self) -> Decimal:
        """Share paid within 30 days, in percent with one decimal (exact, no float)."""
        share = Decimal(self.on_time_count * 100) / Decimal(self.paid_count)
        return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PaymentPunctuality:
    distribution: list[CountRow]  # all settled payments per bucket
    buyers: list[BuyerPaymentRow]  # buyers with settled payments, most payments first


def _cny(value) -> Money:
    return Money(value if value is not None else Decimal("0.00"), "CNY")


def _signed_contracts(year=None):
    contracts = Contract.objects.filter(status__in=SIGNED_STATUSES, signed_at__isnull=False)
    if year is not None:
        contracts = contracts.filter(signed_at__year=year)
    return contracts.order_by()


def _amounts_by(contracts, key):
    """{key: (contracts, Decimal total)} grouped by the `key` expression, one query."""
    rows = (
        contracts.annotate(key=key)
        .values("key")
        .annotate(contracts=Count("pk"), total=Sum("amount"))
        .values_list("key", "contracts", "total")
    )
    return {str(key): (count, total) for key, count, total in rows}


def _amount_rows(totals, labels) -> list[AmountRow]:
    """Rows largest amount first (then key), labelled from `labels` (the key if missing)."""
    rows = [
        AmountRow(key=key, label=labels.get(key, key), contracts=count, amount=_cny(total))
        for key, (count, total) in totals.items()
    ]
    return sorted(rows, key=lambda row: (-row.amount.amount, row.key))


def contracted_by_category(*, year: int | None = None) -> list[AmountRow]:
    """Money contracted per top-level catalogue category (the tender's category code up
    to its first two digits), largest first; optionally of one signing year (2 queries)."""
    totals = _amounts_by(
        _signed_contracts(year), Substr("tender__category__code", 1, CATEGORY_CODE_LENGTH)
    )
    labels = dict(Category.objects.filter(code__in=totals).values_list("code", "name"))
    return _amount_rows(totals, labels)


def contracted_by_district(*, year: int | None = None) -> list[AmountRow]:
    """Money contracted per county-level district of the tender's region (a street counts
    for its county), largest first; optionally of one signing year (2 queries)."""
    totals = _amounts_by(
        _signed_contracts(year), Substr("tender__region__code", 1, COUNTY_CODE_LENGTH)
    )
    labels = dict(Region.objects.filter(code__in=totals).values_list("code", "name"))
    return _amount_rows(totals, labels)


def contracted_by_year() -> list[AmountRow]:
    """Money contracted per signing year (Beijing time), oldest first (one query)."""
    totals = _amounts_by(_signed_contracts(), ExtractYear("signed_at"))
    return sorted(_amount_rows(totals, {}), key=lambda row: row.key)


def bids_per_tender(*, now=None) -> list[CountRow]:
    """How many tenders past bidding got 0, 1, … 4 and 5 or more live bids (one query).

    Only tenders whose deadline has passed and that went on to closing, opening, evaluation,
    award or failure: the number of bids of a tender still open is sealed."""
    now = now or timezone.now()
    tenders = Tender.objects.filter(
        status__in=PAST_BIDDING_STATUSES, bid_deadline__lte=now
    ).annotate(
        live_bids=Count(
            "bids",
            filter=~Q(bids__status__in=[Bid.Status.WITHDRAWN, Bid.Status.REPLACED]),
        )
    )
    buckets = {str(n): Count("pk", filter=Q(live_bids=n)) for n in range(BIDS_TOP_BUCKET)}
    buckets[f"{BIDS_TOP_BUCKET}+"] = Count("pk", filter=Q(live_bids__gte=BIDS_TOP_BUCKET))
    counts = tenders.order_by().aggregate(**buckets)
    labels = {str(n): _("%(n)s份") % {"n": n} for n in range(BIDS_TOP_BUCKET)}
    labels[f"{BIDS_TOP_BUCKET}+"] = _("%(n)s份及以上") % {"n": BIDS_TOP_BUCKET}
    return [CountRow(key=key, label=labels[key], count=counts[key] or 0) for key in buckets]


def payment_day_labels() -> list[str]:
    """Labels of the payment-time buckets: ≤7天, 8–15天, 16–30天, 31–60天, 60天以上."""
    labels, low = [], 0
    for high in PAYMENT_DAY_BOUNDS:
        labels.append(
            _("≤%(high)s天") % {"high": high}
            if low == 0
            else _("%(low)s–%(high)s天") % {"low": low, "high": high}
        )
        low = high + 1
    labels.append(_("%(days)s天以上") % {"days": PAYMENT_DAY_BOUNDS[-1]})
    return labels


def _days_within(days):
    return Q(settled_on__lte=F("accepted_on") + datetime.timedelta(days=days))


def payment_punctuality() -> PaymentPunctuality:
    """Days from milestone acceptance to settlement, by Beijing dates, as in
    selectors.payments.buyer_punctuality (settled payments of accepted milestones): how
    many payments fall in each bucket, overall and per buyer, and per buyer how many were
    paid within PAYMENT_DAYS_LIMIT days (one query, grouped by buyer and bucket)."""
    # One CASE per payment (not one filtered count per bucket): each date conversion costs.
    bucket = Case(
        *(When(_days_within(high), then=Value(i)) for i, high in enumerate(PAYMENT_DAY_BOUNDS)),
        default=Value(len(PAYMENT_DAY_BOUNDS)),
        output_field=IntegerField(),
    )
    grouped = (
        Payment.objects.filter(settled_at__isnull=False, milestone__accepted_at__isnull=False)
        .annotate(
            settled_on=TruncDate("settled_at"), accepted_on=TruncDate("milestone__accepted_at")
        )
        .annotate(bucket=bucket)
        .order_by()
        .values_list("contract__buyer_id", "contract__buyer__name", "bucket")
        .annotate(n=Count("pk"))
    )
    # At most buyers × buckets rows: pivot them into one row per buyer.
    per_buyer = {}
    for buyer_id, name, index, n in grouped:
        counts = per_buyer.setdefault((buyer_id, name), [0] * (len(PAYMENT_DAY_BOUNDS) + 1))
        counts[index] = n
    on_time_buckets = PAYMENT_DAY_BOUNDS.index(PAYMENT_DAYS_LIMIT) + 1
    buyers = sorted(
        (
            BuyerPaymentRow(
                buyer_id=buyer_id,
                name=name,
                buckets=tuple(counts),
                paid_count=sum(counts),
                on_time_count=sum(counts[:on_time_buckets]),
            )
            for (buyer_id, name), counts in per_buyer.items()
        ),
        key=lambda row: (-row.paid_count, row.name, row.buyer_id),
    )
    # Summing the per-buyer rows (one per buyer, not per payment) saves a second query.
    totals = [sum(row.buckets[i] for row in buyers) for i in range(len(PAYMENT_DAY_BOUNDS) + 1)]
    distribution = [
        CountRow(key=str(i), label=label, count=total)
        for i, (label, total) in enumerate(zip(payment_day_labels(), totals, strict=True))
    ]
    return PaymentPunctuality(distribution=distribution, buyers=buyers)
