"""Contracts (服务合同), their signed versions and variations (变更), milestones (履约节点)
and the organisation's milestone reports (履约报告) with the buyer's acceptance (验收)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from djmoney.models.fields import MoneyField

from marketplace.storage import private_storage


def _money(verbose_name, **kwargs):
    return MoneyField(
        verbose_name,
        max_digits=14,
        decimal_places=2,
        default_currency="CNY",
        currency_choices=[("CNY", "CNY")],
        **kwargs,
    )


class Contract(models.Model):
    """The contract that follows a standing award (or a funded 公益创投 proposal). Its terms
    are those of its latest version signed by both sides; the milestones' amounts always
    add up to the contract amount."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待签署")
        ACTIVE = "active", _("履约中")
        COMPLETED = "completed", _("已完成")
        TERMINATED = "terminated", _("已终止")

    award = models.OneToOneField(
        "marketplace.Award", on_delete=models.PROTECT, related_name="contract"
    )
    tender = models.ForeignKey(
        "marketplace.Tender", on_delete=models.PROTECT, related_name="contracts"
    )
    buyer = models.ForeignKey(
        "marketplace.Buyer",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("购买主体"),
    )
    organisation = models.ForeignKey(
        "marketplace.Organisation",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("承接主体"),
    )
    amount = _money(_("合同金额"))
    starts_on = models.DateField(_("服务开始日期"))
    ends_on = models.DateField(_("服务结束日期"))
    deliverables = models.TextField(_("服务内容与交付成果"), max_length=10000)
    # [{"name": "服务老人人数", "target": "200", "unit": "人"}, …]
    indicators = models.JSONField(_("绩效指标"), default=list, blank=True)
    breach_terms = models.TextField(_("违约责任"), max_length=5000)
    funding_source = models.CharField(_("资金来源"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveSmallIntegerField(_("现行版本"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    signed_at = models.DateTimeField(_("签订时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("服务合同")
        verbose_name_plural = pgettext_lazy("plural", "服务合同")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="contract_amount_positive",
                condition=models.Q(amount__gt=0),
                violation_error_message=_("合同金额必须大于0。"),
            ),
            models.CheckConstraint(
                name="contract_term_in_order",
                condition=models.Q(ends_on__gt=models.F("starts_on")),
                violation_error_message=_("服务结束日期必须晚于开始日期。"),
            ),
        ]

    def __str__(self):
        return f"{self.tender} · {self.organisation}"

    def get_absolute_url(self):
        return reverse("contract_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"HT-{self.created_at:%Y}-{self.pk:06d}"


class ContractVersion(models.Model):
    """One version of the contract text: the first is the contract as drafted, later ones
    are variations (变更) with a reason. Signed by both sides, the text is frozen and its
    SHA-256 recorded; a version in force is never edited again."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本号"))
    reason = models.TextField(_("变更理由"), max_length=2000, blank=True)
    # The terms and milestones of this version, as shown and signed.
    terms = models.JSONField(_("合同条款"))
    text = models.TextField(_("合同文本"))
    sha256 = models.CharField(_("文本摘要（SHA-256）"), max_length=64)
    buyer_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    buyer_signed_at = models.DateTimeField(_("购买主体签署时间"), null=True, blank=True)
    organisation_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation_signed_at = models.DateTimeField(_("承接主体签署时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    # Set on a proposed variation that was withdrawn before both signed.
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("合同版本")
        verbose_name_plural = pgettext_lazy("plural", "合同版本")
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"], name="one_contract_version_number"
            ),
        ]

    def __str__(self):
        return f"{self.contract} v{self.number}"

    @property
    def is_signed(self) -> bool:
        return self.buyer_signed_at is not None and self.organisation_signed_at is not None


class Milestone(models.Model):
    """A payment milestone of a contract: a deliverable, its due date and its amount."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待交付")
        SUBMITTED = "submitted", _("待验收")
        RETURNED = "returned", _("已退回")
        ACCEPTED = "accepted", _("已验收")
        PAID = "paid", _("已支付")
        CANCELLED = "cancelled", _("已取消")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="milestones")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("履约节点"), max_length=60)
    percentage = models.DecimalField(_("支付比例（%）"), max_digits=5, decimal_places=2)
    amount = _money(_("支付金额"))
    due_on = models.DateField(_("计划完成日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("付款到账时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("合同履约节点")
        verbose_name_plural = pgettext_lazy("plural", "合同履约节点")
        ordering = ["contract", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                name="milestone_amount_positive",
                condition=models.Q(amount__gt=0),
                violation_error_message=_("金额必须大于0。"),
            ),
            models.UniqueConstraint(
                fields=["contract", "position"], name="one_milestone_per_position"
            ),
        ]

    def __str__(self):
        return f"{self.contract} · {self.name}"


class MilestoneReport(models.Model):
    """The organisation's delivery report for a milestone; the buyer accepts it or returns
    it with reasons, and a returned report may be followed by a new one."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待验收")
        ACCEPTED = "accepted", _("已验收")
        RETURNED = "returned", _("已退回")

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="reports")
    narrative = models.TextField(_("履约情况"), max_length=10000)
    # {"服务老人人数": "212", …}: achieved value per contract indicator name.
    indicator_values = models.JSONField(_("指标完成值"), default=dict, blank=True)
    beneficiaries = models.PositiveIntegerField(_("服务人次"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    decision_reason = models.TextField(_("验收意见"), max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("履约报告")
        verbose_name_plural = pgettext_lazy("plural", "履约报告")
        ordering = ["milestone", "submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"],
                condition=models.Q(status="submitted"),
                name="one_open_report_per_milestone",
            ),
        ]

    def __str__(self):
        return f"{self.milestone} @ {self.submitted_at:%Y-%m-%d}"


class MilestoneReportDocument(models.Model):
    """Evidence attached to a milestone report; read only by the two parties."""

    report = models.ForeignKey(MilestoneReport, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("文件名称"), max_length=120)
    file = models.FileField(_("文件"), upload_to="reports/%Y/", storage=private_storage)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("履约证明材料")
        verbose_name_plural = pgettext_lazy("plural", "履约证明材料")
        ordering = ["report", "pk"]

    def __str__(self):
        return self.title
