"""The organisation admin's API tokens page: create (the secret shown once), list, revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from marketplace import permissions
from marketplace.forms.api_tokens import ApiTokenForm
from marketplace.models import ApiToken, Organisation, User
from marketplace.selectors.api_tokens import api_tokens_for_organisation
from marketplace.services.api_tokens import api_token_create, api_token_revoke
from marketplace.views import add_service_errors


def _organisation_for_admin(user, pk) -> Organisation:
    """The organisation, or 404 for anyone who is not one of its admins."""
    organisation = get_object_or_404(Organisation, pk=pk)
    if not permissions.is_organisation_admin(user, organisation):
        raise Http404
    return organisation


@never_cache
@login_required
def organisation_api_tokens(request, pk):
    organisation = _organisation_for_admin(request.user, pk)
    members = User.objects.filter(organisation_memberships__organisation=organisation).order_by(
        "name", "pk"
    )
    form = ApiTokenForm(request.POST or None, members=members, initial={"user": request.user.pk})
    raw = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, raw = api_token_create(
                organisation=organisation,
                user=form.cleaned_data["user"],
                name=form.cleaned_data["name"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            form = ApiTokenForm(members=members, initial={"user": request.user.pk})
    return render(
        request,
        "marketplace/api_tokens.html",
        {
            "organisation": organisation,
            "tokens": api_tokens_for_organisation(organisation),
            "form": form,
            "raw_token": raw,
        },
    )


@login_required
@require_POST
def organisation_api_token_revoke(request, pk, token_pk):
    organisation = _organisation_for_admin(request.user, pk)
    token = get_object_or_404(ApiToken, pk=token_pk, organisation=organisation)
    try:
        api_token_revoke(token=token, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("令牌 %(name)s 已吊销。") % {"name": token.name})
    return redirect("organisation_api_tokens", pk=organisation.pk)
