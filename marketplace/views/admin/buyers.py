"""Staff admin views for buyers (购买主体): index, add, edit, inspect, and inviting officers.

Every write calls a service; nothing here saves a model.
"""

from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.views import generic
from wagtail.admin.widgets import Button

from marketplace.forms.admin import InviteOfficerForm
from marketplace.models import Buyer, Invitation
from marketplace.selectors.buyers import buyer_list_public, buyer_officers
from marketplace.services.accounts import invitation_create
from marketplace.services.buyers import buyer_create, buyer_update
from marketplace.views.admin.common import (
    InspectValuesMixin,
    ObjectActionFormView,
    ServiceFormMixin,
    audit_rows,
)


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
        context["officers"] = buyer_officers(self.object)
        context["audit_rows"] = audit_rows(self.object)
        return context


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
