"""Social organisations (社会组织) and the people who act for them."""

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from marketplace.dates import add_years
from marketplace.validators import validate_credit_code, validate_logo

RATING_VALIDITY_YEARS = 5


class Organisation(models.Model):
    """A registered social organisation; only verified ones appear publicly and may bid."""

    class Type(models.TextChoices):
        SOCIAL_GROUP = "social_group", _("社会团体")
        SERVICE_INSTITUTION = "service_institution", _("社会服务机构")
        FOUNDATION = "foundation", _("基金会")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        VERIFIED = "verified", _("已认证")
        REJECTED = "rejected", _("已驳回")
        SUSPENDED = "suspended", _("已暂停")

    class CreditStatus(models.TextChoices):
        NORMAL = "normal", _("正常")
        ABNORMAL = "abnormal", _("活动异常名录")
        SERIOUS = "serious", _("严重违法失信名单")

    class RatingLevel(models.IntegerChoices):
        A1 = 1, "1A"
        A2 = 2, "2A"
        A3 = 3, "3A"
        A4 = 4, "4A"
        A5 = 5, "5A"

    name = models.CharField(_("名称"), max_length=120)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    type = models.CharField(_("组织类型"), max_length=24, choices=Type.choices)
    registration_authority = models.CharField(_("登记管理机关"), max_length=120)
    registered_on = models.DateField(_("登记日期"))
    districts = models.ManyToManyField(
        "marketplace.Region", related_name="organisations", verbose_name=_("服务地区")
    )
    categories = models.ManyToManyField(
        "marketplace.Category", related_name="organisations", verbose_name=_("服务领域")
    )
    address = models.CharField(_("地址"), max_length=200)
    contact_name = models.CharField(_("联系人"), max_length=60)
    contact_phone = models.CharField(_("联系电话"), max_length=30)
    contact_email = models.EmailField(_("联系邮箱"))
    description = models.TextField(_("简介"), blank=True)
    logo = models.ImageField(
        _("标志"), upload_to="logos/%Y/", blank=True, validators=[validate_logo]
    )
    rating_level = models.PositiveSmallIntegerField(
        _("评估等级"), choices=RatingLevel.choices, null=True, blank=True
    )
    rating_evaluated_on = models.DateField(_("评估日期"), null=True, blank=True)
    credit_status = models.CharField(
        _("信用状态"), max_length=12, choices=CreditStatus.choices, default=CreditStatus.NORMAL
    )
    status = models.CharField(
        _("认证状态"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("注册时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Stripe Connect: payments to the organisation go to this connected account when set.
    stripe_account_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("社会组织")
        verbose_name_plural = pgettext_lazy("plural", "社会组织")
        ordering = ["name"]
        indexes = [models.Index(fields=["status", "name"])]
        constraints = [
            models.CheckConstraint(
                name="organisation_rating_has_date",
                condition=models.Q(rating_level__isnull=True)
                | models.Q(rating_evaluated_on__isnull=False),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organisation_detail", args=[self.pk])

    @property
    def rating_expires_on(self) -> datetime.date | None:
        """Official ratings are valid five years from the evaluation date."""
        if self.rating_evaluated_on is None:
            return None
        return add_years(self.rating_evaluated_on, RATING_VALIDITY_YEARS)

    @property
    def rating_is_current(self) -> bool:
        expires = self.rating_expires_on
        return (
            self.rating_level is not None
            and expires is not None
            and expires > (timezone.localdate())
        )


class OrganisationMembership(models.Model):
    """A person acting for an organisation; admins manage the profile and the members."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("管理员")
        MEMBER = "member", _("成员")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_memberships"
    )
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("社会组织成员")
        verbose_name_plural = pgettext_lazy("plural", "社会组织成员")
        ordering = ["organisation", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="one_membership_per_organisation"
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"
