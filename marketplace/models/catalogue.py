"""Reference data: administrative regions and the catalogue of purchasable services."""

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

    class Meta:
        verbose_name = _("服务类目")
        verbose_name_plural = pgettext_lazy("plural", "服务类目")
        ordering = ["code"]

    def __str__(self):
        return self.name
