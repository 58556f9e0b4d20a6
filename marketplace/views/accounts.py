from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from marketplace import permissions
from marketplace.models import Invitation
from marketplace.selectors.buyers import buyer_memberships_for_user
from marketplace.selectors.delivery import due_next_for_organisation
from marketplace.selectors.organisations import organisation_memberships_for_user
from marketplace.selectors.ratings import rating_rounds_pending_for_user
from marketplace.services.accounts import invitation_accept


@login_required
def dashboard(request):
    """Everything the signed-in person can act on, by role."""
    user = request.user
    organisation_memberships = list(organisation_memberships_for_user(user))
    return render(
        request,
        "marketplace/dashboard.html",
        {
            "organisation_memberships": organisation_memberships,
            "due_next": due_next_for_organisation(
                [membership.organisation_id for membership in organisation_memberships]
            )
            if organisation_memberships
            else None,
            "buyer_memberships": buyer_memberships_for_user(user),
            "expert": getattr(user, "expert", None),
            "needs_mfa": permissions.requires_mfa(user) and not permissions.has_mfa(user),
            "rating_rounds": rating_rounds_pending_for_user(user),
        },
    )


@login_required
def invitation_accept_view(request, token):
    invitation = (
        Invitation.objects.filter(token=token)
        .select_related("organisation", "buyer", "invited_by")
        .first()
    )
    if request.method == "POST":
        try:
            invitation = invitation_accept(token=token, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied as error:  # signed in with another address: say which one
            messages.error(request, str(error))
        else:
            messages.success(request, _("您已加入“%(target)s”。") % {"target": invitation.target})
            return redirect("dashboard")
    return render(request, "marketplace/invitation_accept.html", {"invitation": invitation})
