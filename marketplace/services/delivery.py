"""Writes about delivery and acceptance (验收): the organisation submits a milestone report
(履约报告), the buyer accepts it — which releases the milestone's payment — or returns it
with reasons, after which the organisation may report again.

The milestone row is locked before anything is decided, so a double click or two officers
accepting at once accept (and pay) once. Every status change of a milestone goes through
`transition()`, a report's decision too."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from marketplace import notifications, permissions
from marketplace.dates import db_now
from marketplace.models import Contract, Milestone, MilestoneReport, MilestoneReportDocument
from marketplace.services.audit import audit_record
from marketplace.services.documents import documents_check
from marketplace.services.payments import payment_create_for_milestone
from marketplace.workflows import transition

NARRATIVE_MAX = 10000
INDICATOR_VALUE_MAX = 200
REASON_MAX = 2000
REPORTABLE = (Milestone.Status.PENDING, Milestone.Status.RETURNED)


def _field_error(field, message, code) -> ValidationError:
    """An error on one form field that keeps its code (a plain dict would drop it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _indicator_text(value) -> str | None:
    """A value as text: strings as given, integers and Decimals as written; anything else
    (None, bool, float, lists) is not a value."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | Decimal):
        return str(value)
    return None


def _check_indicator_values(contract, indicator_values) -> dict[str, str]:
    """One non-empty value for each of the contract's indicators, and nothing else."""
    if not isinstance(indicator_values, dict):
        raise _field_error("indicator_values", _("指标完成值格式不正确。"), "invalid")
    names = [indicator["name"] for indicator in contract.indicators or []]
    unknown = sorted(str(name) for name in indicator_values if name not in names)
    if unknown:
        raise _field_error(
            "indicator_values",
            _("合同中没有这些绩效指标：%(names)s。") % {"names": "、".join(unknown)},
            "unknown_indicator",
        )
    cleaned = {}
    for name in names:
        text = _indicator_text(indicator_values.get(name))
        if not text:
            raise _field_error(
                "indicator_values",
                _("请填写指标“%(name)s”的完成值。") % {"name": name},
                "indicator_required",
            )
        if len(text) > INDICATOR_VALUE_MAX:
            raise _field_error(
                "indicator_values",
                _("指标“%(name)s”的完成值不能超过%(max)d字。")
                % {"name": name, "max": INDICATOR_VALUE_MAX},
                "too_long",
            )
        cleaned[name] = text
    return cleaned


def _check_beneficiaries(beneficiaries) -> int:
    if isinstance(beneficiaries, bool) or not isinstance(beneficiaries, int) or beneficiaries < 0:
        raise _field_error("beneficiaries", _("服务人次须为不小于0的整数。"), "invalid")
    return beneficiaries


def _lock_milestone(milestone) -> Milestone:
    """The milestone row, locked until the transaction ends, with its contract."""
    return (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("contract")
        .get(pk=milestone.pk)
    )


def _check_contract_active(contract) -> None:
    if contract.status != Contract.Status.ACTIVE:
        raise ValidationError(
            _("合同当前状态为“%(status)s”，不能提交或验收履约报告。")
            % {"status": contract.get_status_display()},
            code="contract_not_active",
        )


@transaction.atomic
def milestone_report_submit(
    *, milestone, by, narrative, indicator_values, beneficiaries, files=()
) -> MilestoneReport:
    """Submit the organisation's report on a milestone for acceptance (验收).

    Rules: `by` is a member of the contract's organisation; the contract is in force; the
    milestone waits for a report (pending, or returned); the narrative is given; there is
    one non-empty value for each contract indicator and no other; beneficiaries is a whole
    number ≥ 0; documents pass the upload checks. The milestone moves to SUBMITTED and the
    buyer's officers are emailed."""
    contract = milestone.contract
    if not permissions.can_report_on_contract(by, contract):
        raise PermissionDenied(_("只有承接主体的成员可以提交履约报告。"))
    narrative = (narrative or "").strip()
    if not narrative:
        raise _field_error("narrative", _("请填写履约情况。"), "required")
    if len(narrative) > NARRATIVE_MAX:
        raise _field_error(
            "narrative", _("履约情况不能超过%(max)d字。") % {"max": NARRATIVE_MAX}, "too_long"
        )
    values = _check_indicator_values(contract, indicator_values)
    beneficiaries = _check_beneficiaries(beneficiaries)
    checked = documents_check(files, limit=settings.DOCUMENTS_PER_UPLOAD)

    milestone = _lock_milestone(milestone)
    _check_contract_active(milestone.contract)
    if milestone.status not in REPORTABLE:
        raise ValidationError(
            _("履约节点“%(name)s”当前状态为“%(status)s”，不能提交履约报告。")
            % {"name": milestone.name, "status": milestone.get_status_display()},
            code="wrong_status",
        )
    transition(milestone, Milestone.Status.SUBMITTED, by=by)
    report = MilestoneReport.objects.create(
        milestone=milestone,
        narrative=narrative,
        indicator_values=values,
        beneficiaries=beneficiaries,
        submitted_by=by,
        submitted_at=db_now(),
    )
    for document in checked:
        MilestoneReportDocument.objects.create(report=report, **document)
    audit_record(
        obj=report,
        by=by,
        action="submit",
        to_status=report.status,
        data={
            "milestone": milestone.pk,
            "beneficiaries": beneficiaries,
            "documents": [document["sha256"] for document in checked],
        },
    )
    transaction.on_commit(lambda: notifications.milestone_report_submitted(report))
    return report


def _check_decider(report, by) -> None:
    if not permissions.is_contract_buyer(by, report.milestone.contract):
        raise PermissionDenied(_("只有购买主体的经办人可以验收履约报告。"))


def _lock_for_decision(report) -> tuple[Milestone, MilestoneReport]:
    """Lock the milestone (then the report) and check that the report still waits for a
    decision. Locking the milestone first serialises a double click: the second call waits,
    then finds the report decided."""
    milestone = _lock_milestone(report.milestone)
    report = MilestoneReport.objects.select_for_update().get(pk=report.pk)
    if report.status != MilestoneReport.Status.SUBMITTED:
        raise ValidationError(
            _("该履约报告已处理（%(status)s），不能重复验收或退回。")
            % {"status": report.get_status_display()},
            code="already_decided",
        )
    _check_contract_active(milestone.contract)
    return milestone, report


def _decide(report, *, by, status, reason, now) -> None:
    transition(report, status, by=by, reason=reason)
    report.decision_reason = reason
    report.decided_by = by
    report.decided_at = now
    report.save(update_fields=["decision_reason", "decided_by", "decided_at", "updated_at"])


@transaction.atomic
def milestone_report_accept(*, report, by) -> MilestoneReport:
    """Accept a milestone report (验收合格) and release the milestone's payment.

    Rules: `by` is an officer of the contract's buyer; the contract is in force; the report
    waits for a decision (a second accept is refused). The report and the milestone become
    ACCEPTED, `accepted_at` is the database's time, and the milestone's one payment is
    created in the same transaction. The organisation is emailed."""
    _check_decider(report, by)
    milestone, report = _lock_for_decision(report)
    now = db_now()
    milestone = transition(milestone, Milestone.Status.ACCEPTED, by=by)
    milestone.accepted_at = now
    milestone.save(update_fields=["accepted_at", "updated_at"])
    _decide(report, by=by, status=MilestoneReport.Status.ACCEPTED, reason="", now=now)
    payment_create_for_milestone(milestone=milestone, by=by)
    transaction.on_commit(lambda: notifications.milestone_report_decided(report))
    return report


@transaction.atomic
def milestone_report_return(*, report, by, reason) -> MilestoneReport:
    """Return a milestone report with reasons (验收不合格，退回修改).

    Rules: `by` is an officer of the contract's buyer; the reason is given (it is sent to
    the organisation); the contract is in force; the report waits for a decision. The
    report and the milestone become RETURNED; the organisation may report again."""
    _check_decider(report, by)
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("请填写退回理由，理由将告知承接主体。"), "required")
    if len(reason) > REASON_MAX:
        raise _field_error(
            "reason", _("退回理由不能超过%(max)d字。") % {"max": REASON_MAX}, "too_long"
        )
    milestone, report = _lock_for_decision(report)
    transition(milestone, Milestone.Status.RETURNED, by=by, reason=reason)
    _decide(report, by=by, status=MilestoneReport.Status.RETURNED, reason=reason, now=db_now())
    transaction.on_commit(lambda: notifications.milestone_report_decided(report))
    return report
