"""Delivery and acceptance (验收): the organisation's milestone report form, and the buyer's
accept-or-return decision. Each page checks, per object, that the user is the right party
(404 otherwise); the services check again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import permissions
from marketplace.forms.delivery import MilestoneReportDecisionForm, MilestoneReportForm
from marketplace.models import Contract
from marketplace.selectors.delivery import (
    REPORTABLE_STATUSES,
    milestone_get_for_report,
    report_get_for_decision,
    reports_for_milestone,
)
from marketplace.services.delivery import (
    milestone_report_accept,
    milestone_report_return,
    milestone_report_submit,
)
from marketplace.views import add_service_errors


@login_required
def milestone_report_submit_view(request, pk):
    """Report on a milestone (members of the contract's organisation), with the earlier
    reports and the buyer's reasons for returning them."""
    milestone = milestone_get_for_report(pk=pk, user=request.user)
    contract = milestone.contract
    open_for_report = (
        contract.status == Contract.Status.ACTIVE and milestone.status in REPORTABLE_STATUSES
    )
    form = None
    if open_for_report:
        posted = request.method == "POST"
        form = MilestoneReportForm(
            request.POST if posted else None,
            request.FILES if posted else None,
            indicators=contract.indicators,
        )
        if posted and form.is_valid():
            try:
                milestone_report_submit(
                    milestone=milestone,
                    by=request.user,
                    narrative=form.cleaned_data["narrative"],
                    indicator_values=form.indicator_values(),
                    beneficiaries=form.cleaned_data["beneficiaries"],
                    files=form.cleaned_data["files"] or (),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("履约报告已提交，等待购买主体验收。"))
                return redirect("milestone_report_submit", milestone.pk)
    elif request.method == "POST":
        messages.error(request, _("该履约节点当前不能提交履约报告。"))
    return render(
        request,
        "marketplace/milestone_report_form.html",
        {
            "milestone": milestone,
            "contract": contract,
            "form": form,
            "reports": reports_for_milestone(milestone),
        },
    )


@login_required
@require_POST
def milestone_report_decide(request, pk):
    """Accept a report (which releases the milestone's payment) or return it with a reason:
    officers of the contract's buyer, with two-step verification like every buyer page."""
    report = report_get_for_decision(pk=pk, user=request.user)
    contract = report.milestone.contract
    back = contract.get_absolute_url() + "#milestones"
    if permissions.requires_mfa(request.user) and not permissions.has_mfa(request.user):
        return redirect("mfa_activate_totp")
    form = MilestoneReportDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择验收结论。"))
        return redirect(back)
    try:
        if form.cleaned_data["decision"] == form.ACCEPT:
            milestone_report_accept(report=report, by=request.user)
        else:
            milestone_report_return(
                report=report, by=request.user, reason=form.cleaned_data["reason"]
            )
    except ValidationError as error:
        messages.error(request, _("未能处理：%(errors)s") % {"errors": " ".join(error.messages)})
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        if form.cleaned_data["decision"] == form.ACCEPT:
            messages.success(request, _("已验收合格，已生成本节点的支付。"))
        else:
            messages.success(request, _("已退回，承接主体将收到退回理由。"))
    return redirect(back)
