"""Platform staff's admin for organisations, buyers and reference data (the two lists, the
negative list), under one "政社通" menu.

Only staff (`permissions.is_staff`) get in; the MFA middleware guards /admin/ as a whole.
Every change goes through a service, so the audit log sees it.
"""

from django.contrib.auth.models import Permission
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permissions import register_permission_policy

from marketplace.forms.admin import BuyerForm, OrganisationOfficialDataForm
from marketplace.forms.panels import ExpertAdminForm
from marketplace.models import (
    Buyer,
    CommunityListItem,
    Expert,
    Organisation,
    ProhibitedItem,
    RatingAppeal,
    ResidentFeedback,
)
from marketplace.views.admin.buyers import (
    BuyerCreateView,
    BuyerEditView,
    BuyerIndexView,
    BuyerInspectView,
    BuyerInviteView,
)
from marketplace.views.admin.catalogue import (
    CommunityListItemCreateView,
    CommunityListItemEditView,
    CommunityListItemIndexView,
    ProhibitedItemCreateView,
    ProhibitedItemEditView,
)
from marketplace.views.admin.common import StaffOnlyPermissionPolicy
from marketplace.views.admin.experts import ExpertCreateView, ExpertEditView, ExpertIndexView
from marketplace.views.admin.feedback import (
    MODERATE,
    ResidentFeedbackApproveView,
    ResidentFeedbackIndexView,
    ResidentFeedbackRejectView,
)
from marketplace.views.admin.organisations import (
    ORGANISATION_ACTIONS,
    OrganisationIndexView,
    OrganisationInspectView,
    OrganisationOfficialDataEditView,
    OrganisationReasonView,
    OrganisationTransitionView,
)
from marketplace.views.admin.ratings import (
    DECIDE,
    RatingAppealDecideView,
    RatingAppealIndexView,
)

# Registered before any viewset asks, or Wagtail falls back to Django model permissions.
register_permission_policy(
    Organisation, StaffOnlyPermissionPolicy(Organisation, actions={"change", "view"})
)
register_permission_policy(
    Buyer, StaffOnlyPermissionPolicy(Buyer, actions={"add", "change", "view"})
)
# No delete: the audit log records creates and edits; a published item is corrected, not
# removed.
register_permission_policy(
    CommunityListItem,
    StaffOnlyPermissionPolicy(CommunityListItem, actions={"add", "change", "view"}),
)
register_permission_policy(
    ProhibitedItem, StaffOnlyPermissionPolicy(ProhibitedItem, actions={"add", "change", "view"})
)
# No delete: an expert who sat on panels stays on record; staff take them out of the pool.
register_permission_policy(
    Expert, StaffOnlyPermissionPolicy(Expert, actions={"add", "change", "view"})
)


class StaffViewSet(ModelViewSet):
    """What the viewsets share: staff-only policy, no copy, the audit log is the history."""

    copy_view_enabled = False
    inspect_view_enabled = True
    add_to_reference_index = False
    search_backend_name = None  # plain icontains on search_fields
    list_per_page = 50

    def get_permissions_to_register(self):
        # The staff-only policy ignores Django permissions; don't offer them on groups.
        return Permission.objects.none()

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(url_namespace=self.url_namespace, **kwargs)

    def get_edit_view_kwargs(self, **kwargs):
        # Wagtail's own history would stay empty; the inspect page shows the audit trail.
        return super().get_edit_view_kwargs(history_url_name=None, usage_url_name=None, **kwargs)


class OrganisationViewSet(StaffViewSet):
    model = Organisation
    name = "organisations"
    icon = "group"
    menu_label = _("社会组织")
    index_view_class = OrganisationIndexView
    edit_view_class = OrganisationOfficialDataEditView
    inspect_view_class = OrganisationInspectView
    list_display = ["name", "credit_code", "type", "status", "rating_level", "credit_status"]
    list_filter = ["status", "type", "credit_status"]
    search_fields = ["name", "credit_code"]
    inspect_view_fields = [
        "name",
        "credit_code",
        "type",
        "status",
        "registration_authority",
        "registered_on",
        "districts",
        "categories",
        "address",
        "contact_name",
        "contact_phone",
        "contact_email",
        "description",
        "logo",
        "rating_level",
        "rating_evaluated_on",
        "rating_expires_on",
        "credit_status",
        "created_at",
        "updated_at",
    ]

    def get_form_class(self, for_update=False):
        return OrganisationOfficialDataForm

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            *(
                path(
                    f"{action.name}/<int:pk>/",
                    self.construct_view(
                        OrganisationReasonView
                        if action.needs_reason
                        else OrganisationTransitionView,
                        organisation_action=action,
                    ),
                    name=action.name,
                )
                for action in ORGANISATION_ACTIONS
            ),
        ]


class BuyerViewSet(StaffViewSet):
    model = Buyer
    name = "buyers"
    icon = "site"
    menu_label = _("购买主体")
    index_view_class = BuyerIndexView
    add_view_class = BuyerCreateView
    edit_view_class = BuyerEditView
    inspect_view_class = BuyerInspectView
    list_display = ["name", "level", "region", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "credit_code"]
    inspect_view_fields = [
        "name",
        "credit_code",
        "level",
        "region",
        "parent",
        "address",
        "contact_phone",
        "description",
        "created_at",
    ]

    def get_form_class(self, for_update=False):
        return BuyerForm

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("invite/<int:pk>/", self.construct_view(BuyerInviteView), name="invite"),
        ]


class CommunityListItemViewSet(StaffViewSet):
    model = CommunityListItem
    name = "community_list_items"
    icon = "list-ol"
    menu_label = _("两张清单")
    index_view_class = CommunityListItemIndexView
    add_view_class = CommunityListItemCreateView
    edit_view_class = CommunityListItemEditView
    list_display = ["number", "title", "kind", "region", "responsible_department"]
    list_filter = ["region", "kind"]
    search_fields = ["title"]
    form_fields = [
        "region",
        "kind",
        "number",
        "title",
        "legal_basis",
        "responsible_department",
        "category",
        "funding_required",
    ]
    inspect_view_fields = form_fields


class ProhibitedItemViewSet(StaffViewSet):
    model = ProhibitedItem
    name = "prohibited_items"
    icon = "warning"
    menu_label = _("负面清单")
    add_view_class = ProhibitedItemCreateView
    edit_view_class = ProhibitedItemEditView
    list_display = ["code", "name", "reason"]
    search_fields = ["name"]
    form_fields = ["code", "name", "reason"]
    inspect_view_fields = form_fields


class ExpertViewSet(StaffViewSet):
    model = Expert
    name = "experts"
    icon = "user"
    menu_label = _("专家库")
    inspect_view_enabled = False
    index_view_class = ExpertIndexView
    add_view_class = ExpertCreateView
    edit_view_class = ExpertEditView
    list_display = ["user", "title", "employer", "is_active"]
    list_filter = ["is_active", "categories", "regions"]
    search_fields = ["user__name", "user__email", "employer"]

    def get_edit_handler(self):
        # Expert.panels is the reverse relation to its panel seats, not Wagtail panels.
        return None

    def get_form_class(self, for_update=False):
        return ExpertAdminForm


class MarketplaceViewSetGroup(ModelViewSetGroup):
    menu_label = _("政社通")
    menu_icon = "clipboard-list"
    menu_order = 150
    items = (
        OrganisationViewSet,
        BuyerViewSet,
        ExpertViewSet,
        CommunityListItemViewSet,
        ProhibitedItemViewSet,
    )


@hooks.register("register_admin_viewset")
def register_marketplace_viewsets():
    return MarketplaceViewSetGroup()


# Staff look and act; nobody adds, edits or deletes what residents wrote, an appeal or the
# evaluation it contests.
register_permission_policy(
    ResidentFeedback, StaffOnlyPermissionPolicy(ResidentFeedback, actions={"view", MODERATE})
)
register_permission_policy(
    RatingAppeal, StaffOnlyPermissionPolicy(RatingAppeal, actions={"view", DECIDE})
)


class StaffQueueViewSet(StaffViewSet):
    """A staff work queue in its own menu item: the list and one page per action
    (`actions`: URL name → view, at "<name>/<pk>/"); no add, edit, delete or history pages."""

    add_to_admin_menu = True
    inspect_view_enabled = False
    actions: dict = {}

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            *(
                path(f"{name}/<int:pk>/", self.construct_view(view), name=name)
                for name, view in self.actions.items()
            ),
        ]


class ResidentFeedbackViewSet(StaffQueueViewSet):
    model = ResidentFeedback
    name = "resident_feedback"
    icon = "comment"
    menu_label = _("居民留言审核")
    menu_order = 151
    index_view_class = ResidentFeedbackIndexView
    list_display = ["comment", "score", "contract", "created_at"]
    actions = {"approve": ResidentFeedbackApproveView, "reject": ResidentFeedbackRejectView}


class RatingAppealViewSet(StaffQueueViewSet):
    model = RatingAppeal
    name = "rating_appeals"
    icon = "warning"
    menu_label = _("评价申诉")
    menu_order = 152
    index_view_class = RatingAppealIndexView
    list_display = ["rating", "reason", "filed_by", "created_at"]
    actions = {"decide": RatingAppealDecideView}


@hooks.register("register_admin_viewset")
def register_staff_queues():
    return [ResidentFeedbackViewSet(), RatingAppealViewSet()]
