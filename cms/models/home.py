"""The portal's front page."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from marketplace.selectors.stats import platform_counts


class HomePage(Page):
    """The portal's front page: what zhengshe is, how buying services works, where to go."""

    intro = RichTextField(_("导语"), blank=True)
    body = StreamField(
        [
            ("heading", blocks.CharBlock(label=_("小标题"))),
            ("paragraph", blocks.RichTextBlock(label=_("段落"))),
        ],
        blank=True,
        verbose_name=_("正文"),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("首页")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["stats"] = platform_counts()
        return context
