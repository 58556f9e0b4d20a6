"""Expert reviewers (专家库). Panels and scoring arrive with the evaluation issue."""

from django.conf import settings
from django.db import models
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
