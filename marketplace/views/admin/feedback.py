"""Staff moderation of residents' comments (居民留言审核): the queue of pending comments,
oldest first, with 公开 (a POST from the list) and 不予公开 (a form asking for the reason).

Every move goes through `resident_feedback_moderate()`, which checks staff and writes the
audit log; nothing here saves a model. The viewset is registered in
`marketplace/wagtail_hooks.py`.
"""

from urllib.parse import urlencode

from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin import messages
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseOperationView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import Button

from marketplace.forms.feedback import FeedbackRejectForm
from marketplace.models import ResidentFeedback
from marketplace.selectors.feedback import resident_feedback_queue
from marketplace.services.feedback import resident_feedback_moderate
from marketplace.views.admin.common import ObjectActionFormView

# The one thing staff may do here besides looking; editing or deleting residents' words is
# not offered at all (the permission policy knows only "view" and this).
MODERATE = "moderate"


class ResidentFeedbackIndexView(generic.IndexView):
    """Pending comments, oldest first (the selector's order), each with its two moves."""

    url_namespace = None
    page_title = gettext_lazy("居民留言审核")

    def get_base_queryset(self):
        return resident_feedback_queue()

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if not self.user_has_permission(MODERATE):
            return buttons
        approve_url = reverse(f"{self.url_namespace}:approve", args=[quote(instance.pk)])
        reject_url = reverse(f"{self.url_namespace}:reject", args=[quote(instance.pk)])
        return [
            *buttons,
            Button(
                _("公开"),
                icon_name="success",
                priority=40,
                # Wagtail's w-action controller posts with the CSRF token and `next`.
                attrs={
                    "data-controller": "w-action",
                    "data-action": "w-action#post",
                    "data-w-action-url-value": approve_url,
                },
            ),
            Button(
                _("不予公开"),
                url=f"{reject_url}?{urlencode({'next': self.index_url})}",
                icon_name="cross",
                priority=41,
            ),
        ]


class ResidentFeedbackApproveView(PermissionCheckedMixin, BaseOperationView):
    """POST only: publish the comment, then go back to the queue."""

    model = ResidentFeedback
    permission_required = MODERATE
    http_method_names = ["post"]
    index_url_name = None

    def get_success_url(self):
        return self.next_url or reverse(self.index_url_name)

    def post(self, request, *args, **kwargs):
        try:
            resident_feedback_moderate(feedback=self.object, by=request.user, approve=True)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("留言已公开。"))
        return redirect(self.get_success_url())


class ResidentFeedbackRejectView(ObjectActionFormView):
    """不予公开: GET shows the comment and asks for the reason, POST calls the service."""

    model = ResidentFeedback
    form_class = FeedbackRejectForm
    permission_required = MODERATE
    page_title = gettext_lazy("不予公开")
    submit_button_label = gettext_lazy("不予公开")
    error_field = "reason"
    template_name = "marketplace/admin/feedback_reject.html"

    def get_inspect_url(self):
        # There is no inspect page: the queue shows the whole comment.
        return reverse(self.index_url_name)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("居民留言审核")},
            {"url": "", "label": self.get_page_title()},
        ]

    def perform(self, cleaned_data):
        resident_feedback_moderate(
            feedback=self.object, by=self.request.user, approve=False, reason=cleaned_data["reason"]
        )
        return _("留言不予公开，理由已记入审计记录。")
