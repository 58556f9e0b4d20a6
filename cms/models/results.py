"""Project results (项目成果): the public story of a completed contract. A draft is made when
the contract completes; the facts (parties, amount, period, milestones, indicators,
beneficiaries, ratings, resident feedback) are read live from the marketplace, editors add
the summary, the story and photos, then publish."""

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from cms.caching import CachedPageMixin, modified_at
from cms.forms import ResultFilterForm
from cms.models.blocks import body_blocks
from marketplace.selectors.results import (
    result_contract_get,
    result_contracts_by_id,
    result_facts,
    result_pages_public,
)
from marketplace.views import paginate, query_without_page


class ResultIndexPage(CachedPageMixin, Page):
    """`/results/`: published results, filtered by category, district and year."""

    intro = RichTextField(_("导语"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cms.ResultPage"]
    max_count = 1

    class Meta:
        verbose_name = _("项目成果列表")

    def results(self, filters):
        """Published result pages anyone may read under this index, filtered, newest first."""
        pages = result_pages_public(
            category=filters.get("category"),
            region=filters.get("district"),
            year=filters.get("year"),
        )
        return pages.child_of(self).select_related("cover_image")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        form = ResultFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        page = paginate(request, self.results(filters))
        attach_contracts(page)
        context.update(form=form, results_page=page, query=query_without_page(request))
        return context


def attach_contracts(pages):
    """Give each result page its contract (tender, parties) in one query for them all."""
    pages = list(pages)
    contracts = result_contracts_by_id([page.contract_id for page in pages])
    for page in pages:
        page.result_contract = contracts.get(page.contract_id)
    return pages


class ResultPage(CachedPageMixin, Page):
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

    def clean(self):
        super().clean()
        if self.cover_image_id and not self.cover_alt.strip():
            raise ValidationError({"cover_alt": _("有封面图片时必须填写替代文字。")})

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        contract = result_contract_get(self.contract_id)
        if contract is None:
            raise Http404
        facts = result_facts(contract)
        modified_at(request, facts.updated_at)
        context["facts"] = facts
        return context
