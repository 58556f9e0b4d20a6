"""Forms of the public tender pages: the list's filters, and what a bidder's member posts
(a question, following) on behalf of one of their organisations."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms.widgets import CategoryChoiceField, RegionChoiceField, Select
from marketplace.models import Category, Organisation, Region, Tender
from marketplace.selectors.catalogue import region_list_for_filters

BUDGET_ERRORS = {
    "invalid": _("请输入金额（元），例如 200000 或 200000.50。"),
    "min_value": _("金额不能为负数。"),
    "max_digits": _("金额过大。"),
    "max_decimal_places": _("金额最多保留两位小数（分）。"),
    "max_whole_digits": _("金额过大。"),
}


def budget_field(label):
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        error_messages=BUDGET_ERRORS,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
    )


class TenderFilterForm(forms.Form):
    """Filters of /tenders/. The status "open" is judged by the clock, not by the stored
    status, so that a tender whose deadline passed a minute ago is not listed as open."""

    STATUS_CHOICES = [
        ("", _("全部状态")),
        ("open", Tender.Status.PUBLISHED.label),
        (Tender.Status.CLOSED, Tender.Status.CLOSED.label),
        (Tender.Status.OPENED, Tender.Status.OPENED.label),
        (Tender.Status.CANCELLED, Tender.Status.CANCELLED.label),
        (Tender.Status.FAILED, Tender.Status.FAILED.label),
    ]
    SORT_CHOICES = [("newest", _("最新发布")), ("deadline", _("截止时间"))]

    category = CategoryChoiceField(
        label=_("服务类目"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("全部类目"),
    )
    region = RegionChoiceField(
        label=_("地区"), queryset=Region.objects.none(), required=False, empty_label=_("全部地区")
    )
    method = forms.ChoiceField(
        label=_("采购方式"),
        choices=[("", _("全部方式")), *Tender.Method.choices],
        required=False,
        widget=Select,
    )
    status = forms.ChoiceField(
        label=_("状态"), choices=STATUS_CHOICES, required=False, widget=Select
    )
    budget_min = budget_field(_("预算不低于（元）"))
    budget_max = budget_field(_("预算不高于（元）"))
    sort = forms.ChoiceField(label=_("排序"), choices=SORT_CHOICES, required=False, widget=Select)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(
            prohibited_item__isnull=True
        ).order_by("code")
        self.fields["region"].queryset = region_list_for_filters()

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("budget_min"), cleaned.get("budget_max")
        if low is not None and high is not None and low > high:
            self.add_error("budget_max", _("预算上限不能低于预算下限。"))
        return cleaned


class OrganisationPickForm(forms.Form):
    """On behalf of which organisation a member acts. The choices are the user's own
    organisations only, so a forged id fails validation here; the services check again."""

    organisation = forms.ModelChoiceField(
        label=_("代表组织"),
        queryset=Organisation.objects.none(),
        widget=Select,
        empty_label=None,
        error_messages={"invalid_choice": _("您不是所选组织的成员。")},
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class FollowForm(OrganisationPickForm):
    action = forms.ChoiceField(
        choices=[("follow", _("关注")), ("unfollow", _("取消关注"))], widget=forms.HiddenInput
    )


class QuestionForm(OrganisationPickForm):
    question = forms.CharField(
        label=_("问题"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("问题和答复将公开，但不会显示提问的组织。"),
        error_messages={"required": _("请填写问题。"), "max_length": _("问题不能超过2000字。")},
    )
