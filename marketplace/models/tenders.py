"""Service projects put out for bids (服务项目 / 采购公告), their published versions, documents
and clarifications (答疑澄清)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from djmoney.models.fields import MoneyField

from marketplace.storage import private_storage


class Tender(models.Model):
    """A project a buyer puts out for bids; published tenders change only by amendment."""

    class Method(models.TextChoices):
        OPEN = "open", _("公开招标")
        INVITED = "invited", _("邀请招标")
        NEGOTIATION = "negotiation", _("竞争性谈判")
        CONSULTATION = "consultation", _("竞争性磋商")
        SINGLE_SOURCE = "single_source", _("单一来源")
        INQUIRY = "inquiry", _("询价")
        VENTURE = "venture", _("公益创投")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("投标中")
        CLOSED = "closed", _("投标已截止")
        OPENED = "opened", _("已开标")
        EVALUATING = "evaluating", _("评审中")
        AWARDED = "awarded", _("已公告结果")
        CANCELLED = "cancelled", _("已取消")
        FAILED = "failed", _("已流标")

    buyer = models.ForeignKey(
        "marketplace.Buyer",
        on_delete=models.PROTECT,
        related_name="tenders",
        verbose_name=_("购买主体"),
    )
    title = models.CharField(_("项目名称"), max_length=120)
    description = models.TextField(_("项目内容"))
    category = models.ForeignKey(
        "marketplace.Category",
        on_delete=models.PROTECT,
        related_name="tenders",
        verbose_name=_("服务类目"),
    )
    region = models.ForeignKey(
        "marketplace.Region",
        on_delete=models.PROTECT,
        related_name="tenders",
        verbose_name=_("服务地区"),
    )
    budget = MoneyField(
        _("预算金额"),
        max_digits=14,
        decimal_places=2,
        default_currency="CNY",
        currency_choices=[("CNY", "CNY")],
    )
    project_cap = MoneyField(
        _("单个项目资助上限"),
        max_digits=14,
        decimal_places=2,
        default_currency="CNY",
        currency_choices=[("CNY", "CNY")],
        null=True,
        blank=True,
        help_text=_("公益创投必填：预算即资助总额，每个项目的申请金额不得超过此上限。"),
    )
    funding_source = models.CharField(_("资金来源"), max_length=200, blank=True)
    assistance_item = models.ForeignKey(
        "marketplace.CommunityListItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tenders",
        verbose_name=_("对应协助政府工作事项"),
    )
    method = models.CharField(_("采购方式"), max_length=16, choices=Method.choices)
    min_rating_level = models.PositiveSmallIntegerField(
        _("最低评估等级"),
        null=True,
        blank=True,
        choices=[(level, f"{level}A") for level in range(1, 6)],
    )
    min_years_registered = models.PositiveSmallIntegerField(
        _("最低成立年限"), default=0, validators=[MaxValueValidator(50)]
    )
    invited = models.ManyToManyField(
        "marketplace.Organisation",
        blank=True,
        related_name="invited_tenders",
        verbose_name=_("受邀社会组织"),
    )
    contract_months = models.PositiveSmallIntegerField(
        _("服务期限（月）"), validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    continuous_service = models.BooleanField(
        _("连续性服务"), default=False, help_text=_("连续性服务的合同期限可达3年，否则不超过1年。")
    )
    clarification_deadline = models.DateTimeField(_("答疑截止时间"))
    bid_deadline = models.DateTimeField(_("投标截止时间"))
    opening_at = models.DateTimeField(_("开标时间"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(_("版本"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = pgettext_lazy("plural", "服务项目")
        ordering = ["-published_at", "-pk"]
        indexes = [
            # Includes the id so that the tenders past bidding (statistics: bids per tender)
            # are read from the index alone.
            models.Index(
                fields=["status", "bid_deadline"], include=["id"], name="tender_status_deadline"
            ),
            # The public list, newest first; drafts (no publication time) are not in it.
            models.Index(
                fields=["-published_at", "-id"],
                condition=models.Q(published_at__isnull=False),
                name="tender_public_newest",
            ),
            models.Index(
                fields=["region", "bid_deadline"],
                condition=models.Q(status="published"),
                name="tender_open_by_region",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="tender_budget_positive",
                condition=models.Q(budget__gt=0),
                violation_error_message=_("预算金额必须大于0。"),
            ),
            models.CheckConstraint(
                name="tender_deadlines_in_order",
                condition=models.Q(clarification_deadline__lte=models.F("bid_deadline"))
                & models.Q(bid_deadline__lte=models.F("opening_at")),
                violation_error_message=_(
                    "答疑截止时间不得晚于投标截止时间，开标时间不得早于投标截止时间。"
                ),
            ),
            models.CheckConstraint(
                name="tender_project_cap_within_budget",
                condition=models.Q(project_cap__isnull=True)
                | models.Q(project_cap__gt=0, project_cap__lte=models.F("budget")),
                violation_error_message=_("单个项目资助上限必须大于0且不超过预算金额。"),
            ),
            models.CheckConstraint(
                name="tender_contract_term",
                condition=models.Q(contract_months__lte=12)
                | models.Q(continuous_service=True, contract_months__lte=36),
                violation_error_message=_("服务期限最长1年；连续性服务最长3年。"),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("tender_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        """The notice number shown to users, e.g. ZS-2026-000042."""
        year = (self.published_at or self.created_at).year
        return f"ZS-{year}-{self.pk:06d}"

    @property
    def is_public(self) -> bool:
        """Published at some point: drafts, and drafts cancelled unpublished, are not public."""
        return self.published_at is not None

    @property
    def bidding_open(self) -> bool:
        """Bids are accepted now; judged by the clock, not by whether the close job ran."""
        return self.status == self.Status.PUBLISHED and timezone.now() < self.bid_deadline

    @property
    def status_label(self) -> str:
        """The status as the public should see it now: past its deadline, a tender that the
        close job has not reached yet already reads 投标已截止."""
        if self.status == self.Status.PUBLISHED and not self.bidding_open:
            return self.Status.CLOSED.label
        return self.Status(self.status).label

    @property
    def method_label(self) -> str:
        # The enum's label: get_method_display() rebuilds the choices dict on every call.
        return self.Method(self.method).label

    @property
    def is_venture(self) -> bool:
        return self.method == self.Method.VENTURE

    @property
    def needs_invitation(self) -> bool:
        return self.method in (self.Method.INVITED, self.Method.SINGLE_SOURCE)


class TenderCriterion(models.Model):
    """An evaluation criterion with its weight; the weights of a tender sum to 100."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("评分项"), max_length=60)
    weight = models.PositiveSmallIntegerField(
        _("权重"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    is_price = models.BooleanField(_("价格分"), default=False)

    class Meta:
        verbose_name = _("评分项")
        verbose_name_plural = pgettext_lazy("plural", "评分项")
        ordering = ["tender", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender"],
                condition=models.Q(is_price=True),
                name="one_price_criterion_per_tender",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.weight})"


class TenderMilestone(models.Model):
    """A payment milestone of the contract to come, as a share of the amount; shares sum to 100."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("履约节点"), max_length=60)
    percentage = models.PositiveSmallIntegerField(
        _("支付比例（%）"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("付款节点")
        verbose_name_plural = pgettext_lazy("plural", "付款节点")
        ordering = ["tender", "position", "pk"]

    def __str__(self):
        return f"{self.name} {self.percentage}%"


class TenderDocument(models.Model):
    """A file of the tender notice; public once the tender is published, served by a view."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("文件名称"), max_length=120)
    file = models.FileField(_("文件"), upload_to="tenders/%Y/", storage=private_storage)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    removed_in_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("招标文件")
        verbose_name_plural = pgettext_lazy("plural", "招标文件")
        ordering = ["tender", "uploaded_at", "pk"]

    def __str__(self):
        return self.title


class TenderVersion(models.Model):
    """A published state of a tender: version 1 at publication, one more per amendment."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    snapshot = models.JSONField(_("公告内容"))
    changes = models.JSONField(_("变更内容"), default=list)
    note = models.TextField(_("变更说明"), blank=True)
    requirements_changed = models.BooleanField(_("涉及实质性要求"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("发布时间"), default=timezone.now)

    class Meta:
        verbose_name = _("公告版本")
        verbose_name_plural = pgettext_lazy("plural", "公告版本")
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="tender_version_unique"),
        ]

    def __str__(self):
        return f"{self.tender} v{self.number}"


class Clarification(models.Model):
    """A would-be bidder's question and the buyer's public answer; the asker is never shown."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="clarifications")
    organisation = models.ForeignKey(
        "marketplace.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    question = models.TextField(_("问题"), max_length=2000)
    asked_at = models.DateTimeField(_("提问时间"), default=timezone.now)
    answer = models.TextField(_("答复"), blank=True, max_length=4000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("答疑澄清")
        verbose_name_plural = pgettext_lazy("plural", "答疑澄清")
        ordering = ["tender", "asked_at", "pk"]
        indexes = [models.Index(fields=["tender", "answered_at"])]

    def __str__(self):
        return self.question[:40]


class TenderFollow(models.Model):
    """An organisation watching a tender: it is emailed answers and amendments."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="follows")
    organisation = models.ForeignKey(
        "marketplace.Organisation", on_delete=models.CASCADE, related_name="tender_follows"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("关注")
        verbose_name_plural = pgettext_lazy("plural", "关注")
        constraints = [
            models.UniqueConstraint(fields=["tender", "organisation"], name="follow_once"),
        ]

    def __str__(self):
        return f"{self.organisation} → {self.tender}"
