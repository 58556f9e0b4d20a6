"""Payment actions on the contract page (retry, treasury record, refund), the buyer's
payment-method page (Stripe SetupIntent) and Stripe's webhook.

Buyer-side views 404 for anyone who is not an officer of the contract's buyer; the
services check again."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from djmoney.money import Money

from marketplace.forms.payments import PaymentMethodForm, RefundForm, TreasuryRecordForm
from marketplace.gateways import GatewayError, stripe_enabled
from marketplace.models import Buyer, Payment
from marketplace.selectors.buyers import buyer_get
from marketplace.selectors.payments import payment_get_for_buyer
from marketplace.services.payments import (
    WebhookRejected,
    buyer_payment_method_save,
    buyer_setup_intent_start,
    payment_record_treasury,
    payment_refund,
    payment_retry,
    stripe_webhook_handle,
)
from marketplace.views import add_service_errors

logger = logging.getLogger(__name__)


def _payment(request, pk) -> Payment:
    try:
        return payment_get_for_buyer(pk, request.user)
    except Payment.DoesNotExist as error:
        raise Http404 from error


def _back(payment) -> str:
    try:
        url = reverse("contract_detail", args=[payment.contract_id])
    except NoReverseMatch:  # pragma: no cover - the contract page comes with the contracts
        url = "/"
    return f"{url}#payment-{payment.pk}"


def _error_text(error) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


@login_required
@require_POST
def payment_retry_view(request, pk):
    """Charge a failed (or never sent) Stripe payment again."""
    payment = _payment(request, pk)
    try:
        payment_retry(payment=payment, by=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _("未能重试：%(errors)s") % {"errors": _error_text(error)})
    else:
        messages.success(request, _("已重新发起扣款，结果将在本页显示。"))
    return redirect(_back(payment))


@login_required
def payment_record_treasury_view(request, pk):
    """Record the treasury transfer of a pending treasury payment (form on its own page
    too, for when the contract page's form had errors)."""
    payment = _payment(request, pk)
    form = TreasuryRecordForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment_record_treasury(
                payment=payment,
                by=request.user,
                voucher_number=data["voucher_number"],
                voucher_date=data["voucher_date"],
                file=data["file"],
            )
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已登记国库集中支付，款项已计入台账。"))
            return redirect(_back(payment))
    return render(
        request, "marketplace/payment_treasury_form.html", {"payment": payment, "form": form}
    )


@login_required
@require_POST
def payment_refund_view(request, pk):
    """Refund (claw back) part or all of a settled payment."""
    payment = _payment(request, pk)
    form = RefundForm(request.POST)
    if not form.is_valid():
        errors = " ".join(" ".join(e) for e in form.errors.values())
        messages.error(request, _("未能退款：%(errors)s") % {"errors": errors})
        return redirect(_back(payment))
    try:
        payment_refund(
            payment=payment,
            by=request.user,
            amount=Money(form.cleaned_data["amount"], "CNY"),
            reason=form.cleaned_data["reason"],
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _("未能退款：%(errors)s") % {"errors": _error_text(error)})
    else:
        messages.success(request, _("已退款并计入台账。"))
    return redirect(_back(payment))


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's signed events: 400 for a bad signature or an old timestamp, 200 otherwise
    (replays, unknown events and unknown PaymentIntents are acknowledged)."""
    try:
        outcome = stripe_webhook_handle(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except WebhookRejected as error:
        logger.warning("Stripe webhook rejected: %s", error)
        return HttpResponseBadRequest("invalid signature")
    return HttpResponse(outcome, content_type="text/plain")


@login_required
def buyer_payment_method(request, pk):
    """The buyer officer saves the card milestone payments are charged to: Stripe.js
    confirms a SetupIntent in the browser and posts its id back here."""
    try:
        buyer = buyer_get(pk=pk)
    except Buyer.DoesNotExist as error:
        raise Http404 from error
    if not buyer.memberships.filter(user=request.user).exists():
        raise Http404
    context = {"buyer": buyer, "stripe_enabled": stripe_enabled()}
    if not context["stripe_enabled"]:
        return render(request, "marketplace/payment_method.html", context)
    form = PaymentMethodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            buyer_payment_method_save(
                buyer=buyer, by=request.user, setup_intent_id=form.cleaned_data["setup_intent"]
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("付款银行卡已保存，验收后的款项将自动扣付。"))
            return redirect("buyer_payment_method", buyer.pk)
    try:
        client_secret = buyer_setup_intent_start(buyer=buyer, by=request.user)
    except GatewayError as error:
        messages.error(request, error.message)
        client_secret = ""
    context.update(
        form=form,
        client_secret=client_secret,
        publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
    )
    return render(request, "marketplace/payment_method.html", context)
