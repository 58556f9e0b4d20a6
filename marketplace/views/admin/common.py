"""What the staff admin views share: the staff-only permission policy, the audit trail as
rows, and the view mixins and base classes the organisation and buyer views build on.

The viewsets that put the views into the admin live in `marketplace/wagtail_hooks.py`.
"""

import datetime
from dataclasses import dataclass

from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permission_policies import BasePermissionPolicy

from marketplace import permissions
from marketplace.models import Invitation, Organisation
from marketplace.selectors.audit import audit_list_for
from marketplace.views import add_service_errors

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
