"""Staff write the introductions shown on organisation and buyer profiles (snippets, one per
organisation or buyer), choosing the organisation or buyer in a searchable chooser.

Only platform staff may add, edit or delete them (the same staff-only policy as the
marketplace admin); a profile links its staff readers here ("编辑介绍").
"""

from django import forms
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.panels import FieldPanel
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, SnippetViewSet

from cms.models import BuyerIntroduction, OrganisationIntroduction
from marketplace.models import Buyer, Organisation
from marketplace.views.admin.common import StaffOnlyPermissionPolicy

for model in (OrganisationIntroduction, BuyerIntroduction):
    register_permission_policy(
        model, StaffOnlyPermissionPolicy(model, actions={"add", "change", "delete", "view"})
    )


class NameOrCodeFilterForm(BaseFilterForm):
    """Search the chooser by name or credit code (organisations and buyers are not in the
    Wagtail search index; a plain icontains on two indexed columns is enough here)."""

    q = forms.CharField(
        label=_("名称或统一社会信用代码"),
        widget=forms.TextInput(attrs={"placeholder": _("名称或统一社会信用代码")}),
        required=False,
    )

    def filter(self, objects):
        objects = super().filter(objects)
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            objects = objects.filter(name__icontains=query) | objects.filter(
                credit_code__iexact=query
            )
            self.is_searching = True
            self.search_query = query
        return objects


class NameOrCodeChooseView(ChooseView):
    filter_form_class = NameOrCodeFilterForm


class NameOrCodeChooseResultsView(ChooseResultsView):
    filter_form_class = NameOrCodeFilterForm


class SubjectChooserViewSet(ChooserViewSet):
    choose_view_class = NameOrCodeChooseView
    choose_results_view_class = NameOrCodeChooseResultsView
    # Only the introductions use this chooser; other admin forms keep their own widgets.
    register_widget = False
    per_page = 20


organisation_chooser = SubjectChooserViewSet(
    "organisation_chooser",
    model=Organisation,
    icon="group",
    choose_one_text=_("选择社会组织"),
    choose_another_text=_("选择其他社会组织"),
    url_prefix="cms/choose-organisation",
)
buyer_chooser = SubjectChooserViewSet(
    "buyer_chooser",
    model=Buyer,
    icon="site",
    choose_one_text=_("选择购买主体"),
    choose_another_text=_("选择其他购买主体"),
    url_prefix="cms/choose-buyer",
)


class IntroductionCreateView(CreateView):
    """The add form with the organisation or buyer already chosen when the profile's
    "编辑介绍" link names it (?organisation=<pk> or ?buyer=<pk>)."""

    subject_field = None  # "organisation" or "buyer", set by the viewset

    def get_initial_form_instance(self):
        instance = super().get_initial_form_instance() or self.model()
        pk = self.request.GET.get(self.subject_field, "")
        if pk.isdigit():
            setattr(instance, f"{self.subject_field}_id", int(pk))
        return instance


class IntroductionViewSet(SnippetViewSet):
    add_view_class = IntroductionCreateView
    subject_field = None
    copy_view_enabled = False
    add_to_admin_menu = False
    menu_icon = "doc-full"
    list_per_page = 50

    def get_permissions_to_register(self):
        # The staff-only policy ignores Django permissions; don't offer them on groups.
        return Permission.objects.none()

    def get_add_view_kwargs(self, **kwargs):
        return super().get_add_view_kwargs(subject_field=self.subject_field, **kwargs)


class OrganisationIntroductionViewSet(IntroductionViewSet):
    model = OrganisationIntroduction
    subject_field = "organisation"
    icon = "group"
    list_display = ["organisation", "updated_at"]
    search_fields = None
    panels = [
        FieldPanel("organisation", widget=organisation_chooser.widget_class),
        FieldPanel("body"),
    ]


class BuyerIntroductionViewSet(IntroductionViewSet):
    model = BuyerIntroduction
    subject_field = "buyer"
    icon = "site"
    list_display = ["buyer", "updated_at"]
    search_fields = None
    panels = [FieldPanel("buyer", widget=buyer_chooser.widget_class), FieldPanel("body")]


@hooks.register("register_admin_viewset")
def register_choosers():
    return [organisation_chooser, buyer_chooser]


register_snippet(OrganisationIntroductionViewSet)
register_snippet(BuyerIntroductionViewSet)
