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
import random
import time

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from marketplace.management.commands._bench import (
    BENCH_SERIALS,
    Progress,
    bench_rows,
    bench_tenders,
    fast_commit,
    next_serial,
    weighted_choice,
)
from marketplace.management.commands._seed_contracts import ContractSeeding, ledger_deletable
from marketplace.management.commands._seed_tenders import TenderSeeding
from marketplace.models import (
    Award,
    Bid,
    Buyer,
    Category,
    Contract,
    ContractVersion,
    EvaluationReport,
    LedgerEntry,
    Milestone,
    Organisation,
    Payment,
    Region,
    Tender,
    TenderOpening,
)
from marketplace.selectors.tenders import PUBLIC_COUNT_KEY
from marketplace.validators import credit_code_make

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


class Command(ContractSeeding, TenderSeeding, BaseCommand):
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
        self._seed_contracts(batch_size, rng)
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
            with ledger_deletable():
                LedgerEntry.objects.filter(contract__tender_id__in=chunk).delete()
            Payment.objects.filter(contract__tender_id__in=chunk).delete()
            Milestone.objects.filter(contract__tender_id__in=chunk).delete()
            ContractVersion.objects.filter(contract__tender_id__in=chunk).delete()
            Contract.objects.filter(tender_id__in=chunk).delete()
            Award.objects.filter(tender_id__in=chunk).delete()
            EvaluationReport.objects.filter(tender_id__in=chunk).delete()
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
            Award._meta.db_table,
            Contract._meta.db_table,
            Milestone._meta.db_table,
            Payment._meta.db_table,
            LedgerEntry._meta.db_table,
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
        first = next_serial(existing)
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
                fast_commit()
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
        type_ = weighted_choice(rng, ORGANISATION_TYPE_WEIGHTS)
        number = serial - BENCH_SERIALS.start + 1
        rating = weighted_choice(rng, RATING_WEIGHTS)
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
            credit_status=weighted_choice(rng, CREDIT_STATUS_WEIGHTS),
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
        first = next_serial(existing)
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
