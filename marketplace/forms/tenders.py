"""The buyer officer's tender forms: the notice itself, its criteria and milestones as
formsets, amendments, cancellation and answers. The services decide what is valid."""

import zoneinfo
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from djmoney.forms.fields import MoneyField

from marketplace.forms.widgets import (
    CategoryChoiceField,
    MultipleFileField,
    RegionChoiceField,
    Select,
    use_amount_widget,
)
from marketplace.models import Category, CommunityListItem, Region, Tender, TenderDocument
from marketplace.selectors.catalogue import region_list_for_filters
from marketplace.selectors.organisations import organisation_get_by_credit_code
from marketplace.validators import validate_credit_code

# Deadlines in a notice are Beijing time, whatever zone the officer's browser is in.
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


class BeijingDateTimeField(forms.DateTimeField):
    """An HTML datetime-local input read and shown in Beijing time."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def prepare_value(self, value):
        with timezone.override(BEIJING):
            return super().prepare_value(value)

    def to_python(self, value):
        with timezone.override(BEIJING):
            return super().to_python(value)


class AssistanceItemChoiceField(forms.ModelChoiceField):
    widget = Select

    def label_from_instance(self, obj):
        return f"{obj.region.name} · {obj.number}. {obj.title}"


class TenderForm(forms.ModelForm):
    """The fields of a tender notice, for drafting and editing a draft."""

    # Every category, those on the negative list included: the service says why one is refused.
    category = CategoryChoiceField(label=_("服务类目"), queryset=Category.objects.all())
    region = RegionChoiceField(label=_("服务地区"), queryset=Region.objects.none())
    budget = MoneyField(
        label=_("预算金额"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        currency_choices=[("CNY", _("人民币（元）"))],
        default_currency="CNY",
    )
    # Required for 公益创投 and refused otherwise: the service says so, on this field.
    project_cap = MoneyField(
        label=_("单个项目资助上限"),
        max_digits=14,
        decimal_places=2,
        required=False,
        currency_choices=[("CNY", _("人民币（元）"))],
        default_currency="CNY",
        help_text=_("仅公益创投填写：预算即资助总额，每个项目的申请金额不得超过此上限。"),
    )
    assistance_item = AssistanceItemChoiceField(
        label=_("对应协助政府工作事项"),
        queryset=CommunityListItem.objects.none(),
        required=False,
        empty_label=_("无"),
        help_text=_("承接社区协助政府工作事项时选择，并写明资金来源（费随事转）。"),
    )
    min_rating_level = forms.TypedChoiceField(
        label=_("最低评估等级"),
        widget=Select,
        choices=[("", _("不限")), *[(level, f"{level}A") for level in range(1, 6)]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    # Asked by credit code: a drop-down of every organisation does not scale.
    invited = forms.CharField(
        label=_("受邀社会组织"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("邀请招标、单一来源采购时填写：每行一个统一社会信用代码。"),
    )
    clarification_deadline = BeijingDateTimeField(
        label=_("答疑截止时间"), help_text=_("北京时间。")
    )
    bid_deadline = BeijingDateTimeField(label=_("投标截止时间"), help_text=_("北京时间。"))
    opening_at = BeijingDateTimeField(label=_("开标时间"), help_text=_("北京时间。"))
    documents = MultipleFileField(
        label=_("招标文件"),
        required=False,
        help_text=_("可一次选择多个文件：PDF、Word、Excel 或图片。"),
    )

    class Meta:
        model = Tender
        fields = [
            "title",
            "description",
            "category",
            "region",
            "budget",
            "project_cap",
            "funding_source",
            "assistance_item",
            "method",
            "min_rating_level",
            "min_years_registered",
            "invited",
            "contract_months",
            "continuous_service",
            "clarification_deadline",
            "bid_deadline",
            "opening_at",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "method": Select,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_amount_widget(self.fields["budget"])
        use_amount_widget(self.fields["project_cap"])
        self.fields["region"].queryset = region_list_for_filters()
        self.fields["assistance_item"].queryset = CommunityListItem.objects.filter(
            kind=CommunityListItem.Kind.ASSISTANCE
        ).select_related("region")
        if self.instance.pk and not self.is_bound:
            codes = self.instance.invited.order_by("name").values_list("credit_code", flat=True)
            self.initial["invited"] = "\n".join(codes)

    def clean_invited(self):
        organisations, errors = [], []
        for line in self.cleaned_data["invited"].splitlines():
            code = line.strip().upper()
            if not code:
                continue
            try:
                validate_credit_code(code)
            except ValidationError as error:
                errors.extend(f"{code}：{message}" for message in error.messages)
                continue
            organisation = organisation_get_by_credit_code(code)
            if organisation is None:
                errors.append(
                    _("平台上没有统一社会信用代码为 %(code)s 的社会组织。") % {"code": code}
                )
            elif organisation not in organisations:
                organisations.append(organisation)
        if errors:
            raise ValidationError(errors)
        return organisations

    def _post_clean(self):
        # The service validates the tender as a whole and reports errors per field.
        pass

    def service_fields(self) -> dict:
        """The cleaned tender fields as the services take them (parts and files apart)."""
        data = dict(self.cleaned_data)
        data.pop("invited")
        data.pop("documents")
        return data


class TenderAmendForm(TenderForm):
    """The same fields prefilled from the tender, plus the public note and document removals."""

    note = forms.CharField(
        label=_("变更说明"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("说明将随变更公告公开。"),
    )
    remove_documents = forms.ModelMultipleChoiceField(
        label=_("删除现有文件"),
        queryset=TenderDocument.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    field_order = ["note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The method is fixed once published; a different method means a new tender.
        self.fields["method"].disabled = True
        self.fields["remove_documents"].queryset = self.instance.documents.filter(
            removed_in_version=None
        )

    def service_fields(self) -> dict:
        data = super().service_fields()
        data.pop("note")
        data.pop("remove_documents")
        return data


def _labelled(field):
    # Formset rows sit in a table under one header; each input still needs its own name.
    field.widget.attrs["aria-label"] = field.label
    return field


class CriterionForm(forms.Form):
    name = _labelled(forms.CharField(label=_("评分项"), max_length=60))
    weight = _labelled(forms.IntegerField(label=_("权重"), min_value=1, max_value=100))
    is_price = _labelled(forms.BooleanField(label=_("价格分"), required=False))


class MilestoneForm(forms.Form):
    name = _labelled(forms.CharField(label=_("履约节点"), max_length=60))
    percentage = _labelled(forms.IntegerField(label=_("支付比例（%）"), min_value=1, max_value=100))


CriterionFormSet = forms.formset_factory(CriterionForm, extra=3, can_delete=True, max_num=20)
MilestoneFormSet = forms.formset_factory(MilestoneForm, extra=3, can_delete=True, max_num=20)


def formset_rows(formset) -> list[dict]:
    """The filled-in, not deleted rows of a valid formset, in order."""
    return [
        {key: value for key, value in form.cleaned_data.items() if key != "DELETE"}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class CancelForm(forms.Form):
    """Ending a tender early: cancelled, or (once the bids are opened) failed (流标)."""

    outcome = forms.ChoiceField(
        label=_("结束方式"),
        choices=[
            (Tender.Status.CANCELLED.value, _("取消项目")),
            (Tender.Status.FAILED.value, _("流标（有效投标不足或均不符合要求）")),
        ],
        initial=Tender.Status.CANCELLED.value,
    )
    reason = forms.CharField(
        label=_("原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("原因将随公告公开。"),
    )

    def __init__(self, *args, can_fail=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_fail:
            del self.fields["outcome"]


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("答复"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class TenderStatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        widget=Select,
        required=False,
        choices=[("", _("全部状态")), *Tender.Status.choices],
    )
