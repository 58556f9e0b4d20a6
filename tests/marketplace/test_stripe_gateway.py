"""The Stripe gateway against localstripe (a real Stripe-compatible peer on loopback): the
card outcomes, webhooks signed by localstripe itself, refunds and signature checks."""

import time
from decimal import Decimal

import pytest
import stripe
from django.urls import reverse
from djmoney.money import Money

from marketplace.gateways import GatewayResult, to_fen
from marketplace.gateways import stripe as stripe_gateway
from marketplace.models import GatewayEvent, LedgerEntry, Milestone, Payment
from marketplace.services.payments import (
    buyer_payment_method_attach,
    payment_create_for_milestone,
    payment_refund,
    payment_retry,
)
from tests.marketplace.payment_helpers import accepted_milestone

pytestmark = pytest.mark.django_db

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"  # declined as soon as it is attached
CARD_CHARGE_DECLINED = "4000000000000341"  # attaches, then every charge is declined
CARD_3DS = "4000002760003184"


def _card(number):
    client = stripe_gateway.client()
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    return method.id


def _stripe_milestone(card):
    milestone, officer = accepted_milestone()
    buyer = milestone.contract.buyer
    buyer_payment_method_attach(buyer=buyer, by=officer, payment_method_id=_card(card))
    return milestone, officer


def _create(milestone, officer, capture):
    with capture(execute=True):
        payment_create_for_milestone(milestone=milestone, by=officer)
    return Payment.objects.get(milestone=milestone)


def test_fen_conversion_is_exact():
    """Yuan to fen is exact for two decimals and refuses a fraction of a fen."""
    assert to_fen(Money("84000.00", "CNY")) == 8400000
    assert to_fen(Money("0.01", "CNY")) == 1
    with pytest.raises(ValueError):
        to_fen(Decimal("1.005"))


def test_payment_intent_params_carry_ids_and_connect_destination(localstripe):
    """The PaymentIntent is CNY in fen, off-session, with contract/milestone/payment ids;
    an organisation with a connected account is paid as a Connect destination charge."""
    milestone, _officer = accepted_milestone()
    contract = milestone.contract
    contract.buyer.stripe_customer_id = "cus_x"
    contract.buyer.stripe_payment_method_id = "pm_x"
    payment = Payment(
        pk=7,
        milestone=milestone,
        contract=contract,
        amount=milestone.amount,
        idempotency_key=f"milestone-{milestone.pk}",
    )
    params = stripe_gateway.payment_intent_params(payment)
    assert params["amount"] == to_fen(milestone.amount) == 8400000
    assert params["currency"] == "cny"
    assert params["confirm"] is True and params["off_session"] is True
    assert params["customer"] == "cus_x" and params["payment_method"] == "pm_x"
    assert params["metadata"] == {
        "contract": str(contract.pk),
        "milestone": str(milestone.pk),
        "payment": "7",
    }
    assert "transfer_data" not in params
    contract.organisation.stripe_account_id = "acct_123"
    params = stripe_gateway.payment_intent_params(payment)
    assert params["transfer_data"] == {"destination": "acct_123"}
    # Same attempt, same key (a double submit reuses the intent); a retry gets a new one.
    assert (
        stripe_gateway.attempt_idempotency_key(payment, 1) == f"milestone-{milestone.pk}-attempt-1"
    )
    assert stripe_gateway.attempt_idempotency_key(payment, 2) != (
        stripe_gateway.attempt_idempotency_key(payment, 1)
    )


def test_buyer_attaches_a_card_through_the_api(localstripe):
    """The buyer gets a Stripe customer and the card is attached to it."""
    milestone, officer = accepted_milestone()
    buyer = milestone.contract.buyer
    method = buyer_payment_method_attach(buyer=buyer, by=officer, payment_method_id=_card(CARD_OK))
    buyer.refresh_from_db()
    assert buyer.stripe_customer_id.startswith("cus_")
    assert buyer.stripe_payment_method_id == method
    assert stripe_gateway.client().v1.payment_methods.retrieve(method).customer == (
        buyer.stripe_customer_id
    )


def test_successful_card_settles_payment_with_one_ledger_entry(
    localstripe, django_capture_on_commit_callbacks, mailoutbox
):
    """4242…: the intent succeeds, the payment is settled with the intent id as reference,
    one ledger entry, the milestone paid, and the organisation told."""
    milestone, officer = _stripe_milestone(CARD_OK)
    payment = _create(milestone, officer, django_capture_on_commit_callbacks)
    assert payment.gateway == Payment.Gateway.STRIPE
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.reference.startswith("pi_") and payment.attempts == 1
    intent = stripe_gateway.client().v1.payment_intents.retrieve(payment.reference)
    assert intent.amount == 8400000 and intent.currency == "cny"
    assert intent.metadata["payment"] == str(payment.pk)
    entry = LedgerEntry.objects.get(payment=payment)
    assert entry.reference == payment.reference and entry.amount == milestone.amount
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.PAID and milestone.paid_at
    assert any("已支付" in mail.subject for mail in mailoutbox)


def test_declined_card_cannot_be_saved(localstripe):
    """4000…0002 is declined when attached: a clear error, and the buyer keeps no card (so
    its payments stay treasury transfers)."""
    from django.core.exceptions import ValidationError

    milestone, officer = accepted_milestone()
    buyer = milestone.contract.buyer
    with pytest.raises(ValidationError) as raised:
        buyer_payment_method_attach(buyer=buyer, by=officer, payment_method_id=_card(CARD_DECLINED))
    assert "银行卡无法保存" in raised.value.messages[0]
    buyer.refresh_from_db()
    assert buyer.stripe_payment_method_id == ""


def test_declined_charge_fails_and_retry_makes_a_new_intent(
    localstripe, django_capture_on_commit_callbacks, mailoutbox
):
    """A card whose charges are declined: the payment fails with the bank's message, the
    buyer is told, nothing is paid; after a new card a retry is attempt 2, a new
    PaymentIntent, and it succeeds."""
    milestone, officer = _stripe_milestone(CARD_CHARGE_DECLINED)
    payment = _create(milestone, officer, django_capture_on_commit_callbacks)
    assert payment.status == Payment.Status.FAILED
    assert payment.failure_message.startswith("银行拒绝扣款")
    first_reference = payment.reference
    assert not LedgerEntry.objects.exists()
    assert any("未成功" in mail.subject for mail in mailoutbox)
    buyer = milestone.contract.buyer
    buyer_payment_method_attach(buyer=buyer, by=officer, payment_method_id=_card(CARD_OK))
    with django_capture_on_commit_callbacks(execute=True):
        payment_retry(payment=payment, by=officer)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED and payment.attempts == 2
    assert payment.reference.startswith("pi_") and payment.reference != first_reference
    assert LedgerEntry.objects.filter(payment=payment).count() == 1


def test_3d_secure_card_requires_action_and_is_shown(
    localstripe, django_capture_on_commit_callbacks, client
):
    """4000002760003184: off-session nobody can authenticate, so the charge needs action:
    the payment fails with a 3-D Secure message, the intent is cancelled, and the contract
    page's payments section shows the message and a retry button to the buyer."""
    milestone, officer = _stripe_milestone(CARD_3DS)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        payment = payment_create_for_milestone(milestone=milestone, by=officer)
    payment.refresh_from_db()
    result = stripe_gateway.StripeGateway().charge(payment, attempt=1)
    assert isinstance(result, GatewayResult) and result.requires_action
    assert result.client_secret
    assert stripe_gateway.client().v1.payment_intents.retrieve(result.reference).status == (
        "canceled"
    )
    for callback in callbacks:  # the real after-commit charge: attempt 1 again, same outcome
        callback()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert "3-D Secure" in payment.failure_message
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = officer
    html = Template('{% include "marketplace/includes/contract_payments.html" %}').render(
        Context({"contract": milestone.contract, "payments": None, "request": request})
    )
    assert "3-D Secure" in html
    assert reverse("payment_retry", args=[payment.pk]) in html


def test_webhooks_from_localstripe_settle_and_fail_payments(
    localstripe, django_capture_on_commit_callbacks, client
):
    """The signed webhooks localstripe sends are accepted at /payments/stripe/webhook/:
    payment_intent.succeeded settles a processing payment (once, even when replayed);
    payment_intent.payment_failed fails one with the bank's message."""
    url = reverse("stripe_webhook")
    # Success: the charge reached Stripe but our process never saw the answer.
    milestone, officer = _stripe_milestone(CARD_OK)
    with django_capture_on_commit_callbacks(execute=False):
        payment = payment_create_for_milestone(milestone=milestone, by=officer)
    payment.refresh_from_db()
    result = stripe_gateway.StripeGateway().charge(payment, attempt=1)
    assert result.status == "succeeded"
    assert payment.status == Payment.Status.PROCESSING and not payment.reference
    body, signature = localstripe.webhook_for("payment_intent.succeeded", result.reference)
    response = client.post(
        url, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    assert response.status_code == 200 and response.content == b"applied"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED and payment.reference == result.reference
    assert LedgerEntry.objects.filter(reference=result.reference).count() == 1
    replay = client.post(
        url, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    assert replay.status_code == 200 and replay.content == b"replay"
    assert LedgerEntry.objects.filter(payment=payment).count() == 1
    # Failure: a declined attempt whose answer only the webhook brings.
    milestone2, officer2 = _stripe_milestone(CARD_CHARGE_DECLINED)
    with django_capture_on_commit_callbacks(execute=False):
        payment2 = payment_create_for_milestone(milestone=milestone2, by=officer2)
    intents_before = {body for body, _sig in localstripe.webhooks}
    result2 = stripe_gateway.StripeGateway().charge(payment2, attempt=1)
    assert result2.status == "failed"
    deadline = time.monotonic() + 10
    failed = None
    while failed is None and time.monotonic() < deadline:
        for body2, signature2 in list(localstripe.webhooks):
            if body2 not in intents_before and b"payment_intent.payment_failed" in body2:
                failed = (body2, signature2)
        time.sleep(0.1)
    assert failed, "localstripe sent no payment_intent.payment_failed"
    response = client.post(
        url, data=failed[0], content_type="application/json", HTTP_STRIPE_SIGNATURE=failed[1]
    )
    assert response.status_code == 200 and response.content == b"applied"
    payment2.refresh_from_db()
    assert payment2.status == Payment.Status.FAILED and payment2.failure_message
    assert not LedgerEntry.objects.filter(payment=payment2).exists()


def test_refund_through_stripe(localstripe, django_capture_on_commit_callbacks):
    """A clawback refunds the PaymentIntent at Stripe and writes a refund ledger entry."""
    milestone, officer = _stripe_milestone(CARD_OK)
    payment = _create(milestone, officer, django_capture_on_commit_callbacks)
    entry = payment_refund(
        payment=payment, by=officer, amount=Money("1000.00", "CNY"), reason="中期评估不合格"
    )
    assert entry.kind == LedgerEntry.Kind.REFUND and entry.reference.startswith("stripe:re_")
    refund = stripe_gateway.client().v1.refunds.retrieve(entry.reference.split(":", 1)[1])
    assert refund.amount == 100000
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunded_amount == Money("1000.00", "CNY")


def _signed(payload: bytes, secret: str, timestamp=None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = stripe.WebhookSignature._compute_signature(
        f"{timestamp}.{payload.decode()}", secret
    )
    return f"t={timestamp},v1={signature}"


def _event(event_id="evt_test_1", kind="payment_intent.succeeded", intent_id="pi_unknown"):
    import json

    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "data": {"object": {"id": intent_id, "object": "payment_intent", "metadata": {}}},
        }
    ).encode()


def test_webhook_signature_checks(localstripe, client):
    """A wrong secret, a stale timestamp or no signature get 400 and record nothing; a good
    signature on an unknown event or an unknown intent is acknowledged; a replay ignored."""
    url = reverse("stripe_webhook")
    payload = _event()
    for signature in (
        _signed(payload, "whsec_wrong"),
        _signed(payload, localstripe.webhook_secret, timestamp=int(time.time()) - 3600),
        "",
    ):
        response = client.post(
            url, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
        )
        assert response.status_code == 400
    assert not GatewayEvent.objects.exists()
    ok = client.post(
        url,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_signed(payload, localstripe.webhook_secret),
    )
    assert ok.status_code == 200 and ok.content == b"unknown"
    again = client.post(
        url,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_signed(payload, localstripe.webhook_secret),
    )
    assert again.content == b"replay"
    other = _event(event_id="evt_test_2", kind="customer.created")
    response = client.post(
        url,
        data=other,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_signed(other, localstripe.webhook_secret),
    )
    assert response.status_code == 200 and response.content == b"ignored"
    assert client.get(url).status_code == 405
