"""Scoring pages: the expert's scoring form per bid, the buyer's evaluation dashboard, and
the printable evaluation report. Pages are read through selectors that 404 for anyone who
may not see them; every write is a service in services.evaluations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import permissions
from marketplace.forms.evaluations import AwardChoiceForm, FlagForm, ScoreForm
from marketplace.models import BidDocument, Tender
from marketplace.selectors.evaluations import (
    evaluation_results,
    report_current,
    report_get_for_user,
    seat_get_for_expert,
    tender_get_for_evaluation,
)
from marketplace.services.evaluations import (
    compliance_flag,
    compliance_unflag,
    report_confirm,
    report_create,
    report_withdraw,
    score_submit,
)
from marketplace.views import add_service_errors


def _error_text(error) -> str:
    return " ".join(error.messages)


@login_required
def expert_score(request, pk, bid_pk):
    """One bid as the panel sees it, with the expert's scoring form (running total) and the
    non-compliance form; previous / next bid in submission order."""
    seat = seat_get_for_expert(pk=pk, user=request.user)
    tender = seat.tender
    results = evaluation_results(tender)
    # Stable navigation: submission order, not the ranking that moves as scores arrive.
    rows = sorted(
        (row for row in results.rows if not row.screened_out),
        key=lambda row: (row.bid.submitted_at, row.bid.pk),
    )
    index = next((i for i, row in enumerate(rows) if row.bid.pk == bid_pk), None)
    if index is None:
        raise Http404
    row = rows[index]
    bid = row.bid
    current = report_current(tender)
    scoring_open = tender.status == Tender.Status.EVALUATING and current is None
    my_scores = row.by_expert.get(seat.pk, {})
    my_flag = next((flag for flag in row.flags if flag.member_id == seat.pk), None)
    score_form = ScoreForm(criteria=results.criteria, scores=my_scores)
    flag_form = FlagForm(initial={"reason": my_flag.reason if my_flag else ""})

    if request.method == "POST":
        if not scoring_open:
            messages.error(request, _("评分已锁定（评审报告已生成或项目不在评审阶段）。"))
            return redirect("expert_score", seat.pk, bid.pk)
        action = request.POST.get("action")
        try:
            if action == "score":
                score_form = ScoreForm(request.POST, criteria=results.criteria, scores=my_scores)
                if score_form.is_valid():
                    score_submit(member=seat, bid=bid, by=request.user, scores=score_form.scores())
                    messages.success(request, _("评分已保存。"))
                    return redirect("expert_score", seat.pk, bid.pk)
            elif action == "flag":
                flag_form = FlagForm(request.POST)
                if flag_form.is_valid():
                    compliance_flag(
                        member=seat,
                        bid=bid,
                        by=request.user,
                        reason=flag_form.cleaned_data["reason"],
                    )
                    messages.success(request, _("已认定该投标不符合要求。"))
                    return redirect("expert_score", seat.pk, bid.pk)
            elif action == "unflag":
                compliance_unflag(member=seat, bid=bid, by=request.user)
                messages.success(request, _("已撤回无效投标认定。"))
                return redirect("expert_score", seat.pk, bid.pk)
            else:
                return redirect("expert_score", seat.pk, bid.pk)
        except ValidationError as error:
            add_service_errors(flag_form if action != "score" else score_form, error)
            if action == "unflag":
                messages.error(request, _error_text(error))
        except PermissionDenied as error:
            raise Http404 from error

    total = sum((score.points for score in my_scores.values()), start=0)
    return render(
        request,
        "marketplace/evaluation_score.html",
        {
            "seat": seat,
            "tender": tender,
            "bid": bid,
            "row": row,
            "documents": BidDocument.objects.filter(bid=bid).order_by("pk"),
            "score_form": score_form,
            "flag_form": flag_form,
            "my_flag": my_flag,
            "flag_count": len(row.flags),
            "panel_size": len(results.members),
            "total": total,
            "max_total": sum(c.weight for c in score_form.criteria),
            "scoring_open": scoring_open,
            "report": current,
            "position": index + 1,
            "bid_count": len(rows),
            "previous": rows[index - 1].bid if index > 0 else None,
            "next": rows[index + 1].bid if index + 1 < len(rows) else None,
        },
    )


@login_required
@require_POST
def expert_report_confirm(request, pk):
    """The expert signs the tender's current evaluation report."""
    seat = seat_get_for_expert(pk=pk, user=request.user)
    report = report_current(seat.tender)
    if report is None:
        raise Http404
    try:
        report_confirm(report=report, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as error:
        raise Http404 from error
    else:
        messages.success(request, _("您已确认评审报告。"))
    return redirect("evaluation_report", seat.tender_id, report.number)


def _ranking(results):
    """Rows for the live ranking table, values in criterion order (templates cannot index)."""
    scored = [c for c in results.criteria if not c.is_price]
    return [
        {
            "row": row,
            "panel": [row.panel.get(c.pk) for c in scored],
        }
        for row in results.rows
        if not row.screened_out
    ]


@login_required
def evaluation_dashboard(request, pk):
    """The buyer's view of an evaluation: each expert's progress, the live ranking, the
    report (create, withdraw, confirmations) and, once confirmed, the award action."""
    tender = tender_get_for_evaluation(pk=pk, user=request.user)
    results = evaluation_results(tender)
    current = report_current(tender)
    confirmations = list(
        current.confirmations.select_related("member__expert__user") if current else []
    )
    is_evaluating = tender.status == Tender.Status.EVALUATING
    award_form = None
    if current and current.confirmed_at and is_evaluating:
        award_form = AwardChoiceForm(
            rows=[row for row in results.rows if row.valid],
            recommended=current.recommended_id,
            initial={"bid": current.recommended_id},
        )
    return render(
        request,
        "marketplace/evaluation_dashboard.html",
        {
            "tender": tender,
            "results": results,
            "scored": [c for c in results.criteria if not c.is_price],
            "price_criterion": next((c for c in results.criteria if c.is_price), None),
            "progress": [(member, *results.progress[member.pk]) for member in results.members],
            "ranking": _ranking(results),
            "report": current,
            "confirmations": confirmations,
            "reports": tender.reports.order_by("-number"),
            "can_create": is_evaluating and current is None,
            "can_withdraw": current is not None and current.confirmed_at is None,
            "award_form": award_form,
        },
    )


@login_required
@require_POST
def evaluation_report_create(request, pk):
    tender = tender_get_for_evaluation(pk=pk, user=request.user)
    try:
        report = report_create(tender=tender, by=request.user)
    except ValidationError as error:
        messages.error(request, _("未能生成评审报告：%(errors)s") % {"errors": _error_text(error)})
    else:
        messages.success(
            request,
            _("评审报告（第 %(number)d 号）已生成，评分已锁定；请评审专家确认。")
            % {"number": report.number},
        )
    return redirect("evaluation_dashboard", tender.pk)


@login_required
@require_POST
def evaluation_report_withdraw(request, pk):
    tender = tender_get_for_evaluation(pk=pk, user=request.user)
    report = report_current(tender)
    if report is None:
        raise Http404
    try:
        report_withdraw(report=report, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("评审报告已撤回，专家可以继续修改评分。"))
    return redirect("evaluation_dashboard", tender.pk)


def _report_view(report) -> dict:
    """The frozen JSON arranged for the printed page: the score matrix and each expert's
    own table (bids × criteria), in the order the report froze them."""
    data = report.results
    scored = [c for c in data["criteria"] if not c["is_price"]]
    price = next((c for c in data["criteria"] if c["is_price"]), None)
    experts = {e["member"]: {**e, "bids": []} for e in data["experts"]}
    for bid in data["bids"]:
        for given in bid["experts"]:
            if given["member"] in experts:
                experts[given["member"]]["bids"].append(
                    {"organisation": bid["organisation"], "valid": bid["valid"], **given}
                )
    ranked = [bid for bid in data["bids"] if bid["valid"]]
    return {
        "data": data,
        "scored": scored,
        "price_criterion": price,
        "experts": list(experts.values()),
        "ranked": ranked,
        "invalid": [bid for bid in data["bids"] if not bid["valid"]],
        "flagged": [bid for bid in data["bids"] if bid["flags"]],
        "recommended": next((b for b in data["bids"] if b["bid"] == data["recommended"]), None),
    }


def evaluation_report(request, pk, number):
    """The printable evaluation report (评审报告), from its frozen snapshot."""
    report = report_get_for_user(pk=pk, number=number, user=request.user)
    confirmations = list(report.confirmations.select_related("member__expert__user"))
    seat = None
    if report.superseded_at is None and permissions.is_panel_expert(request.user, report.tender):
        seat = report.tender.panel.filter(expert__user=request.user).first()
    signed = {confirmation.member_id for confirmation in confirmations}
    return render(
        request,
        "marketplace/evaluation_report.html",
        {
            "report": report,
            "tender": report.tender,
            "confirmations": confirmations,
            "confirm_seat": seat if seat and seat.pk not in signed else None,
            "can_run": permissions.can_run_evaluation(request.user, report.tender),
            **_report_view(report),
        },
    )
