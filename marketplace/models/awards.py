"""Awards (中标 / 成交, or funded 公益创投 proposals) and the objections (质疑) against them."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from djmoney.models.fields import MoneyField

from marketplace.storage import private_storage


class Award(models.Model):
    """The buyer's decision for one bid, public at once for its notice period (公示).
    A contract may be signed only after the period, with no objection open."""

    class Status(models.TextChoices):
        NOTICE = "notice", _("公示中")
        REVOKED = "revoked", _("已撤销")

    tender = models.ForeignKey(
        "marketplace.Tender", on_delete=models.PROTECT, related_name="awards"
    )
    bid = models.ForeignKey("marketplace.Bid", on_delete=models.PROTECT, related_name="awards")
    report = models.ForeignKey(
        "marketplace.EvaluationReport", on_delete=models.PROTECT, related_name="awards"
    )
    amount = MoneyField(
        _("中标（成交）金额"),
        max_digits=14,
        decimal_places=2,
        default_currency="CNY",
        currency_choices=[("CNY", "CNY")],
    )
    rank = models.PositiveSmallIntegerField(_("评审排名"))
    total_score = models.DecimalField(_("评审总分"), max_digits=6, decimal_places=2)
    recommended = models.BooleanField(_("为推荐候选人"))
    reason = models.TextField(
        _("决定理由"),
        max_length=2000,
        blank=True,
        help_text=_("未授予推荐候选人，或资助金额低于申请金额时必填，随公告公开。"),
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.NOTICE
    )
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("公告时间"), default=timezone.now)
    notice_ends_at = models.DateTimeField(_("公示截止时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("中标（成交）结果")
        verbose_name_plural = pgettext_lazy("plural", "中标（成交）结果")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["-published_at", "-id"], name="award_newest")]
        constraints = [
            models.UniqueConstraint(
                fields=["bid"], condition=models.Q(status="notice"), name="one_live_award_per_bid"
            ),
            models.CheckConstraint(
                name="award_amount_positive",
                condition=models.Q(amount__gt=0),
                violation_error_message=_("金额必须大于0。"),
            ),
        ]

    def __str__(self):
        return f"{self.tender} → {self.bid.organisation}"

    def get_absolute_url(self):
        return reverse("tender_detail", args=[self.tender_id]) + "#award"


class Objection(models.Model):
    """A bidder's objection (质疑) to an award, filed during the notice period; the buyer
    must answer within OBJECTION_ANSWER_WORKING_DAYS working days."""

    class Status(models.TextChoices):
        OPEN = "open", _("待答复")
        UPHELD = "upheld", _("质疑成立")
        DISMISSED = "dismissed", _("质疑不成立")

    class Outcome(models.TextChoices):
        REEVALUATE = "reevaluate", _("重新评审")
        CANCEL = "cancel", _("撤销中标结果并取消项目")

    tender = models.ForeignKey(
        "marketplace.Tender", on_delete=models.PROTECT, related_name="objections"
    )
    bid = models.ForeignKey("marketplace.Bid", on_delete=models.PROTECT, related_name="objections")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    grounds = models.TextField(_("质疑事项和理由"), max_length=5000)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(_("处理结果"), max_length=10, choices=Outcome.choices, blank=True)
    answer = models.TextField(_("答复"), max_length=5000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answer_due_at = models.DateTimeField(_("答复期限"))
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("质疑")
        verbose_name_plural = pgettext_lazy("plural", "质疑")
        ordering = ["tender", "created_at", "pk"]
        indexes = [
            models.Index(
                fields=["tender"], condition=models.Q(status="open"), name="objection_open"
            ),
        ]

    def __str__(self):
        return f"{self.bid.organisation} ? {self.tender}"

    @property
    def is_overdue(self) -> bool:
        due = self.answered_at or timezone.now()
        return due > self.answer_due_at


class ObjectionDocument(models.Model):
    """Evidence attached to an objection; read only by the objector and the buyer."""

    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("文件名称"), max_length=120)
    file = models.FileField(_("文件"), upload_to="objections/%Y/", storage=private_storage)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("质疑材料")
        verbose_name_plural = pgettext_lazy("plural", "质疑材料")
        ordering = ["objection", "pk"]

    def __str__(self):
        return self.title
