"""The 公益创投 round hub: 初审, presentation schedule, links to the panel and scoring, and
the funding decision. For whoever may run the round's evaluation — the buyer's officers
and the admins of an operator with a delegation in force; 404 for everyone else."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import permissions
from marketplace.forms.venture import FundingForm, ScheduleForm, ScreeningForm
from marketplace.models import Bid, Tender
from marketplace.selectors.venture import (
    current_report,
    round_counts,
    round_get_for_user,
    round_is_opened,
    round_proposals,
    round_slots,
)
from marketplace.services.venture import (
    presentations_schedule,
    proposal_screen,
    venture_fund,
    venture_fund_preview,
)
from marketplace.views import add_service_errors, paginate

TEMPLATE = "marketplace/round_manage.html"


def _hub(request, tender, *, schedule_form=None, funding_form=None, plan=None, status=200):
    status_ = Tender.Status
    report = current_report(tender)
    editable = tender.status in (status_.OPENED, status_.EVALUATING) and report is None
    can_fund = tender.status == status_.EVALUATING and report is not None and report.confirmed_at
    funding_error = ""
    if can_fund and plan is None:
        try:
            plan = venture_fund_preview(tender=tender, by=request.user)
        except ValidationError as error:
            funding_error = " ".join(error.messages)
    if plan is not None and funding_form is None:
        funding_form = FundingForm(rows=plan.rows)
    page = paginate(request, round_proposals(tender))
    return render(
        request,
        TEMPLATE,
        {
            "tender": tender,
            "is_officer": permissions.can_manage_tender(request.user, tender),
            "opened": round_is_opened(tender),
            "counts": round_counts(tender),
            "page": page,
            "screen_forms": [(bid, ScreeningForm(auto_id=f"id_s{bid.pk}_%s")) for bid in page],
            "slots": round_slots(tender),
            "schedule_form": schedule_form or ScheduleForm(),
            "editable": editable,
            "report": report,
            "can_fund": can_fund,
            "plan": plan,
            "funding_form": funding_form,
            "funding_error": funding_error,
        },
        status=status,
    )


@login_required
def round_manage(request, pk):
    """The hub of a 公益创投 round, stage by stage."""
    tender = round_get_for_user(pk=pk, user=request.user)
    return _hub(request, tender)


@login_required
@require_POST
def round_screen(request, pk, bid_pk):
    """Pass or fail one proposal (初审), with the reason."""
    tender = round_get_for_user(pk=pk, user=request.user)
    bid = get_object_or_404(Bid.objects.select_related("organisation"), pk=bid_pk, tender=tender)
    form = ScreeningForm(request.POST)
    anchor = reverse("round_manage", args=[tender.pk]) + f"#proposal-{bid.pk}"
    if not form.is_valid():
        messages.error(request, _("请选择初审结论。"))
        return redirect(anchor)
    bid.tender = tender
    try:
        screening = proposal_screen(
            bid=bid,
            by=request.user,
            passed=form.cleaned_data["passed"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(
            request,
            _("“%(name)s”未能初审：%(errors)s")
            % {"name": bid.organisation.name, "errors": " ".join(error.messages)},
        )
    else:
        verdict = _("通过") if screening.passed else _("不通过")
        messages.success(
            request,
            _("“%(name)s”初审%(verdict)s。") % {"name": bid.organisation.name, "verdict": verdict},
        )
    return redirect(anchor)


@login_required
@require_POST
def round_schedule(request, pk):
    """Schedule the presentations of every proposal that passed 初审."""
    tender = round_get_for_user(pk=pk, user=request.user)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            slots = presentations_schedule(tender=tender, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已为 %(count)d 个项目安排答辩。") % {"count": len(slots)})
            return redirect(reverse("round_manage", args=[tender.pk]) + "#schedule")
    return _hub(request, tender, schedule_form=form, status=400)


@login_required
@require_POST
def round_fund(request, pk):
    """Preview the funding plan with lower amounts, or publish it (action=publish)."""
    tender = round_get_for_user(pk=pk, user=request.user)
    try:
        plan = venture_fund_preview(tender=tender, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("round_manage", tender.pk)
    form = FundingForm(request.POST, rows=plan.rows)
    if not form.is_valid():
        return _hub(request, tender, funding_form=form, plan=plan, status=400)
    publish = request.POST.get("action") == "publish"
    try:
        if publish:
            awards = venture_fund(tender=tender, by=request.user, overrides=form.overrides())
        else:
            plan = venture_fund_preview(tender=tender, by=request.user, overrides=form.overrides())
    except ValidationError as error:
        add_service_errors(form, error)
        return _hub(request, tender, funding_form=form, plan=plan, status=400)
    if publish:
        messages.success(
            request,
            _("资助名单已公告，共 %(count)d 个项目，进入公示期。") % {"count": len(awards)},
        )
        return redirect("round_manage", tender.pk)
    # The preview keeps what was typed, so the officer can adjust and publish.
    return _hub(request, tender, funding_form=FundingForm(request.POST, rows=plan.rows), plan=plan)
