"""Government buyers (购买主体), their officers, and operators delegated to act for them."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from marketplace.validators import validate_credit_code


class Buyer(models.Model):
    """A government body that buys services: a civil-affairs bureau, a street office…"""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县区级")
        STREET = "street", _("街道乡镇级")

    name = models.CharField(_("名称"), max_length=120, unique=True)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    level = models.CharField(_("行政层级"), max_length=10, choices=Level.choices)
    region = models.ForeignKey(
        "marketplace.Region",
        on_delete=models.PROTECT,
        related_name="buyers",
        verbose_name=_("所在地区"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级单位"),
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    description = models.TextField(_("简介"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    # Stripe: the customer and the saved payment method (attached through a SetupIntent)
    # that milestone payments are charged to. Empty: payments are recorded treasury transfers.
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    stripe_payment_method_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("购买主体")
        verbose_name_plural = pgettext_lazy("plural", "购买主体")
        ordering = ["region__code", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("buyer_detail", args=[self.pk])


class BuyerMembership(models.Model):
    """A buyer officer (经办人): may act for the buyer once MFA is set up."""

    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="buyer_memberships"
    )
    created_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("购买主体经办人")
        verbose_name_plural = pgettext_lazy("plural", "购买主体经办人")
        constraints = [
            models.UniqueConstraint(fields=["buyer", "user"], name="one_membership_per_buyer"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.buyer}"


class Delegation(models.Model):
    """An operator (e.g. a 社会组织服务中心) allowed to act for a buyer within a scope until expiry."""

    class Scope(models.TextChoices):
        VENTURE_ROUND = "venture_round", _("组织公益创投大赛")
        PROCUREMENT_AGENT = "procurement_agent", _("代理项目采购")
        PERFORMANCE_REVIEW = "performance_review", _("第三方绩效评估")

    buyer = models.ForeignKey(
        Buyer, on_delete=models.CASCADE, related_name="delegations", verbose_name=_("购买主体")
    )
    operator = models.ForeignKey(
        "marketplace.Organisation",
        on_delete=models.CASCADE,
        related_name="delegations",
        verbose_name=_("受托运营方"),
    )
    scope = models.CharField(_("委托范围"), max_length=24, choices=Scope.choices)
    starts_on = models.DateField(_("生效日期"))
    expires_on = models.DateField(_("截止日期"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("委托")
        verbose_name_plural = pgettext_lazy("plural", "委托")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                name="delegation_ends_after_start",
                condition=models.Q(expires_on__gt=models.F("starts_on")),
            ),
        ]

    def __str__(self):
        return f"{self.operator} → {self.buyer} ({self.get_scope_display()})"

    def is_active_on(self, day) -> bool:
        return self.revoked_at is None and self.starts_on <= day <= self.expires_on
