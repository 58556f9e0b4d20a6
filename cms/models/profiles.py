"""Organisation and buyer profiles as routable pages at `/organisations/<id>/` and
`/buyers/<id>/`, reading live marketplace data, with an introduction editors can write for
each organisation or buyer (a snippet, so there is one page per thing, not 20,000)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.fields import RichTextField
from wagtail.models import Page


class OrganisationIndexPage(RoutablePageMixin, Page):
    """`/organisations/`: the directory and every verified organisation's profile."""

    intro = RichTextField(_("导语"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = []
    max_count = 1

    class Meta:
        verbose_name = _("社会组织名录")


class BuyerIndexPage(RoutablePageMixin, Page):
    """`/buyers/`: the buyer table and every buyer's profile."""

    intro = RichTextField(_("导语"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = []
    max_count = 1

    class Meta:
        verbose_name = _("购买主体名录")


class OrganisationIntroduction(models.Model):
    organisation = models.OneToOneField(
        "marketplace.Organisation",
        on_delete=models.CASCADE,
        related_name="introduction",
        verbose_name=_("社会组织"),
    )
    body = RichTextField(_("介绍"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    panels = [FieldPanel("organisation"), FieldPanel("body")]

    class Meta:
        verbose_name = _("社会组织介绍")

    def __str__(self):
        return str(self.organisation)


class BuyerIntroduction(models.Model):
    buyer = models.OneToOneField(
        "marketplace.Buyer",
        on_delete=models.CASCADE,
        related_name="introduction",
        verbose_name=_("购买主体"),
    )
    body = RichTextField(_("介绍"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    panels = [FieldPanel("buyer"), FieldPanel("body")]

    class Meta:
        verbose_name = _("购买主体介绍")

    def __str__(self):
        return str(self.buyer)
