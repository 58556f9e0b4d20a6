"""Evaluation: the expert pool (专家库), panels and their draws, conflict declarations,
scores, non-compliance findings, the evaluation report, and the 公益创投 screening and
presentation schedule."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Expert(models.Model):
    """A member of the expert pool: what they know and where they may review."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="expert",
        verbose_name=_("用户"),
    )
    title = models.CharField(_("职称"), max_length=60, blank=True)
    employer = models.CharField(_("工作单位"), max_length=120, blank=True)
    categories = models.ManyToManyField(
        "marketplace.Category", blank=True, related_name="experts", verbose_name=_("专业领域")
    )
    regions = models.ManyToManyField(
        "marketplace.Region", blank=True, related_name="experts", verbose_name=_("可评审地区")
    )
    is_active = models.BooleanField(_("在库"), default=True)

    class Meta:
        verbose_name = _("评审专家")
        verbose_name_plural = pgettext_lazy("plural", "评审专家")

    def __str__(self):
        return str(self.user)


class PanelDraw(models.Model):
    """One random draw of experts for a tender. The candidates (in the order the draw saw
    them) and the seed are stored, so anyone can replay it and get the same experts."""

    class Reason(models.TextChoices):
        INITIAL = "initial", _("组建评审小组")
        REPLACEMENT = "replacement", _("回避后补抽")

    tender = models.ForeignKey(
        "marketplace.Tender", on_delete=models.PROTECT, related_name="panel_draws"
    )
    reason = models.CharField(_("抽取原因"), max_length=12, choices=Reason.choices)
    seed = models.PositiveBigIntegerField(_("随机种子"))
    candidates = models.JSONField(_("候选专家"))
    drawn = models.JSONField(_("抽中专家"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("抽取时间"), default=timezone.now)

    class Meta:
        verbose_name = _("专家抽取记录")
        verbose_name_plural = pgettext_lazy("plural", "专家抽取记录")
        ordering = ["tender", "created_at", "pk"]

    def __str__(self):
        return f"{self.tender} #{self.pk}"


class PanelMember(models.Model):
    """An expert on a tender's panel. They declare conflicts before seeing any bid; a
    declared conflict removes them (回避) and a replacement is drawn."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待声明利益冲突")
        ACTIVE = "active", _("评审中")
        RECUSED = "recused", _("已回避")

    class Source(models.TextChoices):
        DRAWN = "drawn", _("随机抽取")
        NAMED = "named", _("采购人指定")

    class Conflict(models.TextChoices):
        EMPLOYMENT = "employment", _("在投标单位任职或曾任职")
        BOARD = "board", _("担任投标单位理事、监事")
        FAMILY = "family", _("与投标单位负责人有亲属关系")
        RECENT_CONTRACT = "recent_contract", _("近三年与投标单位有合同往来")
        OTHER = "other", _("其他利害关系")

    tender = models.ForeignKey("marketplace.Tender", on_delete=models.PROTECT, related_name="panel")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="panels")
    source = models.CharField(_("产生方式"), max_length=8, choices=Source.choices)
    draw = models.ForeignKey(
        PanelDraw, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    conflicts = models.JSONField(_("利益冲突"), default=list, blank=True)
    conflict_details = models.TextField(_("情况说明"), max_length=2000, blank=True)
    conflicted_with = models.ManyToManyField(
        "marketplace.Organisation", blank=True, related_name="+", verbose_name=_("冲突对象")
    )
    declared_at = models.DateTimeField(_("声明时间"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("加入时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("评审小组成员")
        verbose_name_plural = pgettext_lazy("plural", "评审小组成员")
        ordering = ["tender", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "expert"], name="one_seat_per_expert"),
        ]

    def __str__(self):
        return f"{self.expert} @ {self.tender}"


class Score(models.Model):
    """An expert's points for one bid on one non-price criterion (0 to the criterion's weight)."""

    member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="scores")
    bid = models.ForeignKey("marketplace.Bid", on_delete=models.PROTECT, related_name="scores")
    criterion = models.ForeignKey(
        "marketplace.TenderCriterion", on_delete=models.PROTECT, related_name="scores"
    )
    points = models.DecimalField(_("得分"), max_digits=5, decimal_places=2)
    comment = models.TextField(_("评语"), max_length=2000)
    updated_at = models.DateTimeField(_("评分时间"), auto_now=True)

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = pgettext_lazy("plural", "评分")
        ordering = ["member", "bid", "criterion"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "bid", "criterion"], name="one_score_per_expert_bid_criterion"
            ),
            models.CheckConstraint(
                name="score_not_negative",
                condition=models.Q(points__gte=0),
                violation_error_message=_("得分不能为负数。"),
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.bid} · {self.criterion}: {self.points}"


class ComplianceFlag(models.Model):
    """An expert's finding that a bid does not comply, with the reason. A bid is invalid once
    more than half of the active panel has flagged it (the panel confirms)."""

    member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="flags")
    bid = models.ForeignKey("marketplace.Bid", on_delete=models.PROTECT, related_name="flags")
    reason = models.TextField(_("不符合要求的理由"), max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("无效投标认定")
        verbose_name_plural = pgettext_lazy("plural", "无效投标认定")
        ordering = ["bid", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["member", "bid"], name="one_flag_per_expert_bid"),
        ]

    def __str__(self):
        return f"{self.member} ✗ {self.bid}"


class EvaluationReport(models.Model):
    """The evaluation report (评审报告): the frozen score matrix, ranking and recommendation.
    A tender sent back to evaluation gets a new report; the latest one counts."""

    tender = models.ForeignKey(
        "marketplace.Tender", on_delete=models.PROTECT, related_name="reports"
    )
    number = models.PositiveSmallIntegerField(_("序号"))
    results = models.JSONField(_("评审结果"))
    recommended = models.ForeignKey(
        "marketplace.Bid",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("推荐中标（成交）候选人"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("全体专家确认时间"), null=True, blank=True)
    # Set when the report stops counting: withdrawn before confirmation, or the evaluation
    # was reopened by an upheld objection. The current report is the one without it.
    superseded_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评审报告")
        verbose_name_plural = pgettext_lazy("plural", "评审报告")
        ordering = ["tender", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="one_report_number"),
            models.UniqueConstraint(
                fields=["tender"],
                condition=models.Q(superseded_at__isnull=True),
                name="one_current_report",
            ),
        ]

    def __str__(self):
        return f"{self.tender} · {self.number}"


class ReportConfirmation(models.Model):
    """An active panel member's signature under a report."""

    report = models.ForeignKey(
        EvaluationReport, on_delete=models.PROTECT, related_name="confirmations"
    )
    member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "member"], name="one_confirmation"),
        ]

    def __str__(self):
        return f"{self.member} ✓ {self.report}"


class BidScreening(models.Model):
    """初审 of a 公益创投 proposal: pass or fail, with the reason."""

    bid = models.OneToOneField(
        "marketplace.Bid", on_delete=models.PROTECT, related_name="screening"
    )
    passed = models.BooleanField(_("通过初审"))
    reason = models.TextField(_("理由"), max_length=2000)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    screened_at = models.DateTimeField(_("初审时间"), default=timezone.now)

    class Meta:
        verbose_name = _("初审")
        verbose_name_plural = pgettext_lazy("plural", "初审")

    def __str__(self):
        return f"{self.bid}: {'✓' if self.passed else '✗'}"


class PresentationSlot(models.Model):
    """A 公益创投 proposal's presentation (答辩) time and place."""

    bid = models.OneToOneField(
        "marketplace.Bid", on_delete=models.PROTECT, related_name="presentation"
    )
    starts_at = models.DateTimeField(_("答辩开始"))
    minutes = models.PositiveSmallIntegerField(_("时长（分钟）"), default=15)
    place = models.CharField(_("地点"), max_length=120)

    class Meta:
        verbose_name = _("答辩安排")
        verbose_name_plural = pgettext_lazy("plural", "答辩安排")
        ordering = ["starts_at"]

    def __str__(self):
        return f"{self.bid} @ {self.starts_at:%Y-%m-%d %H:%M}"
