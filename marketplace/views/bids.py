"""An organisation's bidding pages: what it may bid for, its bids, the bid form and the
receipt (回执), and the withdraw / re-confirm buttons. Bids are read only through
selectors.bids, so a sealed bid is a 404 here for everyone but its organisation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import permissions
from marketplace.forms.bids import BidForm
from marketplace.models import Bid, Organisation
from marketplace.selectors.bids import bid_get_for_user, bid_list_for_user, bid_live_for
from marketplace.selectors.tenders import (
    tender_eligibility_failures,
    tender_get_for_user,
    tender_list_eligible_for,
)
from marketplace.services.bids import bid_reconfirm, bid_submit, bid_withdraw
from marketplace.views import add_service_errors, paginate


def _organisation_for_member(user, pk) -> Organisation:
    """The organisation, or 404 for anyone who is not one of its members."""
    organisation = get_object_or_404(Organisation, pk=pk)
    if not permissions.is_organisation_member(user, organisation):
        raise Http404
    return organisation


@login_required
def organisation_tenders(request, pk):
    """Open tenders the organisation is eligible for, each with its live bid if it has one."""
    organisation = _organisation_for_member(request.user, pk)
    live_bid = Bid.objects.filter(
        Bid.LIVE, tender=OuterRef("pk"), organisation=organisation
    ).values("pk")[:1]
    tenders = tender_list_eligible_for(organisation).annotate(live_bid_id=Subquery(live_bid))
    return render(
        request,
        "marketplace/organisation_tenders.html",
        {"organisation": organisation, "page": paginate(request, tenders)},
    )


@login_required
def organisation_bids(request, pk):
    """Every bid of the organisation, in any status, newest first."""
    organisation = _organisation_for_member(request.user, pk)
    bids = bid_list_for_user(request.user).filter(organisation=organisation)
    return render(
        request,
        "marketplace/organisation_bids.html",
        {"organisation": organisation, "page": paginate(request, bids)},
    )


@login_required
def bid_submit_view(request, pk, org_pk):
    """The bid form; submitting again replaces the live bid (the service decides)."""
    tender = tender_get_for_user(pk=pk, user=request.user)
    organisation = _organisation_for_member(request.user, org_pk)
    live = bid_live_for(tender=tender, organisation=organisation)
    failures = tender_eligibility_failures(tender, organisation)
    form = BidForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        tender=tender,
        bid=live,
    )
    if request.method == "POST" and form.is_valid():
        try:
            bid = bid_submit(
                tender=tender, organisation=organisation, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("投标已提交，回执已生成"))
            return redirect(bid)
    return render(
        request,
        "marketplace/bid_form.html",
        {
            "tender": tender,
            "organisation": organisation,
            "live_bid": live,
            "failures": failures,
            "bidding_open": tender.bidding_open,
            "form": form,
        },
    )


def bid_detail(request, pk):
    """The receipt (回执) and content of a bid, for whoever may read it; 404 for everyone
    else, signed in or not, so a sealed bid's existence is not revealed either."""
    bid = bid_get_for_user(pk=pk, user=request.user)
    can_act = (
        permissions.can_act_for_bid(request.user, bid)
        and bid.status == Bid.Status.SUBMITTED
        and bid.tender.bidding_open
    )
    return render(
        request,
        "marketplace/bid_detail.html",
        {"bid": bid, "tender": bid.tender, "documents": bid.documents.all(), "can_act": can_act},
    )


@login_required
@require_POST
def bid_withdraw_view(request, pk):
    bid = bid_get_for_user(pk=pk, user=request.user)
    try:
        bid_withdraw(bid=bid, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("投标已撤回。截止时间前仍可重新投标。"))
    return redirect(bid)


@login_required
@require_POST
def bid_reconfirm_view(request, pk):
    bid = bid_get_for_user(pk=pk, user=request.user)
    try:
        bid_reconfirm(bid=bid, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已确认本投标适用于最新版本的采购公告。"))
    return redirect(bid)
