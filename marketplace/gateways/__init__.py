"""Payment gateways behind one interface.

A gateway charges a Payment and refunds part or all of it. Only `gateways/stripe.py`
imports the Stripe SDK; the treasury gateway (国库集中支付) makes no remote call: the buyer
officer records a transfer the treasury already made. Services pick the gateway with
`gateway_for_buyer()` when a payment is created and `gateway_for()` afterwards.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings


class GatewayError(Exception):
    """The gateway refused or could not be reached; `message` is safe to show the user."""

    def __init__(self, message: str, *, reference: str = ""):
        super().__init__(message)
        self.message = message
        self.reference = reference


@dataclass(frozen=True)
class GatewayResult:
    """The outcome of one charge attempt.

    status: "succeeded", "processing" (settled later by a webhook), "failed", or
    "requires_action" (the bank asks the cardholder to authenticate, 3-D Secure).
    """

    status: str
    reference: str = ""
    failure_message: str = ""
    client_secret: str = ""

    @property
    def requires_action(self) -> bool:
        return self.status == "requires_action"


class Gateway(Protocol):
    name: str

    def charge(self, payment, *, attempt: int) -> GatewayResult: ...

    def refund(self, payment, *, amount, reason: str) -> str: ...


def to_fen(amount) -> int:
    """Yuan (Money or Decimal) to fen, exactly: a fraction of a fen is a programming error."""
    value = Decimal(getattr(amount, "amount", amount))
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{value} is not a whole number of fen")
    return int(fen)


def stripe_enabled() -> bool:
    return bool(getattr(settings, "STRIPE_SECRET_KEY", ""))


def gateway_name_for_buyer(buyer) -> str:
    """Stripe when the platform has a Stripe key and the buyer saved a payment method,
    otherwise a recorded treasury transfer (the zero-setup default)."""
    if stripe_enabled() and buyer.stripe_customer_id and buyer.stripe_payment_method_id:
        return "stripe"
    return "treasury"


def _by_name(name: str) -> Gateway:
    if name == "stripe":
        from marketplace.gateways.stripe import StripeGateway

        return StripeGateway()
    from marketplace.gateways.treasury import TreasuryGateway

    return TreasuryGateway()


def gateway_for_buyer(buyer) -> Gateway:
    return _by_name(gateway_name_for_buyer(buyer))


def gateway_for(payment) -> Gateway:
    """The gateway a payment was created with (it never changes afterwards)."""
    return _by_name(payment.gateway)
