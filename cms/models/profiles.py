"""Organisation and buyer profiles as routable pages at `/organisations/<id>/` and
`/buyers/<id>/`, reading live marketplace data, with an introduction editors can write for
each organisation or buyer (a snippet, so there is one page per thing, not 20,000)."""

from urllib.parse import urlencode

from django.contrib.admin.utils import quote
from django.db import models
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.hooks import search_for_hooks
from wagtail.models import Page

from cms.caching import CachedPageMixin, modified_at
from cms.models.results import ResultPage
from marketplace import permissions
from marketplace.forms.directory import DirectoryFilterForm
from marketplace.forms.ratings import BuyerTableForm
from marketplace.models import Buyer, Organisation
from marketplace.selectors.audit import audit_latest_reason
from marketplace.selectors.buyers import buyer_children, buyer_delegations_active, buyer_get
from marketplace.selectors.organisations import (
    organisation_get_for_user,
    organisation_list_public,
)
from marketplace.selectors.payments import buyer_punctuality
from marketplace.selectors.profiles import (
    contract_totals,
    contracts_let_public,
    contracts_won_public,
    profile_data_updated_at,
)
from marketplace.selectors.rating_pages import buyer_table_page
from marketplace.selectors.ratings import organisation_on_time_delivery, rating_summary
from marketplace.views import paginate, query_without_page

# Published results listed at the top of a profile; every contract row links its own.
PROFILE_RESULTS = 6


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


class ProfileIndexMixin(CachedPageMixin, RoutablePageMixin):
    """What the two directories share: the profile's contracts with their totals and
    published results, the editable introduction, and the page's Last-Modified."""

    def contracts_context(self, request, contracts, result_filter):
        """The paginated contracts (each with `result`: its published result page or
        None), their totals and the latest published results; a fixed number of queries."""
        totals = contract_totals(contracts)
        contracts_page = paginate(request, contracts, count=totals.count)
        live = ResultPage.objects.live().only(
            "title", "url_path", "path", "depth", "last_published_at", "contract_id"
        )
        results = {
            result.contract_id: result
            for result in live.filter(contract_id__in=[contract.pk for contract in contracts_page])
        }
        for contract in contracts_page:
            contract.result = results.get(contract.pk)
        latest = list(
            live.filter(**result_filter).order_by("-first_published_at", "-pk")[:PROFILE_RESULTS]
        )
        modified_at(
            request,
            totals.updated_at,
            *(result.last_published_at for result in latest),
        )
        return {
            "contracts": contracts_page,
            "totals": totals,
            "results": latest,
            "query": query_without_page(request),
        }

    def introduction_context(self, request, subject):
        """The subject's introduction (or None); for staff, where to write or edit it."""
        field = self.introduction_subject_field
        introduction = self.introduction_model.objects.filter(**{field: subject}).first()
        context = {"introduction": introduction}
        if introduction is not None:
            modified_at(request, introduction.updated_at)
        if permissions.is_staff(request.user):
            context["introduction_edit_url"] = introduction_admin_url(
                self.introduction_model, introduction, **{field: subject.pk}
            )
        return context


def introduction_admin_url(model, introduction, **initial) -> str:
    """The admin page where staff edit `introduction`, or write a new one with `initial`
    (e.g. organisation=<pk>) chosen (cms/wagtail_hooks.py registers the snippets)."""
    search_for_hooks()  # registration sets model.snippet_viewset; a no-op once done
    viewset = model.snippet_viewset
    if introduction is not None:
        return reverse(viewset.get_url_name("edit"), args=[quote(introduction.pk)])
    return f"{reverse(viewset.get_url_name('add'))}?{urlencode(initial)}"


class OrganisationIndexPage(ProfileIndexMixin, Page):
    """`/organisations/`: the directory and every verified organisation's profile."""

    intro = RichTextField(_("导语"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = []
    max_count = 1

    introduction_model = OrganisationIntroduction
    introduction_subject_field = "organisation"

    class Meta:
        verbose_name = _("社会组织名录")

    @path("", name="directory")
    def directory(self, request):
        """Verified organisations, filtered by district, category and rating level."""
        form = DirectoryFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        organisations = organisation_list_public(
            district=filters.get("district"),
            category=filters.get("category"),
            min_rating=filters.get("min_rating"),
        )
        return self.render(
            request,
            context_overrides={
                "form": form,
                "directory": paginate(request, organisations),
                "query": query_without_page(request),
            },
        )

    @path("<int:pk>/", name="profile")
    def profile(self, request, pk):
        """A verified organisation's profile (members and staff see it in any status): its
        facts, official rating level, evaluations, punctuality, contracts won and results."""
        organisation = organisation_get_for_user(pk=pk, user=request.user)
        modified_at(request, organisation.updated_at)
        modified_at(request, *profile_data_updated_at(organisation=organisation))
        context = {
            "organisation": organisation,
            "rating_summary": rating_summary(organisation=organisation),
            "on_time": organisation_on_time_delivery(organisation),
            **self.contracts_context(
                request,
                contracts_won_public(organisation),
                {"contract__organisation": organisation},
            ),
            **self.introduction_context(request, organisation),
        }
        if permissions.can_view_organisation_private(request.user, organisation):
            context["is_admin"] = permissions.is_organisation_admin(request.user, organisation)
            context["is_member"] = permissions.is_organisation_member(request.user, organisation)
            context["status_reason"] = (
                audit_latest_reason(organisation, to_status=organisation.status)
                if organisation.status
                in (Organisation.Status.REJECTED, Organisation.Status.SUSPENDED)
                else ""
            )
        return self.render(
            request, template="cms/organisation_profile.html", context_overrides=context
        )


class BuyerIndexPage(ProfileIndexMixin, Page):
    """`/buyers/`: the buyer table and every buyer's profile."""

    intro = RichTextField(_("导语"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = []
    max_count = 1

    introduction_model = BuyerIntroduction
    introduction_subject_field = "buyer"

    class Meta:
        verbose_name = _("购买主体名录")

    @path("", name="directory")
    def directory(self, request):
        """The buyer table: payment punctuality and ratings, sortable, by region."""
        form = BuyerTableForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        sort = filters.get("sort") or "name"
        return self.render(
            request,
            context_overrides={
                "form": form,
                "directory": paginate(
                    request, buyer_table_page(sort=sort, region=filters.get("region"))
                ),
                "sort": sort,
                "query": query_without_page(request),
                "region_query": urlencode(
                    {"region": filters["region"].pk} if filters.get("region") else {}
                ),
            },
        )

    @path("<int:pk>/", name="profile")
    def profile(self, request, pk):
        """A buyer's profile: its facts, payment punctuality, evaluations by organisations,
        subordinate units, operators, contracts let and results."""
        try:
            buyer = buyer_get(pk=pk)
        except Buyer.DoesNotExist as error:
            raise Http404 from error
        modified_at(request, *profile_data_updated_at(buyer=buyer))
        context = {
            "buyer": buyer,
            "children": buyer_children(buyer),
            "delegations": buyer_delegations_active(buyer),
            "punctuality": buyer_punctuality(buyer),
            "rating_summary": rating_summary(buyer=buyer),
            **self.contracts_context(
                request, contracts_let_public(buyer), {"contract__buyer": buyer}
            ),
            **self.introduction_context(request, buyer),
        }
        return self.render(request, template="cms/buyer_profile.html", context_overrides=context)
