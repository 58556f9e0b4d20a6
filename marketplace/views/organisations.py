from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import permissions
from marketplace.forms.organisations import InvitationForm, OrganisationForm
from marketplace.models import Organisation, OrganisationMembership
from marketplace.selectors.organisations import organisation_members
from marketplace.services.accounts import invitation_create
from marketplace.services.organisations import (
    organisation_member_remove,
    organisation_register,
    organisation_resubmit,
    organisation_update,
)
from marketplace.views import add_service_errors


def _profile_fields(form):
    data = dict(form.cleaned_data)
    data.pop("credit_code", None)
    if data.get("logo") is False:  # "clear" ticked
        data["logo"] = ""
    elif data.get("logo") is None:
        data.pop("logo")
    return data


@login_required
def organisation_register_view(request):
    form = OrganisationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = organisation_register(
                by=request.user,
                credit_code=form.cleaned_data["credit_code"],
                **_profile_fields(form),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("登记已提交，平台工作人员审核后将通知您。"))
            return redirect(organisation)
    return render(request, "marketplace/organisation_form.html", {"form": form, "is_new": True})


@login_required
def organisation_edit(request, pk):
    organisation = get_object_or_404(Organisation, pk=pk)
    if not permissions.is_organisation_admin(request.user, organisation):
        raise PermissionDenied
    form = OrganisationForm(request.POST or None, request.FILES or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            organisation_update(organisation=organisation, by=request.user, **_profile_fields(form))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("组织资料已保存。"))
            return redirect(organisation)
    return render(
        request,
        "marketplace/organisation_form.html",
        {"form": form, "organisation": organisation, "is_new": False},
    )


@login_required
@require_POST
def organisation_resubmit_view(request, pk):
    organisation = get_object_or_404(Organisation, pk=pk)
    try:
        organisation_resubmit(organisation=organisation, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已重新提交审核。"))
    return redirect(organisation)


@login_required
def organisation_members_view(request, pk):
    organisation = get_object_or_404(Organisation, pk=pk)
    if not permissions.is_organisation_member(request.user, organisation):
        raise Http404
    is_admin = permissions.is_organisation_admin(request.user, organisation)
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied
        if form.is_valid():
            try:
                invitation_create(
                    by=request.user,
                    organisation=organisation,
                    accept_url_base=request.build_absolute_uri("/")[:-1],
                    **form.cleaned_data,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("邀请已发送至 %(email)s。") % {"email": form.cleaned_data["email"]}
                )
                return redirect("organisation_members", pk=pk)
    return render(
        request,
        "marketplace/organisation_members.html",
        {
            "organisation": organisation,
            "members": organisation_members(organisation),
            "open_invitations": organisation.invitations.filter(
                accepted_at__isnull=True, expires_at__gt=timezone.now()
            ),
            "form": form,
            "is_admin": is_admin,
        },
    )


@login_required
@require_POST
def organisation_member_remove_view(request, pk, membership_pk):
    membership = get_object_or_404(
        OrganisationMembership.objects.select_related("user", "organisation"),
        pk=membership_pk,
        organisation_id=pk,
    )
    try:
        organisation_member_remove(membership=membership, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已移除 %(user)s。") % {"user": membership.user})
    return redirect("organisation_members", pk=pk)
