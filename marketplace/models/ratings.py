"""Two-way evaluation (双向评估): the buyer rates the organisation's performance and the
organisation rates the buyer, sealed until both have submitted or the window closes;
appeals against an evaluation; the aggregates shown on profiles; and residents'
satisfaction feedback on delivered projects, which is never mixed into the two-way ratings.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Dimension(models.TextChoices):
    """What is rated, 1–5. The first five are the buyer's view of the organisation, the
    last five the organisation's view of the buyer."""

    QUALITY = "quality", _("服务质量")
    TIMELINESS = "timeliness", _("进度与按时交付")
    FUNDS = "funds", _("资金使用规范")
    SATISFACTION = "satisfaction", _("居民满意度")
    RECORDS = "records", _("档案与报告")
    GUIDANCE = "guidance", _("行政指导")
    SUPPORT = "support", _("专业支持")
    PAYMENT = "payment", _("支付兑现")
    INTERFERENCE = "interference", _("行政干预")
    COMMUNICATION = "communication", _("沟通与响应")


ORGANISATION_DIMENSIONS = (
    Dimension.QUALITY,
    Dimension.TIMELINESS,
    Dimension.FUNDS,
    Dimension.SATISFACTION,
    Dimension.RECORDS,
)
BUYER_DIMENSIONS = (
    Dimension.GUIDANCE,
    Dimension.SUPPORT,
    Dimension.PAYMENT,
    Dimension.INTERFERENCE,
    Dimension.COMMUNICATION,
)

# Shown on the forms next to each dimension, so both sides score against the same meaning.
DIMENSION_HELP = {
    Dimension.QUALITY: _("服务内容是否按合同标准提供，专业水平和服务对象的实际受益。"),
    Dimension.TIMELINESS: _("各履约节点是否按计划推进并按时交付。"),
    Dimension.FUNDS: _("项目资金是否专款专用、支出合规、票据齐全。"),
    Dimension.SATISFACTION: _("服务对象和社区居民对服务的满意程度。"),
    Dimension.RECORDS: _("服务档案、台账和履约报告是否完整、真实、及时。"),
    Dimension.GUIDANCE: _("购买主体对项目方向、政策和要求的指导是否清楚、及时。"),
    Dimension.SUPPORT: _("购买主体在场地、资源、协调和专业方面提供的支持。"),
    Dimension.PAYMENT: _("验收后是否按合同约定及时足额付款。"),
    Dimension.INTERFERENCE: _(
        "购买主体是否尊重承接主体的专业自主，不作合同以外的行政摊派或干预；干预越少得分越高。"
    ),
    Dimension.COMMUNICATION: _("沟通渠道是否顺畅，对问题和请求的回应是否及时。"),
}

# The overall figure of a summary: the mean of an evaluation's dimension scores.
OVERALL = "overall"


class RatingRound(models.Model):
    """One two-way evaluation of a contract: at completion (required of both sides) or,
    optionally, after an accepted milestone. Neither side's evaluation is shown until
    both are submitted or the window closes (揭晓); after that nothing is edited."""

    class Kind(models.TextChoices):
        COMPLETION = "completion", _("结项评估")
        MILESTONE = "milestone", _("节点评估")

    class Status(models.TextChoices):
        OPEN = "open", _("评估中")
        REVEALED = "revealed", _("已揭晓")

    contract = models.ForeignKey(
        "marketplace.Contract", on_delete=models.PROTECT, related_name="rating_rounds"
    )
    milestone = models.ForeignKey(
        "marketplace.Milestone",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rating_rounds",
    )
    kind = models.CharField(_("评估类型"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    # End of the window (by default 15 working days after completion or acceptance).
    closes_at = models.DateTimeField(_("评估截止时间"))
    revealed_at = models.DateTimeField(_("揭晓时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("双向评估")
        verbose_name_plural = pgettext_lazy("plural", "双向评估")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract"],
                condition=models.Q(kind="completion"),
                name="one_completion_round_per_contract",
            ),
            models.UniqueConstraint(
                fields=["milestone"],
                condition=models.Q(milestone__isnull=False),
                name="one_round_per_milestone",
            ),
            models.CheckConstraint(
                name="rating_round_milestone_matches_kind",
                condition=(models.Q(kind="milestone") & models.Q(milestone__isnull=False))
                | (models.Q(kind="completion") & models.Q(milestone__isnull=True)),
            ),
            models.CheckConstraint(
                name="rating_round_revealed_has_time",
                condition=models.Q(status="open") | models.Q(revealed_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.contract} · {self.get_kind_display()}"


class Rating(models.Model):
    """One side's evaluation in a round: the buyer's of the organisation (side "buyer")
    or the organisation's of the buyer (side "organisation"), one score per dimension.
    An upheld appeal excludes it from the aggregates, visibly."""

    class Side(models.TextChoices):
        BUYER = "buyer", _("购买主体评价承接主体")
        ORGANISATION = "organisation", _("承接主体评价购买主体")

    round = models.ForeignKey(RatingRound, on_delete=models.PROTECT, related_name="ratings")
    side = models.CharField(_("评价方"), max_length=12, choices=Side.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    excluded_at = models.DateTimeField(_("不计入统计时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = pgettext_lazy("plural", "评价")
        ordering = ["round", "side"]
        constraints = [
            models.UniqueConstraint(fields=["round", "side"], name="one_rating_per_side"),
        ]

    def __str__(self):
        return f"{self.round} · {self.get_side_display()}"


class RatingScore(models.Model):
    """A 1–5 score on one dimension; a 1 or 2 must say why."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="scores")
    dimension = models.CharField(_("评价维度"), max_length=16, choices=Dimension.choices)
    score = models.PositiveSmallIntegerField(_("评分"))
    comment = models.TextField(_("说明"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("维度评分")
        verbose_name_plural = pgettext_lazy("plural", "维度评分")
        ordering = ["rating", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rating", "dimension"], name="one_score_per_rating_dimension"
            ),
            models.CheckConstraint(
                name="rating_score_1_to_5",
                condition=models.Q(score__gte=1, score__lte=5),
                violation_error_message=_("评分须为1至5分。"),
            ),
            models.CheckConstraint(
                name="rating_low_score_has_comment",
                condition=models.Q(score__gte=3) | ~models.Q(comment=""),
                violation_error_message=_("评分为1或2分时须填写说明。"),
            ),
        ]

    def __str__(self):
        return f"{self.get_dimension_display()}: {self.score}"


class RatingAppeal(models.Model):
    """The rated side contests an evaluation once, with a reason; staff uphold it (the
    evaluation is excluded from the aggregates, and shown as excluded) or dismiss it."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        UPHELD = "upheld", _("申诉成立")
        DISMISSED = "dismissed", _("申诉驳回")

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="appeal")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("申诉理由"), max_length=2000)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision = models.TextField(_("处理意见"), max_length=2000, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("评价申诉")
        verbose_name_plural = pgettext_lazy("plural", "评价申诉")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.rating} · {self.get_status_display()}"


class RatingSummary(models.Model):
    """The aggregate of one organisation's or one buyer's revealed, not excluded
    evaluations on one dimension (or `overall`): count, sum, and the Bayesian average
    that pulls towards the platform mean with a prior weight. Recomputed in the
    background; always derivable from the evaluations."""

    organisation = models.ForeignKey(
        "marketplace.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rating_summaries",
    )
    buyer = models.ForeignKey(
        "marketplace.Buyer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rating_summaries",
    )
    dimension = models.CharField(_("评价维度"), max_length=16)
    count = models.PositiveIntegerField(_("评价数"), default=0)
    total = models.DecimalField(_("分数合计"), max_digits=12, decimal_places=4, default=0)
    score = models.DecimalField(_("综合得分"), max_digits=6, decimal_places=4)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("评价汇总")
        verbose_name_plural = pgettext_lazy("plural", "评价汇总")
        constraints = [
            models.CheckConstraint(
                name="rating_summary_one_subject",
                condition=(models.Q(organisation__isnull=False) & models.Q(buyer__isnull=True))
                | (models.Q(organisation__isnull=True) & models.Q(buyer__isnull=False)),
            ),
            models.UniqueConstraint(
                fields=["organisation", "dimension"],
                condition=models.Q(organisation__isnull=False),
                name="one_summary_per_organisation_dimension",
            ),
            models.UniqueConstraint(
                fields=["buyer", "dimension"],
                condition=models.Q(buyer__isnull=False),
                name="one_summary_per_buyer_dimension",
            ),
        ]

    def __str__(self):
        return f"{self.organisation or self.buyer} · {self.dimension}: {self.score}"


class ResidentFeedback(models.Model):
    """A resident's satisfaction score (1–5) on a delivered project, left without an
    account; one per client per project per day. A comment shows only once staff approve
    it; the score counts at once, as its own figure, never in the two-way ratings."""

    class Status(models.TextChoices):
        NO_COMMENT = "none", _("无留言")
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已公开")
        REJECTED = "rejected", _("未通过")

    contract = models.ForeignKey(
        "marketplace.Contract", on_delete=models.PROTECT, related_name="resident_feedback"
    )
    score = models.PositiveSmallIntegerField(_("满意度"))
    comment = models.TextField(_("留言"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.NO_COMMENT
    )
    # A keyed hash of the client (address and browser), never the address itself.
    client_key = models.CharField(max_length=64)
    day = models.DateField(_("日期"))
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    moderated_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("居民反馈")
        verbose_name_plural = pgettext_lazy("plural", "居民反馈")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "client_key", "day"], name="one_feedback_per_client_day"
            ),
            models.CheckConstraint(
                name="resident_score_1_to_5",
                condition=models.Q(score__gte=1, score__lte=5),
                violation_error_message=_("满意度须为1至5分。"),
            ),
            models.CheckConstraint(
                name="resident_feedback_status_matches_comment",
                condition=(models.Q(comment="") & models.Q(status="none"))
                | (~models.Q(comment="") & ~models.Q(status="none")),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="resident_feedback_queue"),
        ]

    def __str__(self):
        return f"{self.contract} · {self.score}"
