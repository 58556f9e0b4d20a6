from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from djmoney.forms.fields import MoneyField

from marketplace.forms.widgets import MultipleFileField, use_amount_widget


class BidForm(forms.Form):
    """A bid as the organisation writes it. Only the shape of the input is checked here; the
    rules (budget, eligibility, deadline, file content) are bid_submit's, reported per field."""

    amount = MoneyField(
        label=_("投标报价"),
        max_digits=14,
        decimal_places=2,
        currency_choices=[("CNY", _("人民币（CNY）"))],
        default_currency="CNY",
    )
    service_plan = forms.CharField(
        label=_("服务方案"), max_length=20000, widget=forms.Textarea(attrs={"rows": 10})
    )
    team = forms.CharField(
        label=_("项目团队"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    outputs = forms.CharField(
        label=_("预期产出与绩效指标"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    beneficiaries = forms.CharField(
        label=_("服务对象"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    documents = MultipleFileField(label=_("投标文件"), required=False)

    def __init__(self, *args, tender, bid=None, **kwargs):
        if bid is not None:
            kwargs.setdefault(
                "initial",
                {
                    "amount": bid.amount,
                    "service_plan": bid.service_plan,
                    "team": bid.team,
                    "outputs": bid.outputs,
                    "beneficiaries": bid.beneficiaries,
                },
            )
        super().__init__(*args, **kwargs)
        amount = self.fields["amount"]
        amount.label = _("申请资助金额") if tender.is_venture else _("投标报价")
        if tender.is_venture and tender.project_cap is not None:
            amount.help_text = _("单位：元，最多两位小数，不得超过单个项目资助上限 %(cap)s。") % {
                "cap": tender.project_cap
            }
        else:
            amount.help_text = _("单位：元，最多两位小数，不得超过项目预算。")
        use_amount_widget(amount)
        types = sorted(settings.DOCUMENT_TYPES)
        documents = self.fields["documents"]
        documents.widget.attrs["accept"] = ",".join(f".{ext}" for ext in types)
        documents.help_text = _(
            "可选择多个文件，最多 %(count)d 个，每个不超过 %(size)s；格式：%(types)s。"
        ) % {
            "count": settings.DOCUMENTS_PER_UPLOAD,
            "size": filesizeformat(settings.DOCUMENT_MAX_BYTES),
            "types": "、".join(types),
        }
