"""Writes of an evaluation: an expert's scores and non-compliance findings, and the
evaluation report (评审报告) — frozen, withdrawn before confirmation, confirmed by the panel.

Scoring is open only while the tender is EVALUATING and has no current report; every write
here locks the tender row first, so a score cannot slip in while the report is being frozen.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import permissions, scoring
from marketplace.models import (
    ComplianceFlag,
    EvaluationReport,
    PanelMember,
    ReportConfirmation,
    Score,
    Tender,
)
from marketplace.selectors.evaluations import evaluation_results
from marketplace.selectors.tenders import method_rules
from marketplace.services.audit import audit_record

CENT = Decimal("0.01")


def _lock_tender(pk) -> Tender:
    return Tender.objects.select_for_update(of=("self",)).get(pk=pk)


def _has_current_report(tender) -> bool:
    return EvaluationReport.objects.filter(tender=tender, superseded_at__isnull=True).exists()


def _check_scoring_open(tender) -> None:
    if tender.status != Tender.Status.EVALUATING:
        raise ValidationError(
            _("项目不在评审阶段，不能评分，未作任何更改。"), code="not_evaluating"
        )
    if _has_current_report(tender):
        raise ValidationError(
            _("评审报告已生成，评分已锁定；如需修改，请采购人先撤回评审报告。"),
            code="report_exists",
        )


def _lock_seat(member, by):
    """The seat re-read with its tender locked; refuses a stranger, an inactive seat and a
    tender whose scoring is closed."""
    member = PanelMember.objects.select_related("expert__user").get(pk=member.pk)
    if not (by and by.is_authenticated and member.expert.user_id == by.pk):
        raise PermissionDenied(_("只有该评审席位的专家本人可以评审。"))
    tender = _lock_tender(member.tender_id)
    if member.status != PanelMember.Status.ACTIVE:
        raise ValidationError(
            _("您在本项目的评审席位不在评审中（未声明利益冲突或已回避），不能评审。"),
            code="seat_inactive",
        )
    _check_scoring_open(tender)
    return member, tender


def _row_for(tender, bid):
    """The bid's row in the live results, or a ValidationError if it is not one of the
    tender's live bids sent to the panel (公益创投: passed 初审)."""
    results = evaluation_results(tender)
    row = next((row for row in results.rows if row.bid.pk == bid.pk), None)
    if row is None or row.screened_out:
        raise ValidationError(_("该投标不在本项目的评审范围内。"), code="bid_not_evaluated")
    return results, row


def _points(value) -> Decimal | None:
    if isinstance(value, float):
        return None  # a float has already lost the exact value the expert typed
    try:
        points = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return points if points.is_finite() else None


@transaction.atomic
def score_submit(*, member, bid, by, scores) -> list[Score]:
    """Save an expert's scores for one bid, all criteria at once (or nothing).

    `scores` maps each non-price criterion id to (points, comment). Rules: `by` is the seat's
    expert; the seat is active; the tender is EVALUATING with no current report; the bid is
    valid (not found non-compliant by the panel, not screened out); every non-price criterion
    and no other is scored; 0 ≤ points ≤ weight with at most two decimals; a comment for each.
    """
    member, tender = _lock_seat(member, by)
    _results, row = _row_for(tender, bid)
    if not row.valid:
        raise ValidationError(_("该投标已被评审小组认定为无效投标，不再评分。"), code="bid_invalid")
    criteria = {c.pk: c for c in tender.criteria.all()}
    scored = {pk: c for pk, c in criteria.items() if not c.is_price}
    try:
        scores = {int(pk): value for pk, value in scores.items()}
    except (TypeError, ValueError) as error:
        raise ValidationError(_("评分项无效，未作任何更改。"), code="bad_criterion") from error
    errors = {}
    for pk in scores:
        if pk not in criteria:
            errors.setdefault("__all__", []).append(_("评分项 %(pk)s 不属于本项目。") % {"pk": pk})
        elif criteria[pk].is_price:
            errors.setdefault("__all__", []).append(
                _("「%(name)s」是价格分，由系统按最低评标价法计算，专家不评分。")
                % {"name": criteria[pk].name}
            )
    clean = {}
    for pk, criterion in scored.items():
        names = {"name": criterion.name, "weight": criterion.weight}
        if pk not in scores:
            errors[f"points_{pk}"] = [_("请为「%(name)s」评分。") % names]
            continue
        raw_points, comment = scores[pk]
        points = _points(raw_points)
        if points is None:
            errors[f"points_{pk}"] = [_("「%(name)s」的得分不是有效数字。") % names]
        elif points < 0 or points > criterion.weight:
            errors[f"points_{pk}"] = [_("「%(name)s」的得分须在 0 到 %(weight)s 分之间。") % names]
        elif points != points.quantize(CENT):
            errors[f"points_{pk}"] = [_("「%(name)s」的得分最多保留两位小数。") % names]
        comment = str(comment or "").strip()
        if not comment:
            errors[f"comment_{pk}"] = [_("请填写「%(name)s」的评语。") % names]
        clean[pk] = (points, comment)
    if errors:
        raise ValidationError(errors, code="invalid_scores")

    saved = []
    for pk, (points, comment) in clean.items():
        score, _created = Score.objects.update_or_create(
            member=member,
            bid=bid,
            criterion_id=pk,
            defaults={"points": points.quantize(CENT), "comment": comment},
        )
        saved.append(score)
    audit_record(
        obj=member,
        by=by,
        action="score",
        data={"bid": bid.pk, "points": {str(pk): str(p) for pk, (p, _c) in clean.items()}},
    )
    return saved


@transaction.atomic
def compliance_flag(*, member, bid, by, reason) -> ComplianceFlag:
    """Record (or reword) an expert's finding that a bid does not comply, with the reason.

    Same seat and tender rules as scoring. The bid becomes invalid once more than half of
    the active panel has flagged it."""
    member, tender = _lock_seat(member, by)
    _row_for(tender, bid)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请说明投标不符合要求的理由。")}, code="required")
    flag, created = ComplianceFlag.objects.update_or_create(
        member=member, bid=bid, defaults={"reason": reason}
    )
    audit_record(
        obj=member,
        by=by,
        action="flag" if created else "flag_update",
        reason=reason,
        data={"bid": bid.pk},
    )
    return flag


@transaction.atomic
def compliance_unflag(*, member, bid, by) -> None:
    """Withdraw an expert's own non-compliance finding on a bid (same seat and tender rules)."""
    member, tender = _lock_seat(member, by)
    _row_for(tender, bid)
    deleted, _rows = ComplianceFlag.objects.filter(member=member, bid=bid).delete()
    if not deleted:
        raise ValidationError(_("您没有认定该投标为无效投标。"), code="no_flag")
    audit_record(obj=member, by=by, action="unflag", data={"bid": bid.pk})


def _money(value) -> str:
    return f"{value.amount:.2f}"


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _shown(value: Decimal | None) -> str | None:
    return None if value is None else str(scoring.round_total(value))


def report_snapshot(results) -> dict:
    """The frozen content of a report: everything the printed report shows, Decimals as
    strings (exact values, plus the two-place values as published), lists in display order."""
    scored = [c for c in results.criteria if not c.is_price]
    members = results.members
    bids = []
    for row in results.rows:
        experts = []
        for member in members:
            given = row.by_expert.get(member.pk, {})
            experts.append(
                {
                    "member": member.pk,
                    "scores": [
                        {
                            "criterion": c.pk,
                            "points": _num(given[c.pk].points) if c.pk in given else None,
                            "comment": given[c.pk].comment if c.pk in given else "",
                        }
                        for c in scored
                    ],
                }
            )
        bids.append(
            {
                "bid": row.bid.pk,
                "organisation": row.bid.organisation.name,
                "amount": _money(row.bid.amount),
                "valid": row.valid,
                "screened_out": row.screened_out,
                "flags": [
                    {
                        "member": flag.member_id,
                        "expert": str(flag.member.expert.user),
                        "reason": flag.reason,
                    }
                    for flag in row.flags
                ],
                "experts": experts,
                "panel": [
                    {
                        "criterion": c.pk,
                        "score": _num(row.panel.get(c.pk)),
                        "shown": _shown(row.panel.get(c.pk)),
                    }
                    for c in scored
                ],
                "technical": _num(row.technical) if row.valid else None,
                "technical_shown": _shown(row.technical) if row.valid else None,
                "price_score": _num(row.price_points) if row.valid else None,
                "price_score_shown": _shown(row.price_points) if row.valid else None,
                "total": _num(row.total),
                "rank": row.rank,
            }
        )
    recommended = results.recommended
    return {
        "tender": {
            "id": results.tender.pk,
            "title": results.tender.title,
            "reference": results.tender.reference,
            "method": results.tender.get_method_display(),
        },
        "criteria": [
            {"id": c.pk, "name": c.name, "weight": c.weight, "is_price": c.is_price}
            for c in results.criteria
        ],
        "experts": [
            {
                "member": member.pk,
                "name": str(member.expert.user),
                "title": member.expert.title,
                "employer": member.expert.employer,
            }
            for member in members
        ],
        "bids": bids,
        "recommended": recommended.bid.pk if recommended else None,
    }


@transaction.atomic
def report_create(*, tender, by) -> EvaluationReport:
    """Freeze the evaluation into a numbered report and lock scoring.

    Rules: `by` may run the evaluation; the tender is EVALUATING with no current report;
    the active panel has at least the method's minimum size; at least one bid is valid
    (otherwise the buyer declares 流标); every active expert scored every valid bid."""
    if not permissions.can_run_evaluation(by, tender):
        raise PermissionDenied(_("只有采购人（或受托运营机构）可以生成评审报告。"))
    tender = _lock_tender(tender.pk)
    if tender.status != Tender.Status.EVALUATING:
        raise ValidationError(_("项目不在评审阶段，不能生成评审报告。"), code="not_evaluating")
    if _has_current_report(tender):
        raise ValidationError(
            _("已有评审报告；如需重新生成，请先撤回现有报告。"), code="report_exists"
        )
    results = evaluation_results(tender)
    panel_min = method_rules(tender.method)["panel_min"]
    if len(results.members) < panel_min:
        raise ValidationError(
            _("评审小组在评人数 %(count)d 人，少于本采购方式要求的 %(min)d 人。")
            % {"count": len(results.members), "min": panel_min},
            code="panel_too_small",
        )
    if not any(row.valid for row in results.rows):
        raise ValidationError(
            _("没有有效投标，不能生成评审报告；请宣布流标（废标）并说明理由。"),
            code="no_valid_bid",
        )
    if not results.complete:
        missing = [
            str(member.expert.user)
            for member in results.members
            if results.progress[member.pk][0] < results.progress[member.pk][1]
        ]
        raise ValidationError(
            _("评分尚未完成：%(experts)s 还有投标未评分。") % {"experts": "、".join(missing)},
            code="incomplete",
        )
    number = (tender.reports.aggregate(top=Max("number"))["top"] or 0) + 1
    report = EvaluationReport.objects.create(
        tender=tender,
        number=number,
        results=report_snapshot(results),
        recommended=results.recommended.bid,
        created_by=by,
    )
    audit_record(obj=report, by=by, action="create", data={"recommended": report.recommended_id})
    return report


def _lock_report(report) -> EvaluationReport:
    return (
        EvaluationReport.objects.select_for_update(of=("self",))
        .select_related("tender")
        .get(pk=report.pk)
    )


@transaction.atomic
def report_withdraw(*, report, by) -> EvaluationReport:
    """Withdraw the current report before the panel has confirmed it; scoring reopens."""
    if not permissions.can_run_evaluation(by, report.tender):
        raise PermissionDenied(_("只有采购人（或受托运营机构）可以撤回评审报告。"))
    _lock_tender(report.tender_id)
    report = _lock_report(report)
    if report.superseded_at is not None:
        raise ValidationError(_("该评审报告已作废。"), code="superseded")
    if report.confirmed_at is not None:
        raise ValidationError(_("评审报告已经全体专家确认，不能撤回。"), code="confirmed")
    report.superseded_at = timezone.now()
    report.save(update_fields=["superseded_at"])
    audit_record(obj=report, by=by, action="withdraw")
    return report


@transaction.atomic
def report_confirm(*, report, by) -> ReportConfirmation:
    """An active expert of the tender signs the current report; when every active expert
    has signed, the report is confirmed (confirmed_at) and the buyer may award."""
    report = _lock_report(report)
    member = (
        PanelMember.objects.filter(
            tender_id=report.tender_id, expert__user=by, status=PanelMember.Status.ACTIVE
        ).first()
        if by and by.is_authenticated
        else None
    )
    if member is None:
        raise PermissionDenied(_("只有本项目评审小组的在评专家可以确认评审报告。"))
    if report.superseded_at is not None:
        raise ValidationError(_("该评审报告已作废，无需确认。"), code="superseded")
    if ReportConfirmation.objects.filter(report=report, member=member).exists():
        raise ValidationError(_("您已确认过该评审报告。"), code="already_confirmed")
    confirmation = ReportConfirmation.objects.create(report=report, member=member)
    audit_record(obj=report, by=by, action="confirm", data={"member": member.pk})
    active = set(
        PanelMember.objects.filter(
            tender_id=report.tender_id, status=PanelMember.Status.ACTIVE
        ).values_list("pk", flat=True)
    )
    signed = set(report.confirmations.values_list("member_id", flat=True))
    if active <= signed:
        report.confirmed_at = timezone.now()
        report.save(update_fields=["confirmed_at"])
        audit_record(obj=report, by=by, action="confirmed")
    return confirmation
