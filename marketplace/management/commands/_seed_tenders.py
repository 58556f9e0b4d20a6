"""The tender and bid part of seed_bench: 100,000 tenders in every status and 300,000 bids
with their opening records, bulk-created (see the command's docstring for why)."""

import datetime
import hashlib
import math
from decimal import Decimal

from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from djmoney.money import Money

from marketplace.management.commands._bench import (
    Progress,
    bench_rows,
    bench_tenders,
    fast_commit,
    weighted_choice,
)
from marketplace.models import (
    Award,
    Bid,
    Buyer,
    EvaluationReport,
    Organisation,
    Tender,
    TenderOpening,
    User,
)
from marketplace.selectors.tenders import method_rules

# Tenders: most have ended (awarded, failed, cancelled) as on a platform that has run for
# years; a quarter take bids now. Drafts are never public, but the list query must skip them.
TENDER_STATUS_WEIGHTS = {
    Tender.Status.DRAFT: 4,
    Tender.Status.PUBLISHED: 25,
    Tender.Status.CLOSED: 4,
    Tender.Status.OPENED: 10,
    Tender.Status.EVALUATING: 3,
    Tender.Status.AWARDED: 34,
    Tender.Status.CANCELLED: 6,
    Tender.Status.FAILED: 14,
}
# Statuses whose bids have been opened (an opening record) and that had at least the
# method's minimum of bids.
OPENED_STATUSES = (Tender.Status.OPENED, Tender.Status.EVALUATING, Tender.Status.AWARDED)
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
    Tender.Status.EVALUATING: (2.5, 12),
    Tender.Status.AWARDED: (2.5, 12),
    Tender.Status.CANCELLED: (0.4, 4),
    Tender.Status.FAILED: (0.0, 0),
}
BENCH_USERNAME = "bench-seed@example.invalid"
BUDGET_RANGE = (30_000, 3_000_000)  # yuan; log-uniform, rounded to 1,000


class TenderSeeding:
    """Mixed into the seed_bench command: seeds tenders, bids and openings."""

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
                fast_commit()
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
        status = weighted_choice(rng, TENDER_STATUS_WEIGHTS)
        method = weighted_choice(rng, TENDER_METHOD_WEIGHTS)
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
                if tender[1] in OPENED_STATUSES:
                    openings.append((tender, bids))
            if len(batch) >= batch_size or (tender is candidates[-1] and batch):
                with transaction.atomic():
                    fast_commit()
                    Bid.objects.bulk_create(batch)
                    TenderOpening.objects.bulk_create(
                        self._opening(opened, its_bids, organisations, user)
                        for opened, its_bids in openings
                    )
                    self._awards(
                        [(t, b) for t, b in openings if t[1] == Tender.Status.AWARDED],
                        user,
                        rng,
                        now,
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
            elif status in (*OPENED_STATUSES, Tender.Status.CLOSED):
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

    def _awards(self, awarded, user, rng, now):
        """Each awarded tender's report and award: the lowest bid wins at its price, the
        notice (公示) published within 20 days of the deadline (and before now), for 7 days."""
        if not awarded:
            return
        winners = [
            (tender, min(bids, key=lambda bid: bid.amount.amount)) for tender, bids in awarded
        ]
        published = {}
        for tender, _bid in winners:
            gap = min(datetime.timedelta(days=20), now - tender[5])
            published[tender[0]] = tender[5] + gap * rng.uniform(0.2, 0.9)
        reports = EvaluationReport.objects.bulk_create(
            EvaluationReport(
                tender_id=tender[0],
                number=1,
                results={},
                recommended_id=bid.pk,
                created_by_id=user.pk,
                created_at=published[tender[0]],
                confirmed_at=published[tender[0]],
            )
            for tender, bid in winners
        )
        Award.objects.bulk_create(
            Award(
                tender_id=tender[0],
                bid_id=bid.pk,
                report_id=report.pk,
                amount=bid.amount,
                rank=1,
                total_score=Decimal(rng.randint(7000, 9800)) / 100,
                recommended=True,
                awarded_by_id=user.pk,
                published_at=published[tender[0]],
                notice_ends_at=published[tender[0]] + datetime.timedelta(days=7),
            )
            for (tender, bid), report in zip(winners, reports, strict=True)
        )
