"""Loads the demo contracts (data/demo_contracts.py) for `manage.py load_demo_data`.

Everything goes through the services, as the officers and the organisations' admins would
do it: contract_create, contract_sign (the officer's fresh two-step check answered with the
code their authenticator shows now: the demo stores real TOTP secrets), milestone_report_submit / _accept /
_return, payment_record_treasury, contract_terminate. Then each contract's timeline is moved
into the past with QuerySet.update(), as marketplace.demo does for deadlines: signed
`signed_days_ago` days ago, with its award's notice period before that, and its milestone
events on the days the data gives. Audit and ledger entries keep the real times of the load
(the ledger is append-only).
"""

import datetime
import time
from decimal import Decimal

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone
from djmoney.money import Money

from marketplace.contract_terms import term_default
from marketplace.data import demo_contracts
from marketplace.models import (
    Award,
    BuyerMembership,
    Contract,
    ContractVersion,
    EvaluationReport,
    Milestone,
    MilestoneReport,
    OrganisationMembership,
    Payment,
)
from marketplace.services.contracts import (
    contract_create,
    contract_sign,
    contract_terminate,
)
from marketplace.services.delivery import (
    milestone_report_accept,
    milestone_report_return,
    milestone_report_submit,
)
from marketplace.services.payments import payment_record_treasury

VOUCHER = b"%PDF-1.4\n% demo treasury payment voucher\n"
DAY = datetime.timedelta(days=1)
TOTP_PERIOD = 30  # seconds, allauth's default (MFA_TOTP_PERIOD)


def demo_contracts_load(entries=None) -> tuple[int, int]:
    """Create the demo contracts whose award has none yet; returns (created, existing).
    `entries` defaults to data/demo_contracts.py (demo_ratings passes its completed ones)."""
    entries = demo_contracts.CONTRACTS if entries is None else entries
    titles = {entry["tender"] for entry in entries}
    awards = {}
    for award in (
        Award.objects.filter(tender__title__in=titles, status=Award.Status.NOTICE)
        .select_related("tender", "bid__organisation")
        .order_by("rank", "pk")
    ):
        awards.setdefault(award.tender.title, []).append(award)
    under_contract = set(
        Contract.objects.filter(award__tender__title__in=titles).values_list("award_id", flat=True)
    )
    created = existing = 0
    signed_by = {}  # buyer id -> contracts its officers signed in this load
    for entry in entries:
        ranked = awards.get(entry["tender"], [])
        if len(ranked) < entry.get("rank", 1):
            continue
        award = ranked[entry.get("rank", 1) - 1]
        if award.pk in under_contract:
            existing += 1
            continue
        turn = signed_by.get(award.tender.buyer_id, 0)
        signed_by[award.tender.buyer_id] = turn + 1
        _ContractLoader(award, entry, turn).run()
        created += 1
    return created, existing


def _current_code(user) -> str:
    """The code the user's authenticator app shows now (the demo stores real secrets)."""
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // TOTP_PERIOD))


class _ContractLoader:
    def __init__(self, award, entry, turn):
        self.award, self.entry = award, entry
        # Each officer signs once per load: a TOTP code is accepted only once.
        officers = BuyerMembership.objects.filter(buyer=award.tender.buyer).order_by("pk")
        self.officer = officers[turn % officers.count()].user
        if "officer" in entry:  # a later loader's contracts name their own signing officer
            self.officer = officers.get(user__email=entry["officer"]).user
        self.admin = (
            OrganisationMembership.objects.filter(
                organisation=award.bid.organisation, role=OrganisationMembership.Role.ADMIN
            )
            .order_by("pk")
            .first()
            .user
        )

    def run(self):
        entry, award, tender = self.entry, self.award, self.award.tender
        starts_on, ends_on = term_default(award)
        indicators = entry.get(
            "indicators", [{"name": "服务人次", "target": "500", "unit": "人次"}]
        )
        contract = contract_create(
            award=award,
            by=self.officer,
            amount=award.amount,
            starts_on=starts_on,
            ends_on=ends_on,
            deliverables=f"按《{tender.title}》采购文件、投标文件和本合同约定提供服务，"
            "按节点提交履约报告并接受验收。",
            indicators=indicators,
            breach_terms=demo_contracts.BREACH_TERMS,
            funding_source=tender.funding_source or "财政预算资金",
        )
        self.sign_as_officer(contract)
        if entry["state"] == "unsigned":
            return
        contract_sign(contract=contract, by=self.admin)
        milestones = list(contract.milestones.order_by("position"))
        for milestone, spec in zip(milestones, entry.get("milestones", []), strict=False):
            self.deliver(contract, milestone, spec, indicators)
        if entry["state"] == "terminated":
            paid = sum(
                (
                    p.amount
                    for p in Payment.objects.filter(contract=contract, settled_at__isnull=False)
                ),
                Money(0, "CNY"),
            )
            share = Decimal(entry["clawback_share"])
            contract_terminate(
                contract=contract,
                by=self.officer,
                reason=entry["termination"],
                clawback=Money((paid.amount * share).quantize(Decimal("0.01")), "CNY"),
            )
        self.into_the_past(contract)

    def sign_as_officer(self, contract):
        """Sign with the officer's current TOTP code, as their authenticator app shows it
        (the demo stores a real secret). A code is refused if the 30-second step turned
        between making and checking it: then the next step's code is used."""
        for _attempt in range(2):
            try:
                return contract_sign(
                    contract=contract, by=self.officer, totp_code=_current_code(self.officer)
                )
            except ValidationError as error:
                if "totp_code" not in getattr(error, "error_dict", {}):
                    raise
                last = error
        raise last

    def deliver(self, contract, milestone, spec, indicators):
        report = milestone_report_submit(
            milestone=milestone,
            by=self.admin,
            narrative=demo_contracts.REPORT_NARRATIVE,
            indicator_values={item["name"]: item["target"] for item in indicators},
            beneficiaries=int(indicators[0]["target"]),
        )
        if spec["report"] == "returned":
            milestone_report_return(
                report=report, by=self.officer, reason=demo_contracts.RETURN_REASON
            )
            return
        milestone_report_accept(report=report, by=self.officer)
        if "paid" in spec:
            payment = Payment.objects.get(milestone=milestone)
            payment_record_treasury(
                payment=payment,
                by=self.officer,
                voucher_number=f"GK{timezone.localdate():%Y}{payment.pk:06d}",
                voucher_date=timezone.localdate(),
                file=ContentFile(VOUCHER, name="国库支付凭证.pdf"),
            )

    def into_the_past(self, contract):
        """Sign the contract `signed_days_ago` days ago, the award's notice ending three
        days before, and place each milestone event on its day after signing."""
        signed = timezone.now() - self.entry["signed_days_ago"] * DAY
        shift = signed - Contract.objects.values_list("signed_at", flat=True).get(pk=contract.pk)
        days = datetime.timedelta(days=shift.days)
        Award.objects.filter(pk=self.award.pk).update(
            published_at=F("published_at") + shift, notice_ends_at=F("notice_ends_at") + shift
        )
        EvaluationReport.objects.filter(pk=self.award.report_id).update(
            created_at=F("created_at") + shift, confirmed_at=F("confirmed_at") + shift
        )
        Contract.objects.filter(pk=contract.pk).update(
            created_at=F("created_at") + shift,
            signed_at=signed,
            starts_on=F("starts_on") + days,
            ends_on=F("ends_on") + days,
        )
        ContractVersion.objects.filter(contract=contract).update(
            created_at=F("created_at") + shift,
            buyer_signed_at=F("buyer_signed_at") + shift,
            organisation_signed_at=F("organisation_signed_at") + shift,
        )
        Milestone.objects.filter(contract=contract).update(due_on=F("due_on") + days)
        specs = self.entry.get("milestones", [])
        for milestone, spec in zip(contract.milestones.order_by("position"), specs, strict=False):
            reported = signed + spec["reported"] * DAY
            decided = signed + spec.get("accepted", spec.get("returned", 0)) * DAY
            MilestoneReport.objects.filter(milestone=milestone).update(
                submitted_at=reported, decided_at=decided
            )
            if "accepted" in spec:
                Milestone.objects.filter(pk=milestone.pk).update(accepted_at=decided)
                Payment.objects.filter(milestone=milestone).update(created_at=decided)
            if "paid" in spec:
                paid = signed + spec["paid"] * DAY
                Milestone.objects.filter(pk=milestone.pk).update(paid_at=paid)
                Payment.objects.filter(milestone=milestone).update(
                    settled_at=paid, voucher_date=timezone.localdate(paid)
                )
