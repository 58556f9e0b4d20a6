"""Staff queue of appeals against two-way evaluations (评价申诉): the open appeals, oldest
first, each with the contested evaluation, the other side's evaluation and the reason;
staff uphold (the evaluation is excluded from the aggregates) or dismiss it with a decision.

Every decision goes through `rating_appeal_decide()`, which checks staff and writes the
audit log; nothing here saves a model. The viewset is registered in
`marketplace/wagtail_hooks.py`.
"""

from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.views import generic
from wagtail.admin.widgets import Button

from marketplace.forms.ratings import AppealDecisionForm
from marketplace.models import RatingAppeal
from marketplace.selectors.rating_pages import rating_counterpart
from marketplace.selectors.ratings import rating_appeal_get, rating_appeals_open
from marketplace.services.ratings import rating_appeal_decide
from marketplace.views.admin.common import ObjectActionFormView

# The one thing staff may do here besides looking; the policy knows only "view" and this.
DECIDE = "decide"


class RatingAppealIndexView(generic.IndexView):
    """Open appeals, oldest first (the selector's order), each with its decide button."""

    url_namespace = None
    page_title = gettext_lazy("评价申诉")

    def get_base_queryset(self):
        return rating_appeals_open()

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if not self.user_has_permission(DECIDE):
            return buttons
        return [
            *buttons,
            Button(
                _("处理"),
                url=reverse(f"{self.url_namespace}:decide", args=[quote(instance.pk)]),
                icon_name="edit",
                priority=40,
            ),
        ]


class RatingAppealDecideView(ObjectActionFormView):
    """GET shows both evaluations and the reason; POST upholds or dismisses the appeal."""

    model = RatingAppeal
    form_class = AppealDecisionForm
    permission_required = DECIDE
    page_title = gettext_lazy("处理评价申诉")
    submit_button_label = gettext_lazy("提交处理结果")
    error_field = "decision"
    template_name = "marketplace/admin/rating_appeal_decide.html"

    def get_object(self):
        return rating_appeal_get(pk=self.pk)

    def get_inspect_url(self):
        # There is no inspect page: the decide page shows the whole appeal.
        return reverse(self.index_url_name)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("评价申诉")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rating = self.object.rating
        context.update(
            rating=rating, counterpart=rating_counterpart(rating), rating_round=rating.round
        )
        return context

    def perform(self, cleaned_data):
        rating_appeal_decide(
            appeal=self.object,
            by=self.request.user,
            uphold=cleaned_data["uphold"],
            decision=cleaned_data["decision"],
        )
        if cleaned_data["uphold"]:
            return _("申诉成立：该评价已标注为不计入统计，处理意见已告知双方。")
        return _("申诉已驳回，处理意见已告知双方。")
