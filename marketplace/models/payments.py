"""Payments for accepted milestones, the append-only payment ledger, and the gateway
events (webhooks) already handled."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from marketplace.models.contracts import _money
from marketplace.storage import private_storage


class Payment(models.Model):
    """The one payment of an accepted milestone, for exactly its amount. Retries of a failed
    attempt reuse it; its idempotency key goes to the gateway with every attempt."""

    class Gateway(models.TextChoices):
        STRIPE = "stripe", _("Stripe 在线支付")
        TREASURY = "treasury", _("国库集中支付")

    class Status(models.TextChoices):
        PENDING = "pending", _("待支付")
        PROCESSING = "processing", _("支付处理中")
        SUCCEEDED = "succeeded", _("已到账")
        FAILED = "failed", _("支付失败")
        REFUNDED = "refunded", _("已退款")

    milestone = models.OneToOneField(
        "marketplace.Milestone", on_delete=models.PROTECT, related_name="payment"
    )
    contract = models.ForeignKey(
        "marketplace.Contract", on_delete=models.PROTECT, related_name="payments"
    )
    amount = _money(_("支付金额"))
    gateway = models.CharField(_("支付方式"), max_length=10, choices=Gateway.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=64, unique=True)
    # Stripe: the PaymentIntent id; treasury: the payment voucher number (凭证号).
    reference = models.CharField(_("支付流水号"), max_length=120, blank=True)
    failure_message = models.CharField(_("失败原因"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    voucher_date = models.DateField(_("凭证日期"), null=True, blank=True)
    voucher_file = models.FileField(
        _("支付凭证"), upload_to="vouchers/%Y/", storage=private_storage, blank=True
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    settled_at = models.DateTimeField(_("到账时间"), null=True, blank=True)
    refunded_amount = _money(_("已退款金额"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("支付")
        verbose_name_plural = pgettext_lazy("plural", "支付")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="payment_amount_positive",
                condition=models.Q(amount__gt=0),
                violation_error_message=_("金额必须大于0。"),
            ),
        ]

    def __str__(self):
        return f"{self.milestone} · {self.amount}"


class LedgerEntry(models.Model):
    """One movement of money, never changed or deleted (a trigger enforces it on
    PostgreSQL): a payment settled (+) or a refund (−). Balances are sums of these."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("付款")
        REFUND = "refund", _("退款")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="ledger")
    contract = models.ForeignKey(
        "marketplace.Contract", on_delete=models.PROTECT, related_name="ledger"
    )
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    amount = _money(_("金额"))
    # The gateway's id of the movement (charge, refund, voucher): one entry per movement.
    reference = models.CharField(_("流水号"), max_length=120, unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("记账时间"), default=timezone.now)

    class Meta:
        verbose_name = _("资金台账")
        verbose_name_plural = pgettext_lazy("plural", "资金台账")
        ordering = ["contract", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="ledger_amount_positive",
                condition=models.Q(amount__gt=0),
                violation_error_message=_("金额必须大于0。"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} ({self.reference})"


class GatewayEvent(models.Model):
    """A webhook event already handled, by the gateway's event id: a replay is ignored."""

    gateway = models.CharField(max_length=10, choices=Payment.Gateway.choices)
    event_id = models.CharField(max_length=120)
    type = models.CharField(max_length=80)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("支付通知")
        verbose_name_plural = pgettext_lazy("plural", "支付通知")
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="one_event_per_id"),
        ]

    def __str__(self):
        return f"{self.gateway}:{self.event_id} ({self.type})"
