"""Reference data: administrative regions, the catalogue of purchasable services, the
negative list, and each district's or street's two lists (两张清单)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Region(models.Model):
    """An administrative division (GB/T 2260 code): province, city, county or street."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("市")
        COUNTY = "county", _("县区")
        STREET = "street", _("街道乡镇")

    code = models.CharField(_("行政区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级"),
    )

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = pgettext_lazy("plural", "行政区划")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Category(models.Model):
    """A node of the purchasable-services catalogue (政府购买服务指导性目录)."""

    code = models.CharField(_("目录编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级类目"),
    )
    prohibited_item = models.ForeignKey(
        "ProhibitedItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="categories",
        verbose_name=_("负面清单事项"),
        help_text=_("列入负面清单的类目不得作为服务项目发布。"),
    )

    class Meta:
        verbose_name = _("服务类目")
        verbose_name_plural = pgettext_lazy("plural", "服务类目")
        ordering = ["code"]

    def __str__(self):
        return self.name


class ProhibitedItem(models.Model):
    """An entry of the negative list (政府购买服务负面清单): what may not be bought as a service."""

    code = models.CharField(_("编号"), max_length=10, unique=True)
    name = models.CharField(_("事项"), max_length=100)
    reason = models.TextField(_("不得购买的理由"))

    class Meta:
        verbose_name = _("负面清单事项")
        verbose_name_plural = pgettext_lazy("plural", "负面清单事项")
        ordering = ["code"]

    def __str__(self):
        return self.name


class CommunityListItem(models.Model):
    """One numbered item of a district's or street's two lists (两张清单) for 政社互动:
    what the residents' self-governing organisations do by law, and what they only assist
    the government with — the latter paid for by the department that asks (费随事转)."""

    class Kind(models.TextChoices):
        DUTY = "duty", _("自治组织依法履职事项")
        ASSISTANCE = "assistance", _("协助政府工作事项")

    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="community_list_items",
        verbose_name=_("发布地区"),
    )
    kind = models.CharField(_("清单"), max_length=10, choices=Kind.choices)
    number = models.PositiveIntegerField(_("序号"), validators=[MinValueValidator(1)])
    title = models.CharField(_("事项名称"), max_length=200)
    legal_basis = models.CharField(_("法律依据"), max_length=300, blank=True)
    responsible_department = models.CharField(
        _("责任部门"),
        max_length=60,
        blank=True,
        help_text=_("协助政府工作事项：社区协助的政府部门。"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="community_list_items",
        verbose_name=_("可购买服务类目"),
        help_text=_("协助政府工作事项可向社会组织购买时，所属的服务类目。"),
    )
    funding_required = models.BooleanField(
        _("费随事转"),
        default=True,
        help_text=_("委托部门须随事项拨付工作经费。"),
    )

    class Meta:
        verbose_name = _("清单事项")
        verbose_name_plural = pgettext_lazy("plural", "清单事项")
        ordering = ["region__code", "kind", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "number"], name="community_list_item_unique_number"
            )
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"
