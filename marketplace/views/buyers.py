from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import permissions
from marketplace.forms.buyers import DelegationForm
from marketplace.models import Buyer, Delegation
from marketplace.selectors.buyers import buyer_memberships_for_user
from marketplace.selectors.delivery import due_next_for_buyer
from marketplace.selectors.payments import buyer_punctuality
from marketplace.selectors.ratings import rating_rounds_pending_for_user
from marketplace.services.buyers import delegation_grant, delegation_revoke
from marketplace.views import add_service_errors


@login_required
def buyer_workspace(request):
    """The buyer officer's home (MFA required by middleware): their buyers and delegations."""
    memberships = buyer_memberships_for_user(request.user, with_delegations=True)
    if not memberships and not permissions.is_staff(request.user):
        raise PermissionDenied
    memberships = list(memberships)
    for membership in memberships:  # payment punctuality, per buyer (H7)
        membership.buyer.punctuality = buyer_punctuality(membership.buyer)
    due_next = due_next_for_buyer([m.buyer_id for m in memberships]) if memberships else None
    return render(
        request,
        "marketplace/buyer_workspace.html",
        {
            "memberships": memberships,
            "due_next": due_next,
            "rating_rounds": rating_rounds_pending_for_user(request.user),
        },
    )


@login_required
def delegation_create(request, pk):
    buyer = get_object_or_404(Buyer, pk=pk)
    if not permissions.can_manage_buyer(request.user, buyer):
        raise PermissionDenied
    form = DelegationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            delegation_grant(by=request.user, buyer=buyer, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("委托已生效。"))
            return redirect("buyer_workspace")
    return render(request, "marketplace/delegation_form.html", {"form": form, "buyer": buyer})


@login_required
@require_POST
def delegation_revoke_view(request, pk, delegation_pk):
    delegation = get_object_or_404(
        Delegation.objects.select_related("buyer", "operator"), pk=delegation_pk, buyer_id=pk
    )
    try:
        delegation_revoke(delegation=delegation, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("委托已撤销。"))
    return redirect("buyer_workspace")
