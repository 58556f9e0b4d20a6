"""Sealed bids (投标 / 申报书), their files, and the opening record (开标记录)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from djmoney.models.fields import MoneyField

from marketplace.storage import private_storage


class Bid(models.Model):
    """An organisation's proposal for a tender. Sealed until the bids are opened: only
    the bidding organisation can read it before then (see selectors.bids)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        WITHDRAWN = "withdrawn", _("已撤回")
        REPLACED = "replaced", _("已被替换")

    LIVE = ~models.Q(status__in=[Status.WITHDRAWN, Status.REPLACED])

    tender = models.ForeignKey("marketplace.Tender", on_delete=models.PROTECT, related_name="bids")
    organisation = models.ForeignKey(
        "marketplace.Organisation", on_delete=models.PROTECT, related_name="bids"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    amount = MoneyField(
        _("投标报价"),
        max_digits=14,
        decimal_places=2,
        default_currency="CNY",
        currency_choices=[("CNY", "CNY")],
    )
    service_plan = models.TextField(_("服务方案"), max_length=20000)
    team = models.TextField(_("项目团队"), max_length=5000)
    outputs = models.TextField(_("预期产出与绩效指标"), max_length=5000)
    beneficiaries = models.TextField(_("服务对象"), max_length=2000)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    tender_version = models.PositiveIntegerField(_("依据公告版本"))
    needs_reconfirmation = models.BooleanField(_("需重新确认"), default=False)
    reconfirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    receipt_hash = models.CharField(_("回执摘要（SHA-256）"), max_length=64)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("投标")
        verbose_name_plural = pgettext_lazy("plural", "投标")
        ordering = ["tender", "submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "organisation"],
                condition=~models.Q(status__in=["withdrawn", "replaced"]),
                name="one_live_bid_per_organisation",
            ),
            models.CheckConstraint(
                name="bid_amount_positive",
                condition=models.Q(amount__gt=0),
                violation_error_message=_("金额必须大于0。"),
            ),
        ]

    def __str__(self):
        return f"{self.organisation} → {self.tender}"

    def get_absolute_url(self):
        return reverse("bid_detail", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return self.status not in (self.Status.WITHDRAWN, self.Status.REPLACED)


class BidDocument(models.Model):
    """A file of a bid. Stored outside the public media folder; read only through the
    permission-checked download view."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("文件名称"), max_length=120)
    file = models.FileField(_("文件"), upload_to="bids/%Y/", storage=private_storage)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("投标文件")
        verbose_name_plural = pgettext_lazy("plural", "投标文件")
        ordering = ["bid", "pk"]

    def __str__(self):
        return self.title


class TenderOpening(models.Model):
    """The opening of a tender's bids (开标), recorded once: who opened, when, and the
    bidders, amounts and submission times read out. Visible to every bidder."""

    tender = models.OneToOneField(
        "marketplace.Tender", on_delete=models.PROTECT, related_name="opening"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("开标时间"))
    record = models.JSONField(_("开标记录"))

    class Meta:
        verbose_name = _("开标记录")
        verbose_name_plural = pgettext_lazy("plural", "开标记录")

    def __str__(self):
        return f"{self.tender} @ {self.opened_at:%Y-%m-%d %H:%M}"
