"""Ordinary editable pages: news (新闻动态) and policy (政策法规, e.g. the two lists explained)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from cms.caching import CachedPageMixin
from cms.models.blocks import body_blocks
from marketplace.views import paginate


class NewsIndexPage(CachedPageMixin, Page):
    intro = RichTextField(_("导语"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cms.NewsPage"]
    max_count = 1

    class Meta:
        verbose_name = _("新闻列表")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        news = NewsPage.objects.child_of(self).live().order_by("-date", "-pk")
        context["news_page"] = paginate(request, news)
        return context


class NewsPage(CachedPageMixin, Page):
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


class PolicyPage(CachedPageMixin, Page):
    """A policy page (政策法规); policy pages may nest (a section with its documents)."""

    intro = models.CharField(_("摘要"), max_length=250, blank=True)
    body = StreamField(body_blocks(), blank=True, verbose_name=_("正文"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    subpage_types = ["cms.PolicyPage"]

    class Meta:
        verbose_name = _("政策法规")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["sections"] = self.get_children().live().specific().order_by("path")
        return context
