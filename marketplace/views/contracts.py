"""Contract pages: the buyer drafts a contract from an award; both parties sign, the buyer
varies or terminates it on the manage page; the public sees the signed contract's public part.

Pages for the parties 404 for anyone else (the selectors decide); the services check again."""

from allauth.account.adapter import get_adapter as get_account_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import permissions
from marketplace.contract_terms import due_dates, milestone_amounts, term_default
from marketplace.forms.contracts import (
    ContractForm,
    SignForm,
    TerminateForm,
    VaryForm,
    indicators_text,
    milestones_text,
)
from marketplace.forms.feedback import ResidentFeedbackForm
from marketplace.models import Contract, Organisation
from marketplace.selectors.contracts import (
    award_get_for_contract,
    contract_get_for_user,
    contract_is_overdue,
    contract_pending_version,
    contract_public_get,
    contract_version_get_for_user,
    contracts_for_buyer,
    contracts_for_organisation,
)
from marketplace.selectors.delivery import milestones_for_contract
from marketplace.selectors.feedback import resident_feedback_public, resident_feedback_summary
from marketplace.selectors.payments import contract_balance, contract_payments
from marketplace.selectors.ratings import ratings_public_for_contract
from marketplace.services.contracts import (
    CHANGEABLE,
    contract_create,
    contract_sign,
    contract_terminate,
    contract_variation_withdraw,
    contract_vary,
)
from marketplace.services.feedback import (
    FEEDBACK_CONTRACT_STATUSES,
    resident_client_key,
    resident_feedback_submit,
)
from marketplace.views import add_service_errors, paginate
from marketplace.views.ratings import evaluation_links


def _errors(error) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


def _preview(award, form):
    """The milestones the contract will get, from the tender's template and the form's
    amount and term (or the defaults), for the create page."""
    template = list(award.tender.milestones.all())
    starts_on, ends_on = term_default(award)
    amount = award.amount.amount
    if form.is_bound and form.is_valid():
        starts_on, ends_on = form.cleaned_data["starts_on"], form.cleaned_data["ends_on"]
        amount = form.cleaned_data["amount"].amount
    if not template or starts_on >= ends_on:
        return []
    try:
        amounts = milestone_amounts(amount, [row.percentage for row in template])
    except ValidationError:
        return []
    dates = due_dates(starts_on, ends_on, len(template))
    return [
        {"name": row.name, "percentage": row.percentage, "amount": part, "due_on": day}
        for row, part, day in zip(template, amounts, dates, strict=True)
    ]


@login_required
def contract_create_view(request, award_pk):
    """Draft the contract of a signable award, prefilled from the award and the tender."""
    award = award_get_for_contract(pk=award_pk, user=request.user)
    existing = Contract.objects.filter(award=award).first()
    if existing is not None:
        messages.info(request, _("该中标（成交）结果已有合同。"))
        return redirect("contract_detail", existing.pk)
    starts_on, ends_on = term_default(award)
    form = ContractForm(
        request.POST if request.method == "POST" else None,
        award=award,
        initial={
            "amount": award.amount,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "funding_source": award.tender.funding_source,
            "deliverables": award.tender.description,
            "indicators": indicators_text([]),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            contract = contract_create(award=award, by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                form.add_error(None, str(error))
            else:
                add_service_errors(form, error)
        else:
            messages.success(request, _("合同已起草，请双方核对后签署。"))
            return redirect("contract_detail", contract.pk)
    return render(
        request,
        "marketplace/contract_form.html",
        {"award": award, "tender": award.tender, "form": form, "preview": _preview(award, form)},
    )


def _vary_initial(contract, milestones):
    return {
        "amount": contract.amount,
        "milestones": milestones_text([m for m in milestones if m.status in CHANGEABLE]),
    }


def _detail_context(request, contract, **forms):
    milestones = milestones_for_contract(contract)
    versions = list(contract.versions.all())
    pending = contract_pending_version(contract)
    is_buyer = permissions.is_contract_buyer(request.user, contract)
    is_org_admin = permissions.is_contract_organisation(request.user, contract)
    can_sign = pending is not None and (
        (is_buyer and pending.buyer_signed_at is None)
        or (is_org_admin and pending.organisation_signed_at is None)
    )
    active = contract.status == Contract.Status.ACTIVE
    open_ = contract.status in (Contract.Status.DRAFT, Contract.Status.ACTIVE)
    return {
        "contract": contract,
        "milestones": milestones,
        "versions": versions,
        "pending": pending,
        "payments": list(contract_payments(contract)),
        "overdue": contract_is_overdue(contract),
        "is_buyer": is_buyer,
        # For the milestones include: any member of the organisation may report.
        "is_organisation": permissions.can_report_on_contract(request.user, contract),
        "sign_form": forms.get("sign_form") or (SignForm() if can_sign else None),
        "needs_totp": can_sign and is_buyer and pending.buyer_signed_at is None,
        "vary_form": forms.get("vary_form")
        or (
            VaryForm(initial=_vary_initial(contract, milestones))
            if is_buyer and active and pending is None
            else None
        ),
        "can_withdraw": is_buyer and pending is not None and pending.number > 1,
        "terminate_form": forms.get("terminate_form")
        or (TerminateForm() if is_buyer and open_ else None),
        # Two-way evaluation (H2): the completion round and the optional milestone ones.
        "evaluation_links": evaluation_links(contract, milestones),
    }


@login_required
def contract_detail(request, pk):
    """The parties' page: terms, versions with signatures and hashes, milestones, payments,
    and the sign, vary and terminate forms for whoever may use them."""
    contract = contract_get_for_user(pk=pk, user=request.user)
    return render(request, "marketplace/contract_detail.html", _detail_context(request, contract))


@login_required
@require_POST
def contract_sign_view(request, pk):
    """Sign the pending version for the user's side (officers enter a TOTP code)."""
    contract = contract_get_for_user(pk=pk, user=request.user)
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            version = contract_sign(
                contract=contract, by=request.user, totp_code=form.cleaned_data["totp_code"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            if version.is_signed:
                messages.success(request, _("双方均已签署，合同版本已生效。"))
            else:
                messages.success(request, _("已签署，等待对方签署。"))
            return redirect("contract_detail", contract.pk)
    contract = contract_get_for_user(pk=pk, user=request.user)
    return render(
        request,
        "marketplace/contract_detail.html",
        _detail_context(request, contract, sign_form=form),
        status=400,
    )


@login_required
def contract_vary_view(request, pk):
    """Propose a variation (变更): new amount and unpaid milestones, with a reason."""
    contract = contract_get_for_user(pk=pk, user=request.user)
    if not permissions.is_contract_buyer(request.user, contract):
        raise PermissionDenied
    if request.method != "POST":
        return redirect("contract_detail", contract.pk)
    form = VaryForm(request.POST)
    if form.is_valid():
        try:
            contract_vary(contract=contract, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("变更已提出，等待双方签署后生效。"))
            return redirect("contract_detail", contract.pk)
    contract = contract_get_for_user(pk=pk, user=request.user)
    return render(
        request,
        "marketplace/contract_detail.html",
        _detail_context(request, contract, vary_form=form),
        status=400,
    )


@login_required
@require_POST
def contract_variation_withdraw_view(request, pk):
    contract = contract_get_for_user(pk=pk, user=request.user)
    try:
        contract_variation_withdraw(contract=contract, by=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("变更已撤回。"))
    return redirect("contract_detail", contract.pk)


@login_required
@require_POST
def contract_terminate_view(request, pk):
    """Terminate the contract with a reason and an optional clawback."""
    contract = contract_get_for_user(pk=pk, user=request.user)
    form = TerminateForm(request.POST)
    if form.is_valid():
        try:
            contract_terminate(contract=contract, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("合同已终止，未支付的履约节点已取消。"))
            return redirect("contract_detail", contract.pk)
    contract = contract_get_for_user(pk=pk, user=request.user)
    return render(
        request,
        "marketplace/contract_detail.html",
        _detail_context(request, contract, terminate_form=form),
        status=400,
    )


@login_required
def contract_version(request, pk, number):
    """One version's frozen text, terms, signatures and hash (earlier ones stay readable)."""
    version = contract_version_get_for_user(pk=pk, number=number, user=request.user)
    return render(
        request,
        "marketplace/contract_version.html",
        {"contract": version.contract, "version": version},
    )


def contract_public(request, pk):
    """The public part of a signed contract: parties, amount, term, milestones and their
    status, payments made, the two-way ratings once revealed, and residents' satisfaction
    (its own figure, approved comments, and the form while the project is delivered). No
    documents, reports or signatures."""
    contract = contract_public_get(pk=pk)
    return render(
        request,
        "marketplace/contract_public.html",
        {
            "contract": contract,
            "milestones": list(contract.milestones.all()),
            "balance": contract_balance(contract),
            "ratings": ratings_public_for_contract(contract),
            "feedback_summary": resident_feedback_summary(contract),
            "feedback_page": paginate(request, resident_feedback_public(contract)),
            "feedback_open": contract.status in FEEDBACK_CONTRACT_STATUSES,
        },
    )


def contract_feedback_view(request, pk):
    """A resident's score and optional comment, without an account. The form has its own
    page so the public contract page carries no CSRF token (and stays cacheable, see
    marketplace/pagecache.py). The client is known only by a keyed hash of its address and
    browser; success goes back to the public page with a message."""
    contract = contract_public_get(pk=pk)
    public_url = f"{reverse('contract_public', args=[contract.pk])}#resident-feedback"
    if contract.status not in FEEDBACK_CONTRACT_STATUSES:
        messages.error(request, _("只有实施中或已完成的项目可以评价。"))
        return redirect(public_url)
    form = ResidentFeedbackForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            feedback = resident_feedback_submit(
                contract=contract,
                client_key=resident_client_key(
                    # The address allauth's rate limits see (ALLAUTH_TRUSTED_PROXY_COUNT).
                    address=get_account_adapter(request).get_client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                ),
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if feedback.comment:
                messages.success(request, _("感谢您的评价！评分已计入，留言经审核后公开。"))
            else:
                messages.success(request, _("感谢您的评价！评分已计入。"))
            return redirect(public_url)
    return render(
        request,
        "marketplace/contract_feedback_form.html",
        {"contract": contract, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
def buyer_contract_list(request):
    """The contracts of the officer's buyers, newest first; unsigned overdue ones flagged."""
    page = paginate(request, contracts_for_buyer(request.user))
    return render(request, "marketplace/contract_list.html", {"page": page, "buyer_side": True})


@login_required
def organisation_contract_list(request, pk):
    """The organisation's contracts, for its members."""
    organisation = get_object_or_404(Organisation, pk=pk)
    page = paginate(request, contracts_for_organisation(organisation, request.user))
    return render(
        request,
        "marketplace/contract_list.html",
        {"page": page, "organisation": organisation, "buyer_side": False},
    )
