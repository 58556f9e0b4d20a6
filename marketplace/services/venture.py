"""Writes about a 公益创投 round: 初审 of each proposal, the presentation (答辩) schedule, and
the funding decision, which funds the ranking in order while the pool lasts and publishes
the funded list through the award service (notice period, objections)."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace import permissions
from marketplace.dates import db_now
from marketplace.models import (
    Award,
    Bid,
    BidScreening,
    EvaluationReport,
    PresentationSlot,
    Tender,
)
from marketplace.selectors.venture import FundingPlan, funding_plan, funding_ranking
from marketplace.services.audit import audit_record
from marketplace.services.awards import awards_publish

REASON_MAX = 2000
PLACE_MAX = 120
MINUTES_RANGE = (5, 240)
GAP_RANGE = (0, 240)


def _require_runner(by, tender):
    if not permissions.can_run_evaluation(by, tender):
        raise PermissionDenied(_("只有采购人经办人或受委托的公益创投运营方可以管理本轮评审。"))


def _lock_round(tender) -> Tender:
    """Lock a 公益创投 round that is past its opening and not yet reported on."""
    tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
    if not tender.is_venture:
        raise ValidationError(_("只有公益创投项目有初审和答辩安排。"), code="not_venture")
    if tender.status not in (Tender.Status.OPENED, Tender.Status.EVALUATING):
        raise ValidationError(
            _("项目当前状态为“%(status)s”，只有开标后、评审中的公益创投可以初审或安排答辩。")
            % {"status": tender.get_status_display()},
            code="wrong_status",
        )
    if EvaluationReport.objects.filter(tender=tender, superseded_at__isnull=True).exists():
        raise ValidationError(
            _("评审报告已生成，初审结果和答辩安排不能再修改。"), code="report_exists"
        )
    return tender


@transaction.atomic
def proposal_screen(*, bid, by, passed: bool, reason: str) -> BidScreening:
    """Record the 初审 of a proposal: pass or fail, with the reason.

    Rules: `by` may run the round (officer, or delegated operator admin); the round is
    opened or under evaluation and has no current report; the proposal is live; a reason
    is given. Screening again replaces the result; a proposal that now fails loses its
    presentation slot."""
    tender = bid.tender
    _require_runner(by, tender)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写初审理由。")}, code="reason_required")
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("初审理由不能超过%(max)d字。") % {"max": REASON_MAX}}, code="too_long"
        )
    tender = _lock_round(tender)
    bid = Bid.objects.select_for_update(of=("self",)).filter(Bid.LIVE, tender=tender, pk=bid.pk)
    bid = bid.select_related("organisation").first()
    if bid is None:
        raise ValidationError(_("该申报不是本轮的有效申报。"), code="not_live")
    previous = BidScreening.objects.filter(bid=bid).first()
    screening, _created = BidScreening.objects.update_or_create(
        bid=bid,
        defaults={
            "passed": bool(passed),
            "reason": reason,
            "screened_by": by,
            "screened_at": db_now(),
        },
    )
    removed_slot = False
    if not passed:
        removed_slot = PresentationSlot.objects.filter(bid=bid).delete()[0] > 0
    audit_record(
        obj=bid,
        by=by,
        action="screen",
        reason=reason,
        data={
            "passed": bool(passed),
            "previous": None if previous is None else previous.passed,
            "slot_removed": removed_slot,
        },
    )
    return screening


def _check_schedule(starts_at, minutes, place, gap_minutes, now):
    errors = {}
    if starts_at is None:
        errors["starts_at"] = [_("请填写答辩开始时间。")]
    elif starts_at <= now:
        errors["starts_at"] = [_("答辩开始时间必须晚于现在。")]
    low, high = MINUTES_RANGE
    if minutes is None or not low <= minutes <= high:
        errors["minutes"] = [
            _("每个项目的答辩时长须在%(low)d至%(high)d分钟之间。") % {"low": low, "high": high}
        ]
    low, high = GAP_RANGE
    if gap_minutes is None or not low <= gap_minutes <= high:
        errors["gap_minutes"] = [
            _("项目之间的间隔须在%(low)d至%(high)d分钟之间。") % {"low": low, "high": high}
        ]
    if not place:
        errors["place"] = [_("请填写答辩地点。")]
    elif len(place) > PLACE_MAX:
        errors["place"] = [_("答辩地点不能超过%(max)d字。") % {"max": PLACE_MAX}]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def presentations_schedule(
    *, tender, by, starts_at, minutes: int, place: str, gap_minutes: int = 0
) -> list[PresentationSlot]:
    """Schedule the presentations (答辩) of every proposal that passed 初审, one after the
    other in submission order from `starts_at`, `minutes` each with `gap_minutes` between;
    any earlier schedule of the round is replaced.

    Rules: `by` may run the round; the round is opened or under evaluation with no current
    report; the start is in the future; 5–240 minutes each, a 0–240 minute gap; a place;
    at least one proposal passed."""
    _require_runner(by, tender)
    place = (place or "").strip()
    _check_schedule(starts_at, minutes, place, gap_minutes, db_now())
    tender = _lock_round(tender)
    passed = list(
        Bid.objects.filter(Bid.LIVE, tender=tender, screening__passed=True).order_by(
            "submitted_at", "pk"
        )
    )
    if not passed:
        raise ValidationError(
            _("还没有通过初审的申报项目，请先完成初审再安排答辩。"), code="nobody_passed"
        )
    PresentationSlot.objects.filter(bid__tender=tender).delete()
    step = datetime.timedelta(minutes=minutes + gap_minutes)
    slots = PresentationSlot.objects.bulk_create(
        PresentationSlot(bid=bid, starts_at=starts_at + index * step, minutes=minutes, place=place)
        for index, bid in enumerate(passed)
    )
    audit_record(
        obj=tender,
        by=by,
        action="schedule_presentations",
        data={
            "starts_at": timezone.localtime(starts_at).isoformat(),
            "minutes": minutes,
            "gap_minutes": gap_minutes,
            "place": place,
            "bids": [bid.pk for bid in passed],
        },
    )
    return slots


def _confirmed_report(tender) -> EvaluationReport:
    report = EvaluationReport.objects.filter(tender=tender, superseded_at__isnull=True).first()
    if report is None or report.confirmed_at is None:
        raise ValidationError(
            _("评审报告尚未生成或尚未经全体专家确认，不能作出资助决定。"),
            code="report_unconfirmed",
        )
    return report


def _check_overrides(ranking, overrides) -> dict:
    """Lower amounts: each for a ranked proposal, CNY, > 0, at most the request, with a
    reason when lower. Errors are keyed amount_<bid id> / reason_<bid id> for the form;
    an amount equal to the request is no override and is dropped."""
    requested = {bid.pk: bid for bid, _rank, _total in ranking}
    errors, checked = {}, {}
    for bid_id, (amount, reason) in overrides.items():
        bid = requested.get(bid_id)
        if bid is None:
            errors.setdefault("__all__", []).append(
                _("申报 %(id)s 不在评审报告的有效排名中，不能调整资助金额。") % {"id": bid_id}
            )
            continue
        name = bid.organisation.name
        reason = (reason or "").strip()
        if not isinstance(amount, Money):
            raise TypeError("override amounts must be Money")
        value = Decimal(amount.amount)
        if str(amount.currency) != "CNY" or value <= 0 or value != value.quantize(Decimal("0.01")):
            errors[f"amount_{bid_id}"] = [
                _("“%(name)s”的资助金额须为大于0的人民币金额，最多两位小数。") % {"name": name}
            ]
        elif amount > bid.amount:
            errors[f"amount_{bid_id}"] = [
                _("“%(name)s”的资助金额 %(amount)s 不能高于其申请金额 %(asked)s。")
                % {"name": name, "amount": amount, "asked": bid.amount}
            ]
        elif amount < bid.amount and not reason:
            errors[f"reason_{bid_id}"] = [
                _("“%(name)s”按低于申请的金额资助，请填写理由，理由将随公告公开。") % {"name": name}
            ]
        elif len(reason) > REASON_MAX:
            errors[f"reason_{bid_id}"] = [_("理由不能超过%(max)d字。") % {"max": REASON_MAX}]
        elif amount < bid.amount:
            checked[bid_id] = (amount, reason)
    if errors:
        raise ValidationError(errors)
    return checked


def venture_fund_preview(*, tender, by, overrides=None) -> FundingPlan:
    """The funding plan from the current confirmed report with these lower amounts, without
    publishing anything (the same checks as venture_fund)."""
    _require_runner(by, tender)
    if not tender.is_venture:
        raise ValidationError(_("只有公益创投项目按资金池资助。"), code="not_venture")
    report = _confirmed_report(tender)
    checked = _check_overrides(funding_ranking(report), overrides or {})
    return funding_plan(tender, report=report, overrides=checked)


@transaction.atomic
def venture_fund(*, tender, by, overrides=None) -> list[Award]:
    """Decide the funding of a 公益创投 round and publish the funded list.

    The valid proposals of the current, confirmed report are funded in rank order while
    the pool (the budget) lasts; one that does not fit is skipped and the next that fits
    is funded. `overrides` maps a bid id to (lower amount, reason): never above the
    request, a reason when lower. The list is published by awards_publish (notice period,
    emails); the plan, skips and lower amounts are audited on the tender."""
    _require_runner(by, tender)
    tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
    if not tender.is_venture:
        raise ValidationError(_("只有公益创投项目按资金池资助。"), code="not_venture")
    if tender.status != Tender.Status.EVALUATING:
        raise ValidationError(
            _("项目当前状态为“%(status)s”，不能作出资助决定。")
            % {"status": tender.get_status_display()},
            code="wrong_status",
        )
    report = _confirmed_report(tender)
    checked = _check_overrides(funding_ranking(report), overrides or {})
    plan = funding_plan(tender, report=report, overrides=checked)
    if not plan.funded:
        raise ValidationError(
            _("资金池 %(pool)s 不足以资助任何一个申报项目。") % {"pool": plan.pool},
            code="nothing_fits",
        )
    awards = awards_publish(
        tender=tender,
        decisions=[(row.bid, row.amount, row.reason) for row in plan.funded],
        by=by,
    )
    audit_record(
        obj=tender,
        by=by,
        action="fund",
        data={
            "report": report.number,
            "pool": f"{plan.pool.amount:.2f}",
            "funded": [[row.bid.pk, f"{row.amount.amount:.2f}"] for row in plan.funded],
            "lowered": {
                str(row.bid.pk): [f"{row.requested.amount:.2f}", f"{row.amount.amount:.2f}"]
                for row in plan.funded
                if row.lowered
            },
            "skipped": [row.bid.pk for row in plan.skipped],
            "remaining": f"{plan.remaining.amount:.2f}",
        },
    )
    return awards
