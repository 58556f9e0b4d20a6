"""Stripe: PaymentIntents in CNY charged off-session to the buyer's saved payment method,
refunds, SetupIntents to save a card, and signed webhooks. The ONLY module that imports
`stripe`.

Idempotency: each charge attempt of a payment sends the Stripe idempotency key
`<payment.idempotency_key>-attempt-<n>`, so a double submit of one attempt gets the same
PaymentIntent back, while a retry after a failure (attempt n+1) is a new PaymentIntent.

Connect: when the organisation has a connected account the charge goes to it as a
destination charge (`transfer_data.destination`). localstripe cannot run Connect, so that
path is only the parameters built by `payment_intent_params()` (unit-tested).
"""

import logging

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from marketplace.gateways import GatewayError, GatewayResult, to_fen

logger = logging.getLogger(__name__)

CURRENCY = "cny"

# Stripe errors the user may see as they are (card declined…); others get a generic message.
SignatureError = stripe.SignatureVerificationError


def client() -> stripe.StripeClient:
    """A client built from settings; STRIPE_API_BASE points it at localstripe in tests."""
    kwargs = {"max_network_retries": 2}
    base = getattr(settings, "STRIPE_API_BASE", "")
    if base:
        kwargs["base_addresses"] = {"api": base}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **kwargs)


def attempt_idempotency_key(payment, attempt: int) -> str:
    return f"{payment.idempotency_key}-attempt-{attempt}"


def payment_intent_params(payment) -> dict:
    """The PaymentIntent of a milestone payment: fen, the buyer's customer and saved
    method, confirmed at once off-session, with the ids that tie it back to us."""
    contract = payment.contract
    buyer = contract.buyer
    params = {
        "amount": to_fen(payment.amount),
        "currency": CURRENCY,
        "customer": buyer.stripe_customer_id,
        "payment_method": buyer.stripe_payment_method_id,
        "confirm": True,
        "off_session": True,
        "metadata": {
            "contract": str(contract.pk),
            "milestone": str(payment.milestone_id),
            "payment": str(payment.pk),
        },
    }
    account = contract.organisation.stripe_account_id
    if account:
        params["transfer_data"] = {"destination": account}
    return params


def _declined(error) -> str:
    """The bank's reason, prefixed in Chinese (Stripe's own text is English)."""
    detail = getattr(error, "user_message", None) or getattr(error, "code", None) or ""
    return _("银行拒绝扣款：%(detail)s") % {"detail": detail} if detail else _("银行拒绝扣款。")


def _intent_result(intent) -> GatewayResult:
    status = intent.status
    if status == "succeeded":
        return GatewayResult(status="succeeded", reference=intent.id)
    if status in ("processing", "requires_capture"):
        return GatewayResult(status="processing", reference=intent.id)
    if status == "requires_action":
        return GatewayResult(
            status="requires_action",
            reference=intent.id,
            failure_message=_("发卡行要求持卡人验证（3-D Secure），无法自动扣款。"),
            client_secret=intent.client_secret or "",
        )
    error = getattr(intent, "last_payment_error", None)
    message = getattr(error, "message", "") if error else ""
    return GatewayResult(
        status="failed", reference=intent.id, failure_message=message or _("扣款未成功。")
    )


class StripeGateway:
    name = "stripe"

    def __init__(self, stripe_client: stripe.StripeClient | None = None):
        self.client = stripe_client or client()

    def charge(self, payment, *, attempt: int) -> GatewayResult:
        """Create and confirm the attempt's PaymentIntent. A card error is a failed result;
        an unreachable Stripe raises GatewayError (the attempt may have gone through: the
        same attempt can be resubmitted safely, and the webhook settles it)."""
        params = payment_intent_params(payment)
        options = {"idempotency_key": attempt_idempotency_key(payment, attempt)}
        try:
            intent = self.client.v1.payment_intents.create(params=params, options=options)
        except stripe.CardError as error:
            detail = error.error
            intent = getattr(detail, "payment_intent", None) if detail else None
            reference = getattr(intent, "id", "") or getattr(detail, "charge", "") or ""
            return GatewayResult(
                status="failed",
                reference=reference,
                failure_message=_declined(error),
            )
        except stripe.StripeError as error:
            logger.warning("Stripe charge of payment %s failed: %s", payment.pk, error)
            raise GatewayError(_("暂时无法连接支付网关，请稍后重试。")) from error
        result = _intent_result(intent)
        if result.requires_action:
            # Off-session nobody can authenticate: cancel, so the intent cannot succeed
            # later behind a retry's back (real Stripe fails it with authentication_required).
            try:
                self.client.v1.payment_intents.cancel(intent.id)
            except stripe.StripeError:
                logger.warning("Could not cancel PaymentIntent %s", intent.id)
        return result

    def refund(self, payment, *, amount, reason: str) -> str:
        """Refund `amount` of the payment's PaymentIntent; returns the refund id."""
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": payment.reference,
                    "amount": to_fen(amount),
                    "metadata": {"payment": str(payment.pk), "reason": reason[:400]},
                },
                options={
                    "idempotency_key": f"{payment.idempotency_key}-refund-"
                    f"{to_fen(payment.refunded_amount or 0)}-{to_fen(amount)}"
                },
            )
        except stripe.StripeError as error:
            logger.warning("Stripe refund of payment %s failed: %s", payment.pk, error)
            raise GatewayError(
                getattr(error, "user_message", None) or _("退款未成功，请稍后重试。")
            ) from error
        return refund.id

    # Saving a card (SetupIntent) for a buyer.

    def customer_ensure(self, buyer) -> str:
        """The buyer's Stripe customer id, creating the customer the first time."""
        if buyer.stripe_customer_id:
            return buyer.stripe_customer_id
        customer = self.client.v1.customers.create(
            params={"name": buyer.name, "metadata": {"buyer": str(buyer.pk)}},
            options={"idempotency_key": f"buyer-{buyer.pk}-customer"},
        )
        return customer.id

    def setup_intent_create(self, customer_id: str) -> tuple[str, str]:
        """A SetupIntent for Stripe.js to collect a card; returns (id, client_secret)."""
        intent = self.client.v1.setup_intents.create(
            params={"customer": customer_id, "usage": "off_session"}
        )
        return intent.id, intent.client_secret

    def setup_intent_payment_method(self, setup_intent_id: str, customer_id: str) -> str:
        """The payment method a succeeded SetupIntent of this customer saved."""
        intent = self.client.v1.setup_intents.retrieve(setup_intent_id)
        if intent.status != "succeeded" or intent.customer != customer_id:
            raise GatewayError(_("银行卡尚未验证成功。"))
        method = intent.payment_method
        return getattr(method, "id", method)

    def payment_method_attach(self, payment_method_id: str, customer_id: str) -> str:
        """Attach an existing payment method to the customer (tests, and the API path)."""
        try:
            method = self.client.v1.payment_methods.attach(
                payment_method_id, params={"customer": customer_id}
            )
        except stripe.CardError as error:
            raise GatewayError(
                _("银行卡无法保存：%(detail)s") % {"detail": _declined(error)}
            ) from error
        except stripe.StripeError as error:
            logger.warning("Stripe attach failed: %s", error)
            raise GatewayError(_("银行卡无法保存，请稍后重试。")) from error
        return method.id


def webhook_event(payload: bytes, signature: str) -> dict:
    """Verify a webhook's signature and age (5 minutes) and return the event as a dict.
    Raises SignatureError (or ValueError for a malformed body)."""
    event = stripe.Webhook.construct_event(
        payload, signature or "", settings.STRIPE_WEBHOOK_SECRET or ""
    )
    return event.to_dict()
