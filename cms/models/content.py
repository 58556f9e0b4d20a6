"""Ordinary editable pages: news (新闻动态) and policy (政策法规, e.g. the two lists explained)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from cms.models.blocks import body_blocks


class NewsIndexPage(Page):
    intro = RichTextField(_("导语"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cms.NewsPage"]
    max_count = 1

    class Meta:
        verbose_name = _("新闻列表")


class NewsPage(Page):
    date = models.DateField(_("发布日期"), default=timezone.localdate)
    intro = models.CharField(_("摘要"), max_length=250, blank=True)
    body = StreamField(body_blocks(), blank=True, verbose_name=_("正文"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("新闻")


class PolicyPage(Page):
    """A policy page (政策法规); policy pages may nest (a section with its documents)."""

    intro = models.CharField(_("摘要"), max_length=250, blank=True)
    body = StreamField(body_blocks(), blank=True, verbose_name=_("正文"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    subpage_types = ["cms.PolicyPage"]

    class Meta:
        verbose_name = _("政策法规")
