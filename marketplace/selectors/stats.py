"""Platform statistics: headline numbers, and the public statistics page's figures
(/statistics/) as database aggregates — money contracted by category, district and year,
bids per tender, and how quickly buyers pay.

Money contracted counts every contract that was signed (签订): active, completed and also
terminated ones — a terminated contract was still money committed, and leaving it out would
make a year's figure shrink afterwards. Amounts are the contract amount in force (after any
variation); a contract belongs to the year it was signed (Beijing time). Totals are summed by
the database as Decimal and returned as Money in CNY.

The page's figures come from the database on every uncached render, so each aggregate reads
as little as it can: the three money charts share one grouped query (per category, county
and year; the charts add those cells up exactly, in Decimal), bids are counted per tender
from the live-bid index before they meet the tenders, and a payment's days to pay are
worked out once per payment, not once per bucket."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db import connections
from django.db.models import Count, Func, IntegerField, Q, Sum
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


def _signed_contracts():
    return Contract.objects.filter(status__in=SIGNED_STATUSES, signed_at__isnull=False).order_by()


def _amount_rows(totals, labels) -> list[AmountRow]:
    """Rows largest amount first (then key), labelled from `labels` (the key if missing)."""
    rows = [
        AmountRow(key=key, label=labels.get(key, key), contracts=count, amount=_cny(total))
        for key, (count, total) in totals.items()
    ]
    return sorted(rows, key=lambda row: (-row.amount.amount, row.key))


class ContractedTotals:
    """Money contracted per (top-level category, county, signing year) cell, from one
    grouped query; each money chart adds up the cells it needs (Decimal, so exact). The
    category and county names are read only when a chart needs them (one query each)."""

    def __init__(self):
        self.cells = [
            (category, district, str(year), contracts, total)
            for category, district, year, contracts, total in _signed_contracts()
            .annotate(
                category=Substr("tender__category__code", 1, CATEGORY_CODE_LENGTH),
                district=Substr("tender__region__code", 1, COUNTY_CODE_LENGTH),
                year=ExtractYear("signed_at"),
            )
            .values_list("category", "district", "year")
            .annotate(contracts=Count("pk"), total=Sum("amount"))
        ]

    def _totals(self, position, year=None):
        """{key: (contracts, Decimal total)} of the cells' key at `position`."""
        totals = {}
        for cell in self.cells:
            if year is None or cell[2] == str(year):
                count, amount = totals.get(cell[position], (0, Decimal("0.00")))
                totals[cell[position]] = (count + cell[3], amount + cell[4])
        return totals

    @cached_property
    def _category_names(self) -> dict:
        codes = {cell[0] for cell in self.cells}
        return dict(Category.objects.filter(code__in=codes).values_list("code", "name"))

    @cached_property
    def _district_names(self) -> dict:
        codes = {cell[1] for cell in self.cells}
        return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))

    def by_category(self, year: int | None = None) -> list[AmountRow]:
        return _amount_rows(self._totals(0, year), self._category_names)

    def by_district(self, year: int | None = None) -> list[AmountRow]:
        return _amount_rows(self._totals(1, year), self._district_names)

    def by_year(self) -> list[AmountRow]:
        return _year_rows(self._totals(2))


def contracted_totals() -> ContractedTotals:
    """The money contracted, ready for the three money charts (one query, and one more
    for the names of each of the category and district charts)."""
    return ContractedTotals()


def contracted_by_category(*, year: int | None = None) -> list[AmountRow]:
    """Money contracted per top-level catalogue category (the tender's category code up
    to its first two digits), largest first; optionally of one signing year (2 queries)."""
    return contracted_totals().by_category(year)


def contracted_by_district(*, year: int | None = None) -> list[AmountRow]:
    """Money contracted per county-level district of the tender's region (a street counts
    for its county), largest first; optionally of one signing year (2 queries)."""
    return contracted_totals().by_district(year)


def _year_rows(totals) -> list[AmountRow]:
    return sorted(_amount_rows(totals, {}), key=lambda row: row.key)


def contracted_by_year() -> list[AmountRow]:
    """Money contracted per signing year (Beijing time), oldest first (one query, of the
    contracts alone: the home page needs only this chart's figures)."""
    rows = (
        _signed_contracts()
        .annotate(year=ExtractYear("signed_at"))
        .values_list("year")
        .annotate(contracts=Count("pk"), total=Sum("amount"))
    )
    return _year_rows({str(year): (count, total) for year, count, total in rows})


def bids_per_tender(*, now=None) -> list[CountRow]:
    """How many tenders past bidding got 0, 1, … 4 and 5 or more live bids (one query).

    Only tenders whose deadline has passed and that went on to closing, opening, evaluation,
    award or failure: the number of bids of a tender still open is sealed."""
    now = now or timezone.now()
    tenders = (
        Tender.objects.filter(status__in=PAST_BIDDING_STATUSES, bid_deadline__lte=now)
        .order_by()
        .values("id")
    )
    # Live bids are counted per tender first, and only then joined to the tenders: the
    # counts come from the live-bid unique index alone (its condition is Bid.LIVE), where
    # joining first would carry every bid row into the join. The ORM cannot join a grouped
    # subquery, so the two querysets are put together here.
    live_bids = (
        Bid.objects.filter(Bid.LIVE).order_by().values("tender_id").annotate(live=Count("*"))
    )
    tenders_sql, tenders_params = tenders.query.sql_with_params()
    bids_sql, bids_params = live_bids.query.sql_with_params()
    counts = [
        f"COUNT(CASE WHEN COALESCE(b.live, 0) = {n} THEN 1 END)" for n in range(BIDS_TOP_BUCKET)
    ]
    counts.append(f"COUNT(CASE WHEN b.live >= {BIDS_TOP_BUCKET} THEN 1 END)")
    # Only the ORM's SQL (values as parameters) and integer constants go into the text.
    sql = (
        f"SELECT {', '.join(counts)} FROM ({tenders_sql}) t "  # noqa: S608
        f"LEFT JOIN ({bids_sql}) b ON b.tender_id = t.id"
    )
    with connections[tenders.db].cursor() as cursor:
        cursor.execute(sql, (*tenders_params, *bids_params))
        row = cursor.fetchone()
    keys = [str(n) for n in range(BIDS_TOP_BUCKET)]
    labels = [_("%(n)s份") % {"n": n} for n in range(BIDS_TOP_BUCKET)]
    keys.append(f"{BIDS_TOP_BUCKET}+")
    labels.append(_("%(n)s份及以上") % {"n": BIDS_TOP_BUCKET})
    return [
        CountRow(key=key, label=label, count=count)
        for key, label, count in zip(keys, labels, row, strict=True)
    ]


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


class _DaysBetween(Func):
    """Whole days from the date `earlier` to the date `later` (an integer)."""

    arity = 2
    output_field = IntegerField()

    def __init__(self, earlier, later):
        super().__init__(later, earlier)

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: date − date is a number of days.
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


class _Bucket(Func):
    """The index of the first of the ascending `bounds` that `value` is at most, or
    len(bounds) above them all. The value is computed once (PostgreSQL's width_bucket),
    not once per bound as a CASE would."""

    output_field = IntegerField()

    def __init__(self, value, bounds):
        super().__init__(value)
        self.bounds = tuple(int(bound) for bound in bounds)

    def as_sql(self, compiler, connection, **extra_context):
        value, params = compiler.compile(self.source_expressions[0])
        whens = " ".join(f"WHEN {value} <= {high} THEN {i}" for i, high in enumerate(self.bounds))
        return f"CASE {whens} ELSE {len(self.bounds)} END", params * len(self.bounds)

    def as_postgresql(self, compiler, connection, **extra_context):
        value, params = compiler.compile(self.source_expressions[0])
        lower = ", ".join(str(high + 1) for high in self.bounds)  # width_bucket: lower bounds
        return f"width_bucket({value}, ARRAY[{lower}])", params


def payment_punctuality() -> PaymentPunctuality:
    """Days from milestone acceptance to settlement, by Beijing dates, as in
    selectors.payments.buyer_punctuality (settled payments of accepted milestones): how
    many payments fall in each bucket, overall and per buyer, and per buyer how many were
    paid within PAYMENT_DAYS_LIMIT days (one query, grouped by buyer and bucket)."""
    days = _DaysBetween(TruncDate("milestone__accepted_at"), TruncDate("settled_at"))
    grouped = (
        Payment.objects.filter(settled_at__isnull=False, milestone__accepted_at__isnull=False)
        .annotate(bucket=_Bucket(days, PAYMENT_DAY_BOUNDS))
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
