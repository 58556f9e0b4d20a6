"""Staff admin views for organisations: the workflow moves (认证, 驳回, 暂停, 恢复), the index
and inspect pages, and keeping the official data (评估等级, 信用状态).

Every write calls a service; nothing here saves a model.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import Promise, cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin import messages
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseOperationView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import Button

from marketplace.forms.admin import ReasonForm
from marketplace.models import Organisation
from marketplace.services.organisations import (
    OFFICIAL_DATA_FIELDS,
    organisation_record_official_data,
    organisation_reinstate,
    organisation_reject,
    organisation_suspend,
    organisation_verify,
)
from marketplace.views.admin.common import (
    InspectValuesMixin,
    ObjectActionFormView,
    ServiceFormMixin,
    audit_rows,
)
from marketplace.workflows import ORGANISATION_PERMISSIONS, ORGANISATION_TRANSITIONS

OrgStatus = Organisation.Status


@dataclass(frozen=True)
class OrganisationAction:
    """One staff move in the organisation workflow, offered where the workflow table allows it."""

    name: str
    label: Promise
    sources: frozenset
    target: str
    service: Callable
    success_message: Promise
    icon: str
    needs_reason: bool = False

    def is_available(self, organisation, user) -> bool:
        current = organisation.status
        return (
            current in self.sources
            and self.target in ORGANISATION_TRANSITIONS.get(current, ())
            and ORGANISATION_PERMISSIONS[self.target](user, organisation)
        )

    def perform(self, organisation, user, *, reason=""):
        if self.needs_reason:
            return self.service(organisation=organisation, by=user, reason=reason)
        return self.service(organisation=organisation, by=user)


ORGANISATION_ACTIONS = (
    OrganisationAction(
        name="verify",
        label=gettext_lazy("认证通过"),
        sources=frozenset({OrgStatus.PENDING}),
        target=OrgStatus.VERIFIED,
        service=organisation_verify,
        success_message=gettext_lazy("“%(object)s”已认证通过。"),
        icon="success",
    ),
    OrganisationAction(
        name="reject",
        label=gettext_lazy("驳回"),
        sources=frozenset({OrgStatus.PENDING}),
        target=OrgStatus.REJECTED,
        service=organisation_reject,
        success_message=gettext_lazy("已驳回“%(object)s”的认证申请，理由会告知该组织。"),
        icon="cross",
        needs_reason=True,
    ),
    OrganisationAction(
        name="suspend",
        label=gettext_lazy("暂停"),
        sources=frozenset({OrgStatus.VERIFIED}),
        target=OrgStatus.SUSPENDED,
        service=organisation_suspend,
        success_message=gettext_lazy("已暂停“%(object)s”。"),
        icon="lock",
        needs_reason=True,
    ),
    OrganisationAction(
        name="reinstate",
        label=gettext_lazy("恢复"),
        sources=frozenset({OrgStatus.SUSPENDED}),
        target=OrgStatus.VERIFIED,
        service=organisation_reinstate,
        success_message=gettext_lazy("已恢复“%(object)s”。"),
        icon="lock-open",
    ),
)


def organisation_action_buttons(organisation, user, *, url_namespace, next_url):
    """Buttons for the moves allowed from the organisation's current status.

    Moves without a reason are posted directly (Wagtail's `w-action` controller adds the
    CSRF token and `next`); moves that need a reason link to their form.
    """
    buttons = []
    for priority, action in enumerate(ORGANISATION_ACTIONS, start=40):
        if not action.is_available(organisation, user):
            continue
        url = reverse(f"{url_namespace}:{action.name}", args=[quote(organisation.pk)])
        if action.needs_reason:
            buttons.append(
                Button(
                    action.label,
                    url=f"{url}?{urlencode({'next': next_url})}",
                    icon_name=action.icon,
                    priority=priority,
                )
            )
        else:
            buttons.append(
                Button(
                    action.label,
                    icon_name=action.icon,
                    priority=priority,
                    attrs={
                        "data-controller": "w-action",
                        "data-action": "w-action#post",
                        "data-w-action-url-value": url,
                    },
                )
            )
    return buttons


class OrganisationIndexView(generic.IndexView):
    url_namespace = None

    def get_edit_url(self, instance):
        # The name opens the inspect page: "edit" covers only the official data.
        return None

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.user_has_permission("change"):
            buttons.append(
                Button(
                    _("维护评估等级和信用状态"),
                    url=reverse(self.edit_url_name, args=[quote(instance.pk)]),
                    icon_name="edit",
                    priority=30,
                )
            )
        buttons += organisation_action_buttons(
            instance, self.request.user, url_namespace=self.url_namespace, next_url=self.index_url
        )
        return buttons


class OrganisationInspectView(InspectValuesMixin, generic.InspectView):
    template_name = "marketplace/admin/organisation_inspect.html"
    url_namespace = None

    def get_field_label(self, field_name, field):
        if field_name == "rating_expires_on":
            return _("评估等级有效期至")
        return super().get_field_label(field_name, field)

    @cached_property
    def header_more_buttons(self):
        buttons = []
        if edit_url := self.get_edit_url():
            buttons.append(
                Button(_("维护评估等级和信用状态"), url=edit_url, icon_name="edit", priority=10)
            )
        return buttons + organisation_action_buttons(
            self.object,
            self.request.user,
            url_namespace=self.url_namespace,
            next_url=self.request.path,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["audit_rows"] = audit_rows(self.object)
        return context


class OrganisationTransitionView(PermissionCheckedMixin, BaseOperationView):
    """POST only: make one workflow move through its service, then go back where staff were."""

    model = Organisation
    permission_required = "change"
    http_method_names = ["post"]
    organisation_action = None
    inspect_url_name = None

    def get_success_url(self):
        return self.next_url or reverse(self.inspect_url_name, args=[quote(self.object.pk)])

    def post(self, request, *args, **kwargs):
        try:
            self.organisation_action.perform(self.object, request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, self.organisation_action.success_message % {"object": self.object}
            )
        return redirect(self.get_success_url())


class OrganisationReasonView(ObjectActionFormView):
    """A move that needs a reason (驳回, 暂停): GET shows the form, POST calls the service."""

    model = Organisation
    form_class = ReasonForm
    organisation_action = None

    def get_page_title(self):
        return self.organisation_action.label

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["current_status"] = self.object.get_status_display()
        return context

    def perform(self, cleaned_data):
        self.organisation_action.perform(
            self.object, self.request.user, reason=cleaned_data["reason"]
        )
        return self.organisation_action.success_message % {"object": self.object}


class OrganisationOfficialDataEditView(ServiceFormMixin, generic.EditView):
    page_title = gettext_lazy("维护评估等级和信用状态")
    success_message = gettext_lazy("已更新“%(object)s”的评估等级和信用状态。")
    error_message = gettext_lazy("未能保存，请检查下面的错误。")

    def save_instance(self):
        data = self.form.cleaned_data
        return organisation_record_official_data(
            organisation=self.object,
            by=self.request.user,
            **{name: data[name] for name in OFFICIAL_DATA_FIELDS},
        )

    def get_success_url(self):
        return self.get_inspect_url() or super().get_success_url()
