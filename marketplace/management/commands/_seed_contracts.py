"""The contract part of seed_bench: a signed contract for every bench award whose notice
period is over, its three milestones, and the treasury payments and ledger entries of the
milestones already paid — on time mostly, some late — so that the contract pages and the
buyers' payment punctuality have realistic data. Bulk-created like the tenders."""

import contextlib
import datetime
import hashlib
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from djmoney.money import Money

from marketplace.management.commands._bench import Progress, bench_tenders, fast_commit
from marketplace.models import (
    Award,
    Contract,
    ContractVersion,
    LedgerEntry,
    Milestone,
    Payment,
)

MILESTONE_SHARES = (Decimal(30), Decimal(40), Decimal(30))
MILESTONE_NAMES = ("合同签订后预付", "中期评估合格", "终期验收合格")
LATE_SHARE = 0.15  # payments made more than 30 days after acceptance


@contextlib.contextmanager
def ledger_deletable():
    """Let --reset delete bench ledger rows: the append-only trigger (PostgreSQL) is off for
    the statement, inside the caller's transaction, and on again afterwards."""
    table = LedgerEntry._meta.db_table
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        # ALTER TABLE refuses while deferred checks (foreign keys) of earlier rows are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER marketplace_ledgerentry_append_only")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # back to the defaults
        yield
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER marketplace_ledgerentry_append_only")


class ContractSeeding:
    """Mixed into the seed_bench command: seeds contracts, milestones and payments."""

    def _seed_contracts(self, batch_size, rng):
        now = timezone.now()
        awards = list(
            Award.objects.filter(
                tender__in=bench_tenders(),
                status=Award.Status.NOTICE,
                notice_ends_at__lt=now,
                contract__isnull=True,
            )
            .select_related("tender", "bid")
            .order_by("pk")
        )
        if not awards:
            self.stdout.write("Contracts: every ended bench award has one, none created.")
            return
        user = self._bench_user()
        progress = Progress(self.stdout, "Contracts", len(awards))
        for start in range(0, len(awards), batch_size):
            chunk = awards[start : start + batch_size]
            with transaction.atomic():
                fast_commit()
                self._contracts(chunk, user, rng, now)
            progress.update(start + len(chunk))
        self.stdout.write(f"Contracts: created {len(awards):,} in {progress.elapsed:.1f} s.")

    def _contracts(self, awards, user, rng, now):
        contracts = Contract.objects.bulk_create(
            self._contract(award, user, now) for award in awards
        )
        ContractVersion.objects.bulk_create(
            ContractVersion(
                contract=contract,
                number=1,
                terms={},
                text=contract.deliverables,
                sha256=hashlib.sha256(contract.deliverables.encode()).hexdigest(),
                buyer_signed_by_id=user.pk,
                buyer_signed_at=contract.signed_at,
                organisation_signed_by_id=user.pk,
                organisation_signed_at=contract.signed_at,
                created_by_id=user.pk,
                created_at=contract.created_at,
            )
            for contract in contracts
        )
        milestones = Milestone.objects.bulk_create(
            milestone
            for contract in contracts
            for milestone in self._milestones(contract, rng, now)
        )
        # Accepting a milestone creates its payment: settled for paid ones, pending for the rest.
        payments = Payment.objects.bulk_create(
            Payment(
                milestone=milestone,
                contract_id=milestone.contract_id,
                amount=milestone.amount,
                gateway=Payment.Gateway.TREASURY,
                status=Payment.Status.SUCCEEDED if milestone.paid_at else Payment.Status.PENDING,
                idempotency_key=f"milestone-{milestone.pk}",
                reference=f"BENCH-{milestone.pk}" if milestone.paid_at else "",
                attempts=1 if milestone.paid_at else 0,
                voucher_date=timezone.localdate(milestone.paid_at) if milestone.paid_at else None,
                created_at=milestone.accepted_at,
                settled_at=milestone.paid_at,
            )
            for milestone in milestones
            if milestone.accepted_at
        )
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                payment=payment,
                contract_id=payment.contract_id,
                kind=LedgerEntry.Kind.PAYMENT,
                amount=payment.amount,
                reference=f"treasury:{payment.reference}",
                recorded_by_id=user.pk,
                created_at=payment.settled_at,
            )
            for payment in payments
            if payment.settled_at
        )

    def _contract(self, award, user, now):
        signed = award.notice_ends_at + datetime.timedelta(days=3)
        starts = timezone.localdate(signed) + datetime.timedelta(days=1)
        months = award.tender.contract_months
        return Contract(
            award_id=award.pk,
            tender_id=award.tender_id,
            buyer_id=award.tender.buyer_id,
            organisation_id=award.bid.organisation_id,
            amount=award.amount,
            starts_on=starts,
            ends_on=starts + datetime.timedelta(days=30 * months),
            deliverables=f"按《{award.tender.title}》采购文件和投标文件提供服务。",
            indicators=[{"name": "服务人次", "target": "500", "unit": "人次"}],
            breach_terms="未按约定提供服务的，按未完成服务量扣减相应款项。",
            funding_source="财政预算资金",
            status=Contract.Status.ACTIVE,
            version=1,
            created_by_id=user.pk,
            created_at=signed,
            signed_at=signed,
        )

    def _milestones(self, contract, rng, now):
        """Three milestones over the term; those due before now are accepted and paid."""
        total = contract.amount.amount
        amounts = [(total * share / 100).quantize(Decimal("0.01")) for share in MILESTONE_SHARES]
        amounts[-1] = total - sum(amounts[:-1])
        term = (contract.ends_on - contract.starts_on).days
        rows = []
        for position, (share, amount) in enumerate(zip(MILESTONE_SHARES, amounts, strict=True)):
            due = contract.starts_on + datetime.timedelta(days=term * (position + 1) // 3)
            accepted = datetime.datetime.combine(
                due, datetime.time(10), tzinfo=timezone.get_current_timezone()
            )
            late = rng.random() < LATE_SHARE
            paid = accepted + datetime.timedelta(
                days=rng.randint(31, 90) if late else rng.randint(3, 28)
            )
            if paid < now:
                status = Milestone.Status.PAID
            elif accepted < now:
                status, paid = Milestone.Status.ACCEPTED, None
            else:
                status, accepted, paid = Milestone.Status.PENDING, None, None
            milestone = Milestone(
                contract=contract,
                position=position,
                name=MILESTONE_NAMES[position],
                percentage=share,
                amount=Money(amount, "CNY"),
                due_on=due,
                status=status,
                accepted_at=accepted,
                paid_at=paid,
            )
            rows.append(milestone)
        return rows
