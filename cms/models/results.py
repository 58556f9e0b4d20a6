"""Project results (项目成果): the public story of a completed contract. A draft is made when
the contract completes; the facts (parties, amount, period, milestones, indicators,
beneficiaries, ratings, resident feedback) are read live from the marketplace, editors add
the summary, the story and photos, then publish."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from cms.models.blocks import body_blocks


class ResultIndexPage(Page):
    """`/results/`: published results, filtered by category, district and year."""

    intro = RichTextField(_("导语"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cms.ResultPage"]
    max_count = 1

    class Meta:
        verbose_name = _("项目成果列表")


class ResultPage(Page):
    contract = models.OneToOneField(
        "marketplace.Contract",
        on_delete=models.PROTECT,
        related_name="result_page",
        verbose_name=_("服务合同"),
    )
    summary = models.TextField(
        _("成果摘要"),
        max_length=1000,
        help_text=_("预填为合同的服务内容，可改写为面向公众的摘要。"),
    )
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("封面图片"),
    )
    cover_alt = models.CharField(
        _("封面替代文字"), max_length=200, blank=True, help_text=_("为视障读者描述图片内容。")
    )
    story = StreamField(body_blocks(), blank=True, verbose_name=_("项目故事"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("contract", read_only=True),
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        FieldPanel("cover_alt"),
        FieldPanel("story"),
    ]
    parent_page_types = ["cms.ResultIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("项目成果")
