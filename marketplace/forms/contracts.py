"""Forms of the contract pages: draft, sign, vary, terminate. The services decide; these only
parse (indicators and variation milestones are one row per line, fields split by "|")."""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _
from djmoney.forms.fields import MoneyField
from djmoney.money import Money

from marketplace.forms.widgets import use_amount_widget


def _money_field(label, **kwargs):
    field = MoneyField(
        label=label,
        max_digits=14,
        decimal_places=2,
        currency_choices=[("CNY", _("人民币（CNY）"))],
        default_currency="CNY",
        **kwargs,
    )
    use_amount_widget(field)
    return field


def _rows(text):
    for number, line in enumerate((text or "").splitlines(), start=1):
        if line.strip():
            yield number, [part.strip() for part in line.replace("｜", "|").split("|")]


def indicators_text(indicators) -> str:
    return "\n".join(
        " | ".join([row.get("name", ""), row.get("target", ""), row.get("unit", "")])
        for row in indicators or []
    )


def milestones_text(milestones) -> str:
    return "\n".join(f"{m.name} | {m.amount.amount} | {m.due_on.isoformat()}" for m in milestones)


class ContractForm(forms.Form):
    amount = forms.Field()  # replaced in __init__ (a MoneyField with the amount widget)
    starts_on = forms.DateField(
        label=_("服务开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("服务结束日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    deliverables = forms.CharField(
        label=_("服务内容与交付成果"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6})
    )
    indicators = forms.CharField(
        label=_("绩效指标"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一项：指标名称 | 目标值 | 单位，例如：服务老人人数 | 200 | 人"),
    )
    breach_terms = forms.CharField(
        label=_("违约责任"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    funding_source = forms.CharField(label=_("资金来源"), max_length=200)

    def __init__(self, *args, award, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"] = _money_field(
            _("合同金额"),
            help_text=_("单位：元。不得高于中标（成交）金额 %(amount)s。")
            % {"amount": award.amount},
        )
        self.order_fields(["amount"])

    def clean_indicators(self):
        rows = []
        for number, parts in _rows(self.cleaned_data["indicators"]):
            if len(parts) > 3 or not parts[0]:
                raise forms.ValidationError(
                    _("第 %(line)d 行格式不正确：指标名称 | 目标值 | 单位") % {"line": number}
                )
            parts += [""] * (3 - len(parts))
            rows.append({"name": parts[0], "target": parts[1], "unit": parts[2]})
        return rows


class SignForm(forms.Form):
    totp_code = forms.CharField(
        label=_("动态码"),
        max_length=12,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
        help_text=_("购买主体经办人签署时，请输入身份验证器应用中的6位动态码。"),
    )


class VaryForm(forms.Form):
    reason = forms.CharField(
        label=_("变更理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    amount = forms.Field()
    milestones = forms.CharField(
        label=_("未验收的付款节点"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "每行一个节点：名称 | 金额（元） | 计划完成日期（YYYY-MM-DD）。已验收和已支付的"
            "节点不变；合计须等于变更后的合同金额。"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"] = _money_field(_("变更后合同金额"))
        self.order_fields(["reason", "amount", "milestones"])

    def clean_milestones(self):
        rows = []
        for number, parts in _rows(self.cleaned_data["milestones"]):
            error = forms.ValidationError(
                _("第 %(line)d 行格式不正确：名称 | 金额 | 计划完成日期") % {"line": number}
            )
            if len(parts) != 3:
                raise error
            try:
                amount = Money(Decimal(parts[1].replace(",", "")), "CNY")
                due_on = datetime.date.fromisoformat(parts[2])
            except (InvalidOperation, ValueError) as exc:
                raise error from exc
            rows.append((parts[0], amount, due_on))
        return rows


class TerminateForm(forms.Form):
    reason = forms.CharField(
        label=_("终止理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：中期评估不合格。理由将告知承接主体。"),
    )
    clawback = forms.Field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clawback"] = _money_field(
            _("追回金额"),
            required=False,
            help_text=_("可选：对已支付但未交付的部分追回（退款），不超过已支付金额。"),
        )
        self.order_fields(["reason", "clawback"])
