"""The portal's front page."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from cms.caching import CachedPageMixin
from cms.models.results import ResultPage, attach_contracts
from marketplace import pagecache
from marketplace.selectors.results import (
    TOP_RATED_MIN_COUNT,
    contracted_this_year,
    organisations_top_rated,
    tenders_closing_soon,
)
from marketplace.selectors.stats import platform_counts

LATEST_RESULTS = 4


class HomePage(CachedPageMixin, Page):
    """The portal's front page: what zhengshe is, how buying services works, where to go —
    open tenders closing soon, money contracted this year, the latest published results and
    the top-rated organisations, read live."""

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

    def latest_results(self):
        """The latest published result pages, each with its contract (tender, parties)."""
        pages = (
            ResultPage.objects.live()
            .select_related("cover_image")
            .order_by("-first_published_at", "-pk")[:LATEST_RESULTS]
        )
        return attach_contracts(pages)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        closing = tenders_closing_soon()
        # The list changes by the clock alone when the first deadline passes.
        pagecache.expires_by(request, *(tender.bid_deadline for tender in closing))
        context.update(
            stats=platform_counts(),
            closing_soon=closing,
            contracted_this_year=contracted_this_year(),
            latest_results=self.latest_results(),
            top_rated=organisations_top_rated(),
            top_rated_min=TOP_RATED_MIN_COUNT,
        )
        return context
