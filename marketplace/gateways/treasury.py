"""国库集中支付: the treasury pays the organisation directly; the platform only records the
transfer (voucher number, date, file) entered by the buyer officer. No remote call."""

from marketplace.gateways import GatewayResult


class TreasuryGateway:
    name = "treasury"

    def charge(self, payment, *, attempt: int) -> GatewayResult:
        """Nothing to send: the payment waits for the officer's record of the transfer."""
        return GatewayResult(status="pending", reference="")

    def refund(self, payment, *, amount, reason: str) -> str:
        """A clawback is paid back to the treasury outside the platform; its reference is
        the recorded one (services build it from the payment and the refund count)."""
        return ""
