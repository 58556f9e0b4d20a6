"""Writes about contracts (服务合同): draft one from a standing award, sign it (the buyer's
officer with a fresh TOTP check, the organisation's admin), vary it (变更) by a new version
signed by both, terminate it, and complete it when every milestone is paid.

The milestones' amounts always add up to the contract amount: `milestone_amounts` splits
exactly (the remainder to the last one), the services check every change, and on PostgreSQL
a deferred trigger checks it again at commit. Every status change goes through `transition()`.
"""

import datetime
from collections.abc import Sequence
from decimal import Decimal

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace import events, notifications, permissions
from marketplace.contract_terms import (
    CENT,
    HUNDRED,
    contract_terms,
    contract_text,
    due_dates,
    milestone_amounts,
    term_latest_end,
    text_hash,
)
from marketplace.dates import db_now
from marketplace.models import (
    Award,
    Contract,
    ContractVersion,
    Milestone,
    Payment,
)
from marketplace.selectors.awards import award_signable
from marketplace.selectors.payments import contract_balance

# services.payments imports this module too (a settled payment may complete its contract):
# both import the module, not its names, so either may be imported first.
from marketplace.services import payments as payment_services
from marketplace.services import ratings as rating_services
from marketplace.services.audit import audit_record
from marketplace.workflows import transition

# Milestones the buyer may still change by a variation, and those termination cancels.
CHANGEABLE = (Milestone.Status.PENDING, Milestone.Status.SUBMITTED, Milestone.Status.RETURNED)
UNPAID = (*CHANGEABLE, Milestone.Status.ACCEPTED)


def _field_error(field, message, code) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _check_money(amount, field="amount"):
    if not isinstance(amount, Money):
        raise TypeError("amount must be a Money")
    value = Decimal(amount.amount)
    if str(amount.currency) != "CNY" or value <= 0 or value != value.quantize(CENT):
        raise _field_error(field, _("金额须为大于0的人民币金额，最多保留两位小数。"), "amount")


def _freeze_version(contract, *, number, by, milestones, reason="") -> ContractVersion:
    terms = contract_terms(contract, milestones)
    text = contract_text(terms, number=number, reason=reason)
    return ContractVersion.objects.create(
        contract=contract,
        number=number,
        reason=reason,
        terms=terms,
        text=text,
        sha256=text_hash(text),
        created_by=by,
        created_at=db_now(),
    )


def _lock_contract(contract) -> Contract:
    return Contract.objects.select_for_update(of=("self",)).get(pk=contract.pk)


def _check_text(field, value, limit, message):
    value = (value or "").strip()
    if not value:
        raise _field_error(field, message, "required")
    if len(value) > limit:
        raise _field_error(field, _("内容不能超过%(limit)d字。") % {"limit": limit}, "too_long")
    return value


def _check_indicators(indicators) -> list[dict]:
    rows = []
    for row in indicators or []:
        name = str(row.get("name", "")).strip()
        if not name:
            raise _field_error("indicators", _("每个绩效指标都需要名称。"), "indicators")
        rows.append(
            {
                "name": name,
                "target": str(row.get("target", "")).strip(),
                "unit": str(row.get("unit", "")).strip(),
            }
        )
    if len({row["name"] for row in rows}) != len(rows):
        raise _field_error("indicators", _("绩效指标名称不能重复。"), "indicators")
    return rows


@transaction.atomic
def contract_create(
    *,
    award,
    by,
    amount: Money,
    starts_on: datetime.date,
    ends_on: datetime.date,
    deliverables: str,
    indicators: list,
    breach_terms: str,
    funding_source: str,
) -> Contract:
    """Draft the contract of a standing award, as version 1 awaiting both signatures.

    Rules: `by` is an officer of the buyer; the award may be signed (notice period over, no
    open objection) and has no contract yet; the amount is at most the awarded amount; the
    term starts no earlier than the day the notice ends and lasts at most the tender's
    contract_months; milestones follow the tender's template, amounts split exactly and due
    dates spread over the term. The organisation's admins are emailed."""
    tender = award.tender
    if not permissions.is_buyer_officer(by, tender.buyer_id):
        raise PermissionDenied(_("只有购买主体的经办人可以起草合同。"))
    award = (
        Award.objects.select_for_update(of=("self",))
        .select_related("tender__buyer", "bid__organisation")
        .get(pk=award.pk)
    )
    if Contract.objects.filter(award=award).exists():
        raise ValidationError(_("该中标（成交）结果已有合同，不能重复起草。"), code="duplicate")
    if not award_signable(award):
        raise ValidationError(
            _("公示期尚未结束、结果已撤销或仍有未答复的质疑，暂不能签订合同。"),
            code="not_signable",
        )
    _check_money(amount)
    if amount > award.amount:
        raise _field_error(
            "amount",
            _("合同金额不能高于中标（成交）金额 %(award)s。") % {"award": award.amount},
            "over_award",
        )
    if not (isinstance(starts_on, datetime.date) and isinstance(ends_on, datetime.date)):
        raise TypeError("starts_on and ends_on must be dates")
    if starts_on >= ends_on:
        raise _field_error("ends_on", _("服务结束日期必须晚于开始日期。"), "term_order")
    notice_end = timezone.localdate(award.notice_ends_at)
    if starts_on < notice_end:
        raise _field_error(
            "starts_on",
            _("服务开始日期不能早于公示期结束日 %(day)s。") % {"day": notice_end.isoformat()},
            "too_early",
        )
    latest = term_latest_end(starts_on, tender.contract_months)
    if ends_on > latest:
        raise _field_error(
            "ends_on",
            _("服务期限不能超过项目约定的 %(months)d 个月（最晚至 %(day)s）。")
            % {"months": tender.contract_months, "day": latest.isoformat()},
            "term_too_long",
        )
    deliverables = _check_text("deliverables", deliverables, 10000, _("请填写服务内容与交付成果。"))
    breach_terms = _check_text("breach_terms", breach_terms, 5000, _("请填写违约责任。"))
    funding_source = _check_text("funding_source", funding_source, 200, _("请填写资金来源。"))
    indicators = _check_indicators(indicators)
    template = list(tender.milestones.all())
    if not template:
        raise ValidationError(_("项目未设置付款节点，不能起草合同。"), code="no_milestones")
    amounts = milestone_amounts(amount.amount, [row.percentage for row in template])
    if any(part <= 0 for part in amounts):
        raise _field_error(
            "amount", _("合同金额过小，按付款节点拆分后有节点金额为0。"), "too_small"
        )
    now = db_now()
    contract = Contract.objects.create(
        award=award,
        tender=tender,
        buyer=tender.buyer,
        organisation=award.bid.organisation,
        amount=amount,
        starts_on=starts_on,
        ends_on=ends_on,
        deliverables=deliverables,
        indicators=indicators,
        breach_terms=breach_terms,
        funding_source=funding_source,
        version=1,
        created_by=by,
        created_at=now,
    )
    milestones = Milestone.objects.bulk_create(
        Milestone(
            contract=contract,
            position=position,
            name=row.name,
            percentage=Decimal(row.percentage),
            amount=Money(part, "CNY"),
            due_on=due_on,
        )
        for position, (row, part, due_on) in enumerate(
            zip(template, amounts, due_dates(starts_on, ends_on, len(template)), strict=True)
        )
    )
    version = _freeze_version(contract, number=1, by=by, milestones=milestones)
    audit_record(
        obj=contract,
        by=by,
        action="create",
        to_status=contract.status,
        data={"amount": str(amount.amount), "sha256": version.sha256},
    )
    transaction.on_commit(lambda: notifications.contract_created(contract))
    return contract


def _pending_version(contract) -> ContractVersion | None:
    """The version awaiting signatures: version 1 of a draft, or a proposed variation."""
    version = (
        ContractVersion.objects.select_for_update()
        .filter(contract=contract, withdrawn_at__isnull=True)
        .order_by("-number")
        .first()
    )
    if version is None or version.is_signed:
        return None
    return version


def _check_totp(user, code: str):
    """A fresh second-factor check: a valid code of the user's own TOTP authenticator."""
    code = (code or "").strip().replace(" ", "")
    if not code:
        raise _field_error("totp_code", _("请输入身份验证器应用中的6位动态码。"), "totp_required")
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        raise _field_error(
            "totp_code", _("签署合同须先启用两步验证（身份验证器应用）。"), "totp_missing"
        )
    if not TOTP(authenticator).validate_code(code):
        raise _field_error("totp_code", _("动态码不正确或已使用，请重新输入。"), "totp_invalid")


def _apply_variation(contract, version, *, by):
    """Make a fully signed variation the terms in force: amount and unpaid milestones."""
    terms = version.terms
    contract.amount = Money(terms["amount"], "CNY")
    rows = {row["position"]: row for row in terms["milestones"]}
    existing = {m.position: m for m in contract.milestones.select_for_update()}
    for position, milestone in existing.items():
        row = rows.get(position)
        if milestone.status not in CHANGEABLE:
            if row is None or row["status"] in CHANGEABLE:
                # Accepted (or paid) since the variation was proposed: its amount is owed.
                raise ValidationError(
                    _("变更提出后，“%(name)s”已验收，请撤回本次变更后重新提出。")
                    % {"name": milestone.name},
                    code="stale_variation",
                )
            continue
        if row is None and milestone.reports.exists():
            raise ValidationError(
                _("变更提出后，“%(name)s”已提交履约报告，请撤回本次变更后重新提出。")
                % {"name": milestone.name},
                code="stale_variation",
            )
        if row is None:
            milestone.delete()
            continue
        milestone.name = row["name"]
        milestone.percentage = Decimal(row["percentage"])
        milestone.amount = Money(row["amount"], "CNY")
        milestone.due_on = datetime.date.fromisoformat(row["due_on"])
        milestone.save(update_fields=["name", "percentage", "amount", "due_on", "updated_at"])
    Milestone.objects.bulk_create(
        Milestone(
            contract=contract,
            position=position,
            name=row["name"],
            percentage=Decimal(row["percentage"]),
            amount=Money(row["amount"], "CNY"),
            due_on=datetime.date.fromisoformat(row["due_on"]),
        )
        for position, row in rows.items()
        if position not in existing
    )
    contract.version = version.number
    contract.save(update_fields=["amount", "version", "updated_at"])
    total = contract.milestones.aggregate(total=Sum("amount"))["total"]
    if total != contract.amount.amount:  # the database checks it again at commit
        raise ValidationError(_("付款节点金额合计与合同金额不符。"), code="sum_mismatch")
    audit_record(
        obj=contract,
        by=by,
        action="vary",
        data={"version": version.number, "amount": terms["amount"], "sha256": version.sha256},
    )
    transaction.on_commit(
        lambda: events.contract_varied.send(sender=Contract, instance=contract, version=version)
    )


@transaction.atomic
def contract_sign(*, contract, by, totp_code: str = "") -> ContractVersion:
    """Sign the version awaiting signatures, for the signer's side.

    Rules: the buyer's side is signed by one of its officers with a valid TOTP code of their
    own authenticator (a fresh MFA check); the organisation's side by one of its admins; each
    side signs once; the frozen text must still match its SHA-256. The second signature of
    version 1 puts the contract in force (DRAFT → ACTIVE); that of a variation applies it.
    The other side is emailed."""
    is_buyer = permissions.is_contract_buyer(by, contract)
    is_organisation = permissions.is_contract_organisation(by, contract)
    if not (is_buyer or is_organisation):
        raise PermissionDenied(_("只有合同双方的经办人或管理员可以签署合同。"))
    contract = _lock_contract(contract)
    version = _pending_version(contract)
    if version is None or contract.status not in (
        Contract.Status.DRAFT,
        Contract.Status.ACTIVE,
    ):
        raise ValidationError(_("当前没有待签署的合同版本。"), code="nothing_to_sign")
    if version.number == 1 and contract.status != Contract.Status.DRAFT:
        raise ValidationError(_("当前没有待签署的合同版本。"), code="nothing_to_sign")
    if version.number == 1 and contract.award.status != Award.Status.NOTICE:
        raise ValidationError(_("中标（成交）结果已撤销，不能签署合同。"), code="award_revoked")
    side = None
    if is_buyer and version.buyer_signed_at is None:
        side = "buyer"
    elif is_organisation and version.organisation_signed_at is None:
        side = "organisation"
    if side is None:
        raise ValidationError(_("您一方已签署该版本，无需重复签署。"), code="already_signed")
    if side == "buyer":
        _check_totp(by, totp_code)
    if text_hash(version.text) != version.sha256:
        raise ValidationError(_("合同文本与签署摘要不符，不能签署。"), code="text_changed")
    now = db_now()
    setattr(version, f"{side}_signed_by", by)
    setattr(version, f"{side}_signed_at", now)
    version.save(update_fields=[f"{side}_signed_by", f"{side}_signed_at"])
    audit_record(
        obj=contract,
        by=by,
        action="sign",
        data={"version": version.number, "side": side, "sha256": version.sha256},
    )
    if version.is_signed:
        if version.number == 1:
            contract.signed_at = now
            contract.save(update_fields=["signed_at", "updated_at"])
            transition(contract, Contract.Status.ACTIVE, by=by)
        else:
            _apply_variation(contract, version, by=by)
    transaction.on_commit(lambda: notifications.contract_signed(contract, version, side))
    return version


def _parse_rows(milestones) -> list[tuple[str, Money, datetime.date]]:
    rows = []
    for row in milestones:
        name, amount, due_on = row
        name = (name or "").strip()
        if not name or len(name) > 60:
            raise _field_error(
                "milestones", _("每个付款节点都需要名称（不超过60字）。"), "milestone_name"
            )
        _check_money(amount, field="milestones")
        if not isinstance(due_on, datetime.date):
            raise _field_error("milestones", _("请填写每个付款节点的计划完成日期。"), "due_on")
        rows.append((name, amount, due_on))
    return rows


@transaction.atomic
def contract_vary(
    *, contract, by, reason: str, amount: Money, milestones: Sequence
) -> ContractVersion:
    """Propose a variation (变更): a new version with a new amount and new unpaid milestones.

    Rules: `by` is an officer of the buyer; the contract is in force; a reason is given; no
    other variation awaits signatures; the amount is at most the awarded amount. Accepted and
    paid milestones stay as they are; `milestones` — (name, amount, due_on) rows — replace the
    others in order (one with reports cannot be removed); due dates fall within the term; the
    milestones add up to the amount. It applies once both sides sign. The organisation is
    emailed."""
    if not permissions.is_contract_buyer(by, contract):
        raise PermissionDenied(_("只有购买主体的经办人可以提出合同变更。"))
    reason = _check_text("reason", reason, 2000, _("请填写变更理由，理由将告知对方。"))
    _check_money(amount)
    rows = _parse_rows(milestones)
    contract = _lock_contract(contract)
    if contract.status != Contract.Status.ACTIVE:
        raise ValidationError(_("只有履约中的合同可以变更。"), code="not_active")
    if _pending_version(contract) is not None:
        raise ValidationError(
            _("已有一项变更等待双方签署，请先完成或撤回该变更。"), code="pending_variation"
        )
    if amount > contract.award.amount:
        raise _field_error(
            "amount",
            _("合同金额不能高于中标（成交）金额 %(award)s。") % {"award": contract.award.amount},
            "over_award",
        )
    current = list(contract.milestones.select_for_update().order_by("position"))
    fixed = [m for m in current if m.status not in CHANGEABLE]
    changeable = [m for m in current if m.status in CHANGEABLE]
    for milestone in changeable[len(rows) :]:
        if milestone.reports.exists():
            raise _field_error(
                "milestones",
                _("“%(name)s”已提交过履约报告，不能删除。") % {"name": milestone.name},
                "has_reports",
            )
    for _name, _amount, due_on in rows:
        if not contract.starts_on <= due_on <= contract.ends_on:
            raise _field_error(
                "milestones",
                _("计划完成日期须在服务期限内（%(start)s 至 %(end)s）。")
                % {"start": contract.starts_on.isoformat(), "end": contract.ends_on.isoformat()},
                "due_outside_term",
            )
    total = sum((m.amount for m in fixed), Money(0, "CNY")) + sum(
        (row[1] for row in rows), Money(0, "CNY")
    )
    if total != amount:
        raise _field_error(
            "milestones",
            _("付款节点金额合计 %(total)s 与合同金额 %(amount)s 不符。")
            % {"total": total, "amount": amount},
            "sum_mismatch",
        )
    if not fixed and not rows:
        raise _field_error("milestones", _("请至少设置一个付款节点。"), "no_milestones")
    next_position = max((m.position for m in current), default=-1) + 1
    proposed = list(fixed)
    for index, (name, part, due_on) in enumerate(rows):
        position = changeable[index].position if index < len(changeable) else next_position
        if index >= len(changeable):
            next_position += 1
        proposed.append(
            Milestone(
                contract=contract,
                position=position,
                name=name,
                percentage=(part.amount * HUNDRED / amount.amount).quantize(CENT),
                amount=part,
                due_on=due_on,
                status=changeable[index].status
                if index < len(changeable)
                else Milestone.Status.PENDING,
            )
        )
    proposed.sort(key=lambda m: m.position)
    number = (contract.versions.order_by("-number").values_list("number", flat=True).first()) + 1
    # The proposed terms use the new amount; the contract itself changes only once signed.
    in_force_amount = contract.amount
    contract.amount = amount
    version = _freeze_version(contract, number=number, by=by, milestones=proposed, reason=reason)
    contract.amount = in_force_amount
    audit_record(
        obj=contract,
        by=by,
        action="propose_variation",
        reason=reason,
        data={"version": number, "amount": str(amount.amount), "sha256": version.sha256},
    )
    transaction.on_commit(lambda: notifications.contract_varied(contract, version))
    return version


@transaction.atomic
def contract_variation_withdraw(*, contract, by) -> ContractVersion:
    """Withdraw the variation awaiting signatures; the version stays readable, marked withdrawn.

    Rules: `by` is an officer of the buyer; a variation (not version 1) awaits signatures."""
    if not permissions.is_contract_buyer(by, contract):
        raise PermissionDenied(_("只有购买主体的经办人可以撤回合同变更。"))
    contract = _lock_contract(contract)
    version = _pending_version(contract)
    if version is None or version.number == 1:
        raise ValidationError(_("当前没有待签署的合同变更。"), code="no_variation")
    version.withdrawn_at = db_now()
    version.save(update_fields=["withdrawn_at"])
    audit_record(obj=contract, by=by, action="withdraw_variation", data={"version": version.number})
    return version


@transaction.atomic
def contract_terminate(*, contract, by, reason: str, clawback: Money | None = None) -> Contract:
    """Terminate a contract early (e.g. after a failed mid-term review), with a reason.

    Rules: `by` is an officer of the buyer; the contract is a draft or in force; a reason is
    given (it is public to both sides). Every unpaid milestone is cancelled, a variation
    awaiting signatures is withdrawn; an optional clawback, at most what was paid net of
    refunds, is refunded from the latest settled payments first. The organisation is
    emailed."""
    if not permissions.is_contract_buyer(by, contract):
        raise PermissionDenied(_("只有购买主体的经办人可以终止合同。"))
    reason = _check_text("reason", reason, 2000, _("请填写终止理由，理由将告知对方。"))
    if clawback is not None:
        _check_money(clawback, field="clawback")
    contract = _lock_contract(contract)
    if contract.status not in (Contract.Status.DRAFT, Contract.Status.ACTIVE):
        raise ValidationError(
            _("合同当前状态为“%(status)s”，不能终止。") % {"status": contract.get_status_display()},
            code="wrong_status",
        )
    if clawback is not None:
        paid = contract_balance(contract)["net_paid"]
        if clawback > paid:
            raise _field_error(
                "clawback",
                _("追回金额 %(clawback)s 超过已支付金额 %(paid)s。")
                % {"clawback": clawback, "paid": paid},
                "over_paid",
            )
    now = db_now()
    transition(contract, Contract.Status.TERMINATED, by=by, reason=reason)
    for milestone in contract.milestones.filter(status__in=UNPAID).order_by("position"):
        transition(milestone, Milestone.Status.CANCELLED, by=by, reason=reason)
    contract.versions.filter(withdrawn_at__isnull=True).exclude(
        buyer_signed_at__isnull=False, organisation_signed_at__isnull=False
    ).update(withdrawn_at=now)
    if clawback is not None:
        remaining = clawback
        settled = (
            Payment.objects.select_for_update()
            .filter(
                contract=contract,
                status__in=(Payment.Status.SUCCEEDED, Payment.Status.REFUNDED),
            )
            .order_by("-settled_at", "-pk")
        )
        for payment in settled:
            if remaining.amount <= 0:
                break
            refundable = payment.amount - (payment.refunded_amount or Money(0, "CNY"))
            part = min(remaining, refundable)
            if part.amount <= 0:
                continue
            payment_services.payment_refund(payment=payment, by=by, amount=part, reason=reason)
            remaining -= part
        audit_record(
            obj=contract,
            by=by,
            action="clawback",
            reason=reason,
            data={"amount": str(clawback.amount)},
        )
    transaction.on_commit(lambda: notifications.contract_terminated(contract, reason))
    return contract


@transaction.atomic
def contract_complete_if_done(contract) -> bool:
    """Complete a contract in force, by the platform, once every milestone is paid or
    cancelled and at least one is paid. Called after a payment settles; True if completed."""
    contract = _lock_contract(contract)
    if contract.status != Contract.Status.ACTIVE:
        return False
    statuses = set(contract.milestones.values_list("status", flat=True))
    if Milestone.Status.PAID not in statuses or not statuses <= {
        Milestone.Status.PAID,
        Milestone.Status.CANCELLED,
    }:
        return False
    transition(contract, Contract.Status.COMPLETED, by=None)
    # Completion opens the two-way evaluation both sides owe (issue 6).
    rating_services.rating_round_open(contract=contract)
    return True
