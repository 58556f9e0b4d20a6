"""Fill the database with verified organisations, buyers, tenders and bids for load tests
(see bench/).

Bench rows are synthetic and written with bulk_create, bypassing the services on purpose:
registering twenty thousand organisations one by one through `organisation_register` and
`transition()` would write audit entries and send events nobody needs, and take minutes;
a hundred thousand tenders with past deadlines could not be made through the services at
all (they judge deadlines by the database clock). Organisations and buyers are recognised by
the serial inside their credit code (BENCH_SERIALS), which the demo data and the test
factories never reach; tenders by their bench buyer, bids by their tender. So --reset
removes them and nothing else.
"""

import datetime
import hashlib
import math
import random
import time
from decimal import Decimal

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Substr
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import (
    Bid,
    Buyer,
    Category,
    Organisation,
    Region,
    Tender,
    TenderOpening,
    User,
)
from marketplace.selectors.tenders import PUBLIC_COUNT_KEY, method_rules
from marketplace.validators import credit_code_make

# Serials (characters 9–16 of a credit code) reserved for bench rows.
BENCH_SERIALS = range(50_000_000, 60_000_000)

ORGANISATION_PREFIXES = {
    Organisation.Type.SOCIAL_GROUP: "51",
    Organisation.Type.SERVICE_INSTITUTION: "52",
    Organisation.Type.FOUNDATION: "53",
}
ORGANISATION_KINDS = {
    Organisation.Type.SOCIAL_GROUP: ["志愿者协会", "社会工作者协会", "养老服务协会", "慈善总会"],
    Organisation.Type.SERVICE_INSTITUTION: [
        "社会工作服务中心",
        "养老服务中心",
        "青少年发展中心",
        "社区服务中心",
        "残障人士服务中心",
        "心理咨询服务中心",
    ],
    Organisation.Type.FOUNDATION: ["公益基金会", "慈善基金会", "教育基金会"],
}
ORGANISATION_TYPE_WEIGHTS = {
    Organisation.Type.SOCIAL_GROUP: 3,
    Organisation.Type.SERVICE_INSTITUTION: 6,
    Organisation.Type.FOUNDATION: 1,
}
THEMES = [
    "阳光",
    "春晖",
    "仁爱",
    "同心",
    "益家",
    "启明",
    "善行",
    "和美",
    "乐龄",
    "向日葵",
    "彩虹",
    "暖心",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"
# Rating levels with their weights; most organisations are never rated.
RATING_WEIGHTS = {None: 60, 1: 2, 2: 5, 3: 15, 4: 13, 5: 5}
CREDIT_STATUS_WEIGHTS = {
    Organisation.CreditStatus.NORMAL: 97,
    Organisation.CreditStatus.ABNORMAL: 2,
    Organisation.CreditStatus.SERIOUS: 1,
}
# Tenders: most have ended (opened, failed, cancelled) as on a platform that has run for
# years; a quarter take bids now. Drafts are never public, but the list query must skip them.
TENDER_STATUS_WEIGHTS = {
    Tender.Status.DRAFT: 4,
    Tender.Status.PUBLISHED: 25,
    Tender.Status.CLOSED: 4,
    Tender.Status.OPENED: 47,
    Tender.Status.CANCELLED: 6,
    Tender.Status.FAILED: 14,
}
TENDER_METHOD_WEIGHTS = {
    Tender.Method.OPEN: 35,
    Tender.Method.CONSULTATION: 20,
    Tender.Method.NEGOTIATION: 9,
    Tender.Method.INQUIRY: 9,
    Tender.Method.SINGLE_SOURCE: 8,
    Tender.Method.INVITED: 7,
    Tender.Method.VENTURE: 12,
}
# Bids per tender: (weight for the bids above the minimum, most bids) by tender status.
# Opened and closed tenders have at least the method's minimum, failed ones fewer (流标).
BID_SHARE = {
    Tender.Status.PUBLISHED: (1.5, 8),
    Tender.Status.CLOSED: (2.0, 10),
    Tender.Status.OPENED: (2.5, 12),
    Tender.Status.CANCELLED: (0.4, 4),
    Tender.Status.FAILED: (0.0, 0),
}
BENCH_USERNAME = "bench-seed@example.invalid"
BUDGET_RANGE = (30_000, 3_000_000)  # yuan; log-uniform, rounded to 1,000


def bench_rows(model):
    """The rows of `model` (Organisation or Buyer) whose credit-code serial is a bench serial."""
    return model.objects.annotate(bench_serial=Substr("credit_code", 9, 8)).filter(
        bench_serial__gte=f"{BENCH_SERIALS.start:08d}",
        bench_serial__lt=f"{BENCH_SERIALS.stop:08d}",
    )


def _fast_commit():
    """Inside a transaction: do not wait for its commit to reach the disk. Bench rows can be
    seeded again if the server crashes, and the hundreds of batch commits add up."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def bench_tenders():
    """Tenders of bench buyers (and only those)."""
    return Tender.objects.filter(buyer__in=bench_rows(Buyer).values("pk"))


def _next_serial(queryset) -> int:
    last = queryset.order_by("-bench_serial").values_list("bench_serial", flat=True).first()
    return BENCH_SERIALS.start if last is None else int(last) + 1


def _weighted(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Progress:
    """A one-line text progress bar: redrawn in place on a terminal, one line per update otherwise."""

    def __init__(self, stdout, label, total, width=30):
        self.stdout, self.label, self.total, self.width = stdout, label, total, width
        self.started = time.perf_counter()
        self.in_place = stdout.isatty()

    def update(self, done):
        elapsed = time.perf_counter() - self.started
        filled = self.width * done // self.total if self.total else self.width
        rate = done / elapsed if elapsed > 0 else 0
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{done:,}/{self.total:,} {rate:,.0f}/s"
        )
        if self.in_place:
            self.stdout.write(f"\r{line}", ending="\n" if done >= self.total else "")
        else:
            self.stdout.write(line)
        self.stdout.flush()

    @property
    def elapsed(self):
        return time.perf_counter() - self.started


class Command(BaseCommand):
    help = (
        "Seed verified organisations (1–3 districts, 1–2 categories each), buyers, tenders "
        "and bids for load tests. Tops up to the requested counts; --reset first deletes "
        "earlier bench rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisations", type=int, default=20_000)
        parser.add_argument("--buyers", type=int, default=200)
        parser.add_argument("--tenders", type=int, default=100_000)
        parser.add_argument("--bids", type=int, default=300_000)
        parser.add_argument("--batch-size", type=int, default=2_000)
        parser.add_argument("--seed", type=int, default=2015, help="random seed (repeatable data)")
        parser.add_argument(
            "--reset", action="store_true", help="delete earlier bench rows before seeding"
        )

    def handle(
        self, *args, organisations, buyers, tenders, bids, batch_size, seed, reset, **options
    ):
        if min(organisations, buyers, tenders, bids) < 0 or batch_size < 1:
            raise CommandError("Counts must be ≥ 0 and --batch-size ≥ 1.")
        counties = list(Region.objects.filter(level=Region.Level.COUNTY).select_related("parent"))
        categories = list(Category.objects.all())
        if not counties or not categories:
            raise CommandError("No county regions or categories: run `manage.py migrate` first.")
        started = time.perf_counter()
        if reset:
            self._reset()
        rng = random.Random(seed)
        self._seed_organisations(organisations, batch_size, rng, counties, categories)
        self._seed_buyers(buyers, batch_size, rng, counties)
        self._seed_tenders(tenders, batch_size, rng, categories)
        self._seed_bids(bids, batch_size, rng)
        # Tenders were bulk-created, not published through tender_publish: drop the count.
        cache.delete(PUBLIC_COUNT_KEY)
        self._analyze()
        self.stdout.write(
            self.style.SUCCESS(
                f"Bench data ready: {bench_rows(Organisation).count():,} organisations, "
                f"{bench_rows(Buyer).count():,} buyers, {bench_tenders().count():,} tenders, "
                f"{Bid.objects.filter(tender__in=bench_tenders()).count():,} bids "
                f"({time.perf_counter() - started:.1f} s)."
            )
        )

    def _reset(self):
        # Openings and bids first: they PROTECT their tenders, tenders their buyers.
        tender_ids = list(bench_tenders().values_list("pk", flat=True))
        for start in range(0, len(tender_ids), 5_000):
            chunk = tender_ids[start : start + 5_000]
            TenderOpening.objects.filter(tender_id__in=chunk).delete()
            Bid.objects.filter(tender_id__in=chunk).delete()
            Tender.objects.filter(pk__in=chunk).delete()
        self.stdout.write(f"Tender: deleted {len(tender_ids):,} bench rows (and their bids).")
        for model in (Organisation, Buyer):
            ids = list(bench_rows(model).values_list("pk", flat=True))
            # Chunks keep each DELETE … WHERE id IN (…) under SQLite's parameter limit.
            for start in range(0, len(ids), 5_000):
                model.objects.filter(pk__in=ids[start : start + 5_000]).delete()
            self.stdout.write(f"{model.__name__}: deleted {len(ids):,} bench rows.")

    def _analyze(self):
        # Fresh planner statistics: without them PostgreSQL estimates a dozen rows for the
        # freshly loaded tables and picks nested loops that are 10–100× slower (and servers
        # with autovacuum off never collect them at all). VACUUM also sets the visibility
        # map, as autovacuum would have on a production server, so that COUNT(*) for the
        # paginators can be an index-only scan; it cannot run inside a transaction (tests).
        if connection.vendor != "postgresql":
            return
        tables = [
            Organisation._meta.db_table,
            Organisation.districts.through._meta.db_table,
            Organisation.categories.through._meta.db_table,
            Buyer._meta.db_table,
            Tender._meta.db_table,
            Bid._meta.db_table,
            TenderOpening._meta.db_table,
        ]
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            cursor.execute(f"{command} {', '.join(map(connection.ops.quote_name, tables))}")

    def _seed_organisations(self, wanted, batch_size, rng, counties, categories):
        existing = bench_rows(Organisation)
        have = existing.count()
        missing = wanted - have
        if missing <= 0:
            self.stdout.write(f"Organisations: {have:,} bench rows already, none created.")
            return
        first = _next_serial(existing)
        if first + missing > BENCH_SERIALS.stop:
            raise CommandError("The bench serial range is exhausted: run with --reset.")
        District = Organisation.districts.through
        Offered = Organisation.categories.through
        today = timezone.localdate()
        progress = Progress(self.stdout, "Organisations", missing)
        done = 0
        for batch_start in range(first, first + missing, batch_size):
            serials = range(batch_start, min(batch_start + batch_size, first + missing))
            rows = [
                self._organisation(serial, rng, counties, categories, today) for serial in serials
            ]
            with transaction.atomic():
                _fast_commit()
                created = Organisation.objects.bulk_create([row[0] for row in rows])
                District.objects.bulk_create(
                    District(organisation_id=organisation.pk, region_id=region.pk)
                    for organisation, (_, districts, _) in zip(created, rows, strict=True)
                    for region in districts
                )
                Offered.objects.bulk_create(
                    Offered(organisation_id=organisation.pk, category_id=category.pk)
                    for organisation, (_, _, offered) in zip(created, rows, strict=True)
                    for category in offered
                )
            done += len(serials)
            progress.update(done)
        self.stdout.write(
            f"Organisations: created {missing:,} in {progress.elapsed:.1f} s "
            f"({missing / max(progress.elapsed, 1e-9):,.0f}/s)."
        )

    def _organisation(self, serial, rng, counties, categories, today):
        districts = rng.sample(counties, k=rng.randint(1, 3))
        home = districts[0]
        type_ = _weighted(rng, ORGANISATION_TYPE_WEIGHTS)
        number = serial - BENCH_SERIALS.start + 1
        rating = _weighted(rng, RATING_WEIGHTS)
        # Evaluated up to seven years ago, so some ratings have expired (valid five years).
        evaluated = today - datetime.timedelta(days=rng.randint(30, 7 * 365)) if rating else None
        organisation = Organisation(
            name=f"{home.name}{rng.choice(THEMES)}{rng.choice(ORGANISATION_KINDS[type_])}{number:05d}",
            credit_code=credit_code_make(ORGANISATION_PREFIXES[type_], home.code, serial),
            type=type_,
            registration_authority=f"{home.parent.name}{home.name}民政局",
            registered_on=datetime.date(2000, 1, 1) + datetime.timedelta(days=rng.randint(0, 9000)),
            address=f"{home.parent.name}{home.name}人民路{rng.randint(1, 999)}号",
            contact_name=f"{rng.choice(SURNAMES)}老师",
            contact_phone=f"0{rng.randint(510, 527)}-{rng.randint(60_000_000, 89_999_999)}",
            contact_email=f"bench{serial}@example.cn",
            description=f"扎根{home.name}，提供社区服务与专业支持。",
            rating_level=rating,
            rating_evaluated_on=evaluated,
            credit_status=_weighted(rng, CREDIT_STATUS_WEIGHTS),
            status=Organisation.Status.VERIFIED,
        )
        return organisation, districts, rng.sample(categories, k=rng.randint(1, 2))

    def _seed_buyers(self, wanted, batch_size, rng, counties):
        existing = bench_rows(Buyer)
        have = existing.count()
        missing = wanted - have
        if missing <= 0:
            self.stdout.write(f"Buyers: {have:,} bench rows already, none created.")
            return
        first = _next_serial(existing)
        if first + missing > BENCH_SERIALS.stop:
            raise CommandError("The bench serial range is exhausted: run with --reset.")
        progress = Progress(self.stdout, "Buyers", missing)
        done = 0
        for batch_start in range(first, first + missing, batch_size):
            serials = range(batch_start, min(batch_start + batch_size, first + missing))
            buyers = []
            for serial in serials:
                county = rng.choice(counties)
                number = serial - BENCH_SERIALS.start + 1
                buyers.append(
                    Buyer(
                        name=f"{county.parent.name}{county.name}第{number}街道办事处",
                        credit_code=credit_code_make("11", county.code, serial),
                        level=Buyer.Level.STREET,
                        region=county,
                        address=f"{county.parent.name}{county.name}政府路{rng.randint(1, 99)}号",
                    )
                )
            Buyer.objects.bulk_create(buyers)
            done += len(serials)
            progress.update(done)

    # Tenders and bids ---------------------------------------------------------------------

    def _bench_user(self):
        """The one synthetic user that drafts bench tenders and submits bench bids."""
        user, _created = User.objects.get_or_create(
            username=BENCH_USERNAME, defaults={"email": BENCH_USERNAME, "name": "bench"}
        )
        return user

    def _seed_tenders(self, wanted, batch_size, rng, categories):
        have = bench_tenders().count()
        missing = wanted - have
        if missing <= 0:
            self.stdout.write(f"Tenders: {have:,} bench rows already, none created.")
            return
        buyers = list(bench_rows(Buyer).select_related("region"))
        if not buyers:
            raise CommandError("Tenders need bench buyers: run with --buyers ≥ 1.")
        # Leaf categories that may be bought (the negative list never is).
        leaves = [c for c in categories if len(c.code) > 2 and c.prohibited_item_id is None]
        user = self._bench_user()
        now = timezone.now()
        progress = Progress(self.stdout, "Tenders", missing)
        done = 0
        while done < missing:
            size = min(batch_size, missing - done)
            rows = [
                self._tender(have + done + number + 1, rng, buyers, leaves, user, now)
                for number in range(size)
            ]
            with transaction.atomic():
                _fast_commit()
                Tender.objects.bulk_create(rows)
            done += size
            progress.update(done)
        self.stdout.write(
            f"Tenders: created {missing:,} in {progress.elapsed:.1f} s "
            f"({missing / max(progress.elapsed, 1e-9):,.0f}/s)."
        )

    def _tender(self, number, rng, buyers, leaves, user, now):
        buyer = rng.choice(buyers)
        category = rng.choice(leaves)
        status = _weighted(rng, TENDER_STATUS_WEIGHTS)
        method = _weighted(rng, TENDER_METHOD_WEIGHTS)
        day = datetime.timedelta(days=1)
        period = day * rng.randint(10, 40)
        if status == Tender.Status.DRAFT:
            deadline = now + period
        elif status == Tender.Status.PUBLISHED:  # published in the last `period`, still open
            deadline = now + datetime.timedelta(seconds=rng.uniform(3600, period.total_seconds()))
        elif status == Tender.Status.CLOSED:  # closed in the last few days, not yet opened
            deadline = now - datetime.timedelta(minutes=rng.randint(10, 5 * 24 * 60))
        else:  # ended some time in the last three years
            deadline = now - datetime.timedelta(minutes=rng.randint(60, 3 * 365 * 24 * 60))
        published = None if status == Tender.Status.DRAFT else deadline - period
        opening = deadline + (
            day * rng.randint(0, 3) if status == Tender.Status.CLOSED else 0 * day
        )
        # Log-uniform budgets: many small community projects, a few large district ones.
        low, high = (math.log(bound) for bound in BUDGET_RANGE)
        budget = Decimal(round(math.exp(rng.uniform(low, high)) / 1000) * 1000)
        return Tender(
            buyer_id=buyer.pk,
            title=f"{buyer.region.name}{category.name}服务项目（第{number}号）",
            description=f"{buyer.name}购买{category.name}服务，服务期内按合同约定提供专业服务。",
            category_id=category.pk,
            region_id=buyer.region_id,
            budget=Money(budget, "CNY"),
            method=method,
            min_rating_level=rng.choice([None, None, None, None, 2, 3, 3, 4]),
            min_years_registered=rng.choice([0, 0, 0, 1, 2, 3]),
            contract_months=rng.choice([6, 10, 12, 12, 12]),
            clarification_deadline=deadline - 3 * day,
            bid_deadline=deadline,
            opening_at=opening,
            status=status,
            version=0 if status == Tender.Status.DRAFT else 1,
            created_by_id=user.pk,
            published_at=published,
            created_at=(published or now) - day * rng.randint(0, 5),
        )

    def _seed_bids(self, wanted, batch_size, rng):
        bench_bids = Bid.objects.filter(tender__in=bench_tenders())
        have = bench_bids.count()
        missing = wanted - have
        if missing <= 0:
            self.stdout.write(f"Bids: {have:,} bench rows already, none created.")
            return
        # New bids go to public tenders that have none yet, so each organisation bids at most
        # once per tender (the one_live_bid_per_organisation constraint) without a lookup.
        candidates = list(
            bench_tenders()
            .exclude(status=Tender.Status.DRAFT)
            .filter(~Exists(Bid.objects.filter(tender=OuterRef("pk"))))
            .order_by("pk")
            .values_list("pk", "status", "method", "budget", "published_at", "bid_deadline")
        )
        counts = self._bid_counts(candidates, missing, rng)
        organisations = dict(bench_rows(Organisation).values_list("pk", "name"))
        if len(organisations) < max(counts, default=0):
            raise CommandError("Too few bench organisations for that many bids per tender.")
        organisation_ids = list(organisations)
        user = self._bench_user()
        now = timezone.now()
        progress = Progress(self.stdout, "Bids", missing)
        done = 0
        batch, openings = [], []
        for tender, count in zip(candidates, counts, strict=True):
            if count:
                bids = self._bids(tender, count, rng, organisation_ids, user, now)
                batch.extend(bids)
                if tender[1] == Tender.Status.OPENED:
                    openings.append((tender, bids))
            if len(batch) >= batch_size or (tender is candidates[-1] and batch):
                with transaction.atomic():
                    _fast_commit()
                    Bid.objects.bulk_create(batch)
                    TenderOpening.objects.bulk_create(
                        self._opening(opened, its_bids, organisations, user)
                        for opened, its_bids in openings
                    )
                done += len(batch)
                progress.update(done)
                batch, openings = [], []
        self.stdout.write(
            f"Bids: created {missing:,} in {progress.elapsed:.1f} s "
            f"({missing / max(progress.elapsed, 1e-9):,.0f}/s)."
        )

    def _bid_counts(self, candidates, total, rng):
        """How many bids each candidate tender gets, `total` in all: every opened or closed
        tender at least its method's minimum, failed ones fewer, the rest by status weight."""
        lows, highs, weights = [], [], []
        for _pk, status, method, *_rest in candidates:
            minimum = method_rules(method)["min_bids"]
            weight, most = BID_SHARE[status]
            if status == Tender.Status.FAILED:
                low, high = 0, minimum - 1
                weight = 0.3 * (minimum > 1)
            elif status in (Tender.Status.OPENED, Tender.Status.CLOSED):
                low, high = minimum, max(most, minimum)
            else:
                low, high = 0, most
            if method == Tender.Method.SINGLE_SOURCE:  # only the one invited organisation
                high = min(high, 1)
            lows.append(low)
            highs.append(high)
            weights.append(weight)
        counts = list(lows)
        extra = total - sum(lows)
        if extra < 0:
            raise CommandError(
                f"{total:,} bids are too few: the opened and closed tenders need {sum(lows):,}."
            )
        capacity = sum(high - low for high, low in zip(highs, lows, strict=True))
        if extra > capacity:
            raise CommandError(f"{total:,} bids are too many for {len(candidates):,} tenders.")
        # Spread the extra bids by weight, then hand out the remainder one by one.
        scale = extra / (sum(weights) or 1)
        for index, weight in enumerate(weights):
            share = weight * scale * rng.uniform(0.5, 1.5)
            counts[index] = min(highs[index], lows[index] + int(share))
        remainder = total - sum(counts)
        indexes = list(range(len(counts)))
        while remainder:
            index = rng.choice(indexes)
            if remainder > 0 and counts[index] < highs[index]:
                counts[index] += 1
                remainder -= 1
            elif remainder < 0 and counts[index] > lows[index]:
                counts[index] -= 1
                remainder += 1
        return counts

    def _bids(self, tender, count, rng, organisation_ids, user, now):
        pk, status, _method, budget, published, deadline = tender
        end = min(deadline, now)
        window = max((end - published).total_seconds(), 60)
        bids = []
        for organisation_id in rng.sample(organisation_ids, count):
            submitted = end - datetime.timedelta(seconds=rng.uniform(1, window))
            amount = (budget * Decimal(rng.randint(80, 100)) / 100).quantize(Decimal("0.01"))
            withdrawn = status == Tender.Status.PUBLISHED and rng.random() < 0.05
            bids.append(
                Bid(
                    tender_id=pk,
                    organisation_id=organisation_id,
                    submitted_by_id=user.pk,
                    amount=Money(amount, "CNY"),
                    service_plan="按需求调研、方案设计、服务实施、评估总结四个阶段提供服务。",
                    team="项目主管1名，专职社工3名，志愿者若干。",
                    outputs="服务人次、满意度和个案成效按合同约定考核。",
                    beneficiaries="辖区有需要的居民",
                    status=Bid.Status.WITHDRAWN if withdrawn else Bid.Status.SUBMITTED,
                    tender_version=1,
                    submitted_at=submitted,
                    receipt_hash=hashlib.sha256(
                        f"bench:{pk}:{organisation_id}".encode()
                    ).hexdigest(),
                )
            )
        return bids

    def _opening(self, tender, bids, organisations, user):
        pk, _status, _method, _budget, _published, deadline = tender
        record = [
            {
                "bid": bid.pk,
                "organisation": organisations[bid.organisation_id],
                "amount": f"{bid.amount.amount:.2f}",
                "currency": "CNY",
                "submitted_at": bid.submitted_at.isoformat(),
                "reconfirmed": True,
            }
            for bid in sorted(bids, key=lambda bid: bid.submitted_at)
        ]
        return TenderOpening(tender_id=pk, opened_by_id=user.pk, opened_at=deadline, record=record)
