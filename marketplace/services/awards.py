"""Writes about the award (中标 / 成交, or the funded 公益创投 list) and the objections (质疑)
against it: publish the award with its notice period, file an objection, answer it.

The award follows the confirmed evaluation report: only bids the frozen report ranked as
valid can win, at the scores it recorded. Every status change goes through `transition()`."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace import notifications, pagecache, permissions, scoring
from marketplace.dates import add_working_days, db_now
from marketplace.models import (
    Award,
    Bid,
    EvaluationReport,
    Objection,
    ObjectionDocument,
    Tender,
)
from marketplace.selectors.evaluations import report_rows
from marketplace.selectors.tenders import method_rules
from marketplace.services.audit import audit_record
from marketplace.services.documents import documents_check
from marketplace.workflows import transition


def working_days_later(moment: datetime.datetime, count: int) -> datetime.datetime:
    """The same Beijing time of day, `count` working days after `moment`'s local date."""
    local = timezone.localtime(moment)
    day = add_working_days(local.date(), count)
    return local.replace(year=day.year, month=day.month, day=day.day)


def _field_error(field, message, code) -> ValidationError:
    """An error on one form field that keeps its code (a plain dict would drop it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _lock_tender(tender) -> Tender:
    return Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)


def _current_report(tender) -> EvaluationReport | None:
    return (
        EvaluationReport.objects.select_for_update()
        .filter(tender=tender, superseded_at__isnull=True)
        .first()
    )


def _check_money(amount):
    if not isinstance(amount, Money):
        raise TypeError("amount must be a Money")
    value = Decimal(amount.amount)
    if str(amount.currency) != "CNY" or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise _field_error("amount", _("金额须为大于0的人民币金额，最多保留两位小数。"), "amount")


def _check_decisions(tender, report, decisions) -> list[tuple]:
    """Validate every decision against the frozen report; return (bid, amount, reason, row)."""
    if not decisions:
        raise ValidationError(_("请至少选择一个中标（成交）供应商。"), code="no_decision")
    frozen = report_rows(report)
    live = set(tender.bids.filter(Bid.LIVE).values_list("pk", flat=True))
    seen, checked = set(), []
    for bid, amount, reason in decisions:
        reason = (reason or "").strip()
        name = bid.organisation.name
        if bid.tender_id != tender.pk or bid.pk not in live:
            raise _field_error(
                "bid", _("“%(name)s”没有本项目的有效投标。") % {"name": name}, "not_a_bid"
            )
        row = frozen.get(bid.pk)
        if row is None or not row.get("valid") or row.get("rank") is None:
            raise _field_error(
                "bid",
                _("评审报告未将“%(name)s”列为有效投标，不能授予。") % {"name": name},
                "invalid_bid",
            )
        if bid.pk in seen:
            raise _field_error(
                "bid", _("“%(name)s”重复出现在授予决定中。") % {"name": name}, "duplicate"
            )
        seen.add(bid.pk)
        _check_money(amount)
        checked.append((bid, amount, reason, row))

    if tender.is_venture:
        for bid, amount, reason, _row in checked:
            if amount > bid.amount:
                raise _field_error(
                    "amount",
                    _("“%(name)s”的资助金额 %(amount)s 超过申请金额 %(asked)s。")
                    % {"name": bid.organisation.name, "amount": amount, "asked": bid.amount},
                    "over_request",
                )
            if amount < bid.amount and not reason:
                raise _field_error(
                    "reason",
                    _("“%(name)s”的资助金额低于申请金额，请填写理由。")
                    % {"name": bid.organisation.name},
                    "reason_required",
                )
        total = sum((amount for _bid, amount, _reason, _row in checked), Money(0, "CNY"))
        if total > tender.budget:
            raise _field_error(
                "amount",
                _("资助总额 %(total)s 超过资金池 %(pool)s。")
                % {"total": total, "pool": tender.budget},
                "over_pool",
            )
    else:
        if len(checked) != 1:
            raise ValidationError(_("本项目只能授予一个中标（成交）供应商。"), code="one_winner")
        bid, amount, reason, _row = checked[0]
        if amount != bid.amount:
            raise _field_error(
                "amount",
                _("中标（成交）金额须等于其投标报价 %(price)s。") % {"price": bid.amount},
                "amount_not_price",
            )
        if bid.pk != report.recommended_id and not reason:
            raise _field_error(
                "reason",
                _("未授予评审推荐的候选人时，须填写理由，理由将随公告公开。"),
                "reason_required",
            )
    return checked


@transaction.atomic
def awards_publish(*, tender, decisions, by) -> list[Award]:
    """Publish the award (中标/成交公告) from the confirmed report and start the notice period.

    Rules: `by` may run the tender's evaluation; the tender is under evaluation and its
    current report is confirmed by the panel; each decision (bid, amount, reason) names a
    valid bid of that report, once. One winner at its own price, with a reason when it is
    not the recommended bid; for 公益创投, any number of proposals at most their requested
    amounts (a reason when lower) and within the pool. The notice ends, at the same time of
    day, after the method's notice working days. Every bidder is emailed."""
    if not permissions.can_run_evaluation(by, tender):
        raise PermissionDenied(_("您没有权限授予本项目。"))
    tender = _lock_tender(tender)
    if tender.status != Tender.Status.EVALUATING:
        raise ValidationError(
            _("项目当前状态为“%(status)s”，不能公告中标（成交）结果。")
            % {"status": tender.get_status_display()},
            code="wrong_status",
        )
    report = _current_report(tender)
    if report is None or report.confirmed_at is None:
        raise ValidationError(
            _("评审报告尚未生成或尚未经全体专家确认，不能公告结果。"), code="report_unconfirmed"
        )
    checked = _check_decisions(tender, report, decisions)
    now = db_now()
    notice_ends_at = working_days_later(now, method_rules(tender.method)["notice_working_days"])
    awards = []
    for bid, amount, reason, row in checked:
        award = Award.objects.create(
            tender=tender,
            bid=bid,
            report=report,
            amount=amount,
            rank=int(row["rank"]),
            total_score=scoring.round_total(Decimal(str(row.get("total") or 0))),
            recommended=bid.pk == report.recommended_id,
            reason=reason,
            awarded_by=by,
            published_at=now,
            notice_ends_at=notice_ends_at,
        )
        audit_record(
            obj=award,
            by=by,
            action="award",
            to_status=award.status,
            reason=reason,
            data={"amount": str(amount.amount), "report": report.number},
        )
        awards.append(award)
    transition(tender, Tender.Status.AWARDED, by=by)
    transaction.on_commit(lambda: notifications.awards_published(tender, awards))
    pagecache.bump("tenders")
    return awards


def award_make(*, tender, bid, by, reason="") -> Award:
    """Award the tender to one bid at its price (see awards_publish for the rules)."""
    return awards_publish(tender=tender, decisions=[(bid, bid.amount, reason)], by=by)[0]


@transaction.atomic
def objection_file(*, tender, organisation, by, grounds, files=()) -> Objection:
    """File an objection (质疑) against the award for a bidding organisation.

    Rules: `by` is a member of `organisation`, which has a live bid on the tender; the
    tender stands awarded and its notice period is running; grounds are given; documents
    pass the upload checks. The buyer must answer within OBJECTION_ANSWER_WORKING_DAYS
    working days; its officers and every bidder are emailed."""
    if not permissions.is_organisation_member(by, organisation):
        raise PermissionDenied(_("只有本组织的成员可以代表组织提出质疑。"))
    grounds = (grounds or "").strip()
    if not grounds:
        raise _field_error("grounds", _("请填写质疑事项和理由。"), "required")
    if len(grounds) > 5000:
        raise _field_error("grounds", _("质疑事项和理由不能超过5000字。"), "too_long")
    checked = documents_check(files, limit=settings.DOCUMENTS_PER_UPLOAD)
    tender = _lock_tender(tender)
    bid = Bid.objects.filter(Bid.LIVE, tender=tender, organisation=organisation).first()
    if bid is None:
        raise ValidationError(
            _("只有参与本项目投标（申报）的组织可以提出质疑。"), code="not_a_bidder"
        )
    now = db_now()
    in_notice = Award.objects.filter(
        tender=tender, status=Award.Status.NOTICE, notice_ends_at__gt=now
    ).exists()
    if tender.status != Tender.Status.AWARDED or not in_notice:
        raise ValidationError(
            _("本项目不在中标（成交）结果公示期内，不能提出质疑。"), code="not_in_notice"
        )
    objection = Objection.objects.create(
        tender=tender,
        bid=bid,
        filed_by=by,
        grounds=grounds,
        created_at=now,
        answer_due_at=working_days_later(now, settings.OBJECTION_ANSWER_WORKING_DAYS),
    )
    for document in checked:
        ObjectionDocument.objects.create(objection=objection, **document)
    audit_record(
        obj=objection,
        by=by,
        action="file",
        to_status=objection.status,
        data={"documents": [document["sha256"] for document in checked]},
    )
    transaction.on_commit(lambda: notifications.objection_filed(objection))
    pagecache.bump("tenders")
    return objection


@transaction.atomic
def objection_answer(*, objection, by, answer, upheld: bool, outcome="") -> Objection:
    """Answer an objection: dismissed (质疑不成立), or upheld (质疑成立) with an outcome.

    Rules: `by` may run the tender's evaluation; the objection is open; the answer is given
    and is published as the reason. Upheld needs an outcome: "reevaluate" revokes every
    standing award, supersedes the current report and sends the tender back to evaluation;
    "cancel" revokes the awards and cancels the tender with the answer as its public reason.
    If an earlier upheld objection already did so, the answer is only recorded. Every
    bidder is emailed."""
    tender = objection.tender
    if not permissions.can_run_evaluation(by, tender):
        raise PermissionDenied(_("您没有权限答复本项目的质疑。"))
    answer = (answer or "").strip()
    if not answer:
        raise _field_error("answer", _("请填写答复，答复将告知投标人。"), "required")
    outcome = outcome or ""
    if upheld and outcome not in Objection.Outcome.values:
        raise _field_error(
            "outcome", _("质疑成立时，请选择处理结果：重新评审或取消项目。"), "outcome_required"
        )
    if not upheld:
        outcome = ""
    tender = _lock_tender(tender)
    target = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
    transition(objection, target, by=by, reason=answer)
    now = db_now()
    objection.outcome = outcome
    objection.answer = answer
    objection.answered_by = by
    objection.answered_at = now
    objection.save(update_fields=["outcome", "answer", "answered_by", "answered_at", "updated_at"])
    if upheld and tender.status == Tender.Status.AWARDED:
        for award in Award.objects.filter(tender=tender, status=Award.Status.NOTICE):
            transition(award, Award.Status.REVOKED, by=by, reason=answer)
        if outcome == Objection.Outcome.REEVALUATE:
            report = _current_report(tender)
            if report is not None:
                report.superseded_at = now
                report.save(update_fields=["superseded_at"])
                audit_record(obj=report, by=by, action="supersede", reason=answer)
            transition(tender, Tender.Status.EVALUATING, by=by, reason=answer)
        else:
            transition(tender, Tender.Status.CANCELLED, by=by, reason=answer)
    audit_record(obj=objection, by=by, action="answer", data={"outcome": outcome})
    transaction.on_commit(lambda: notifications.objection_answered(objection))
    pagecache.bump("tenders")
    return objection
