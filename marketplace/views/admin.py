"""Platform staff's Wagtail admin views. Every write calls a service; nothing here saves a model.

The viewsets that put these views into the admin live in `marketplace/wagtail_hooks.py`.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise, cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import (
    BaseObjectMixin,
    BaseOperationView,
    WagtailAdminTemplateMixin,
)
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import AdminDateInput, Button
from wagtail.permission_policies import BasePermissionPolicy

from marketplace import permissions
from marketplace.models import Buyer, Invitation, Organisation
from marketplace.selectors.audit import audit_list_for
from marketplace.selectors.buyers import buyer_list_public
from marketplace.services.accounts import invitation_create
from marketplace.services.buyers import BUYER_FIELDS, buyer_create, buyer_update
from marketplace.services.organisations import (
    OFFICIAL_DATA_FIELDS,
    organisation_record_official_data,
    organisation_reinstate,
    organisation_reject,
    organisation_suspend,
    organisation_verify,
)
from marketplace.views import add_service_errors
from marketplace.workflows import ORGANISATION_PERMISSIONS, ORGANISATION_TRANSITIONS

OrgStatus = Organisation.Status
EMPTY = "—"


class StaffOnlyPermissionPolicy(BasePermissionPolicy):
    """Platform staff may perform `actions` on the model; nobody else may do anything.

    Django's per-model permissions are ignored on purpose: who counts as staff is decided in
    `marketplace.permissions`, and the services check it again.
    """

    def __init__(self, model, *, actions):
        super().__init__(model)
        self.actions = frozenset(actions)

    def user_has_permission(self, user, action):
        return action in self.actions and permissions.is_staff(user)

    def user_has_any_permission(self, user, actions):
        return bool(self.actions.intersection(actions)) and permissions.is_staff(user)

    def users_with_any_permission(self, actions):
        staff = get_user_model().objects.filter(is_active=True, is_staff=True)
        return staff if self.actions.intersection(actions) else staff.none()


# --- The audit trail, as rows a template can show ------------------------------------------

ACTION_LABELS = {
    "register": gettext_lazy("注册"),
    "create": gettext_lazy("创建"),
    "update": gettext_lazy("修改资料"),
    "transition": gettext_lazy("状态变更"),
    "official_data": gettext_lazy("维护评估等级和信用状态"),
    "invite": gettext_lazy("发出邀请"),
    "join": gettext_lazy("接受邀请"),
    "member_remove": gettext_lazy("移除成员"),
    "delegate": gettext_lazy("设置委托"),
    "revoke_delegation": gettext_lazy("撤销委托"),
}


@dataclass(frozen=True)
class AuditRow:
    entry: object
    action: str
    from_status: str
    to_status: str
    details: str


def _field_label(model, name):
    try:
        return capfirst(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _official_value_label(name, value):
    if value is None or value == "":
        return EMPTY
    if name == "rating_level":
        return Organisation.RatingLevel(value).label
    if name == "credit_status":
        return Organisation.CreditStatus(value).label
    return str(value)


def _audit_details(model, entry) -> str:
    data = entry.data or {}
    if entry.action == "official_data":
        return "；".join(
            f"{_field_label(model, name)}：{_official_value_label(name, change['from'])} → "
            f"{_official_value_label(name, change['to'])}"
            for name, change in data.items()
        )
    if entry.action == "update":
        return "、".join(str(_field_label(model, name)) for name in data.get("fields", []))
    if entry.action in {"invite", "join"} and "email" in data:
        role = data.get("role", "")
        role = Invitation.Role(role).label if role in Invitation.Role.values else role
        return f"{data['email']}（{role}）" if role else data["email"]
    return "；".join(f"{key}：{value}" for key, value in data.items())


def audit_rows(obj) -> list[AuditRow]:
    """The object's audit trail with actions, statuses and changed values in words."""
    model = type(obj)
    status_labels = dict(model.Status.choices) if hasattr(model, "Status") else {}
    return [
        AuditRow(
            entry=entry,
            action=ACTION_LABELS.get(entry.action, entry.action),
            from_status=status_labels.get(entry.from_status, entry.from_status),
            to_status=status_labels.get(entry.to_status, entry.to_status),
            details=_audit_details(model, entry),
        )
        for entry in audit_list_for(obj)
    ]


# --- Shared view pieces ----------------------------------------------------------------------


class ServiceFormMixin:
    """For Wagtail's create/edit views: a service's ValidationError goes back onto the form."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:  # raised inside save_instance(); rolled back
            add_service_errors(form, error)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class InspectValuesMixin:
    """Inspect-page values: a dash for empty ones, times in local time (the template's
    `localize` filter would otherwise print UTC)."""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if value is None or value == "":
            return EMPTY
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return timezone.localtime(value)
        return value


class ObjectActionFormView(
    PermissionCheckedMixin, WagtailAdminTemplateMixin, BaseObjectMixin, FormView
):
    """GET shows a small form about one object; POST hands it to `perform()`, a service call.

    A ValidationError from the service is shown on the form; PermissionDenied is left to
    Wagtail, which sends the user back with its own message.
    """

    permission_required = "change"
    template_name = "marketplace/admin/action_form.html"
    index_url_name = None
    inspect_url_name = None
    submit_button_label = gettext_lazy("提交")
    error_field = None  # where a service error without a field goes

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.next_url = get_valid_next_url_from_request(request)

    def perform(self, cleaned_data) -> str:
        """Call the service; return the success message."""
        raise NotImplementedError

    def get_page_subtitle(self):
        return f"{self.get_page_title()}：{self.object}"

    def get_header_title(self):
        return self.get_page_subtitle()

    def get_inspect_url(self):
        return reverse(self.inspect_url_name, args=[quote(self.object.pk)])

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(self.model._meta.verbose_name_plural),
            },
            {"url": self.get_inspect_url(), "label": str(self.object)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_success_url(self):
        return self.next_url or self.get_inspect_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            action_url=self.request.path,
            next_url=self.next_url,
            submit_button_label=self.submit_button_label,
        )
        return context

    def form_valid(self, form):
        try:
            message = self.perform(form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict") or self.error_field is None:
                add_service_errors(form, error)
            else:
                form.add_error(self.error_field, error)
            return self.form_invalid(form)
        messages.success(self.request, message)
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        messages.validation_error(self.request, _("未能提交，请检查下面的错误。"), form)
        return super().form_invalid(form)


# --- Organisations ---------------------------------------------------------------------------


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


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("理由会告知该社会组织，并记入审计记录。"),
        error_messages={"required": gettext_lazy("请填写理由，理由将告知对方。")},
    )


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


class OrganisationOfficialDataForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = OFFICIAL_DATA_FIELDS
        widgets = {"rating_evaluated_on": AdminDateInput}
        help_texts = {
            "rating_level": gettext_lazy("民政部门评估结果；不填表示未评估。"),
            "rating_evaluated_on": gettext_lazy("评估等级自评估日期起五年内有效。"),
        }

    def _post_clean(self):
        # organisation_record_official_data() validates, with messages staff understand.
        pass


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


# --- Buyers ----------------------------------------------------------------------------------


class BuyerForm(forms.ModelForm):
    class Meta:
        model = Buyer
        fields = BUYER_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["parent"].queryset = Buyer.objects.exclude(pk=self.instance.pk)

    def _post_clean(self):
        # buyer_create() / buyer_update() validate: credit code, uniqueness, parent cycles.
        pass


class BuyerIndexView(generic.IndexView):
    url_namespace = None

    def get_base_queryset(self):
        return buyer_list_public()

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.user_has_permission("change"):
            buttons.append(
                Button(
                    _("邀请经办人"),
                    url=reverse(f"{self.url_namespace}:invite", args=[quote(instance.pk)]),
                    icon_name="mail",
                    priority=40,
                )
            )
        return buttons


class BuyerCreateView(ServiceFormMixin, generic.CreateView):
    success_message = gettext_lazy("已添加购买主体“%(object)s”。")
    error_message = gettext_lazy("未能添加，请检查下面的错误。")
    inspect_url_name = None

    def save_instance(self):
        return buyer_create(by=self.request.user, **self.form.cleaned_data)

    def get_success_url(self):
        return reverse(self.inspect_url_name, args=[quote(self.object.pk)])


class BuyerEditView(ServiceFormMixin, generic.EditView):
    success_message = gettext_lazy("已更新购买主体“%(object)s”。")
    error_message = gettext_lazy("未能保存，请检查下面的错误。")

    def save_instance(self):
        return buyer_update(buyer=self.object, by=self.request.user, **self.form.cleaned_data)


class BuyerInspectView(InspectValuesMixin, generic.InspectView):
    template_name = "marketplace/admin/buyer_inspect.html"
    url_namespace = None

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if self.user_has_permission("change"):
            buttons.append(
                Button(
                    _("邀请经办人"),
                    url=reverse(f"{self.url_namespace}:invite", args=[quote(self.object.pk)]),
                    icon_name="mail",
                    priority=30,
                )
            )
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["officers"] = self.object.memberships.select_related("user").order_by("created_at")
        context["audit_rows"] = audit_rows(self.object)
        return context


class InviteOfficerForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("邮箱"),
        help_text=gettext_lazy("邀请链接会发到这个邮箱，对方需用该邮箱注册或登录后接受。"),
    )


class BuyerInviteView(ObjectActionFormView):
    """Invite a buyer officer (经办人) by email."""

    model = Buyer
    form_class = InviteOfficerForm
    page_title = gettext_lazy("邀请经办人")
    submit_button_label = gettext_lazy("发送邀请")
    error_field = "email"

    def perform(self, cleaned_data):
        invitation = invitation_create(
            by=self.request.user,
            email=cleaned_data["email"],
            role=Invitation.Role.BUYER_OFFICER,
            buyer=self.object,
            accept_url_base=self.request.build_absolute_uri("/")[:-1],
        )
        return _("已向 %(email)s 发送邀请。") % {"email": invitation.email}
