"""The 公益创投 round hub's forms: 初审 of a proposal, the presentation schedule, and the
funding decision's lower amounts. Only the shape of the input is checked here; the rules
are services.venture's, reported per field."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from marketplace.forms.tenders import BeijingDateTimeField


class ScreeningForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("初审结论"),
        choices=[("1", _("通过")), ("0", _("不通过"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("理由"),
        max_length=2000,
        required=False,  # the service requires it, with its own message
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ScheduleForm(forms.Form):
    starts_at = BeijingDateTimeField(label=_("答辩开始时间"), help_text=_("北京时间。"))
    minutes = forms.IntegerField(label=_("每个项目答辩时长（分钟）"), initial=15)
    gap_minutes = forms.IntegerField(label=_("项目之间间隔（分钟）"), initial=0)
    place = forms.CharField(label=_("答辩地点"), max_length=120)


class FundingForm(forms.Form):
    """One optional lower amount, with its reason, per ranked proposal (keyed by bid id)."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            pk = row.bid.pk
            self.fields[f"amount_{pk}"] = forms.DecimalField(
                label=_("资助金额（元）"),
                max_digits=14,
                decimal_places=2,
                required=False,
                min_value=Decimal("0.01"),
                widget=forms.NumberInput(
                    attrs={"step": "0.01", "placeholder": row.requested.amount}
                ),
            )
            self.fields[f"reason_{pk}"] = forms.CharField(
                label=_("调整理由"), max_length=2000, required=False
            )
            for name in (f"amount_{pk}", f"reason_{pk}"):
                self.fields[name].widget.attrs["aria-label"] = (
                    f"{row.bid.organisation.name} {self.fields[name].label}"
                )

    def overrides(self) -> dict:
        """{bid id: (Money, reason)} for every proposal given an amount."""
        return {
            row.bid.pk: (
                Money(self.cleaned_data[f"amount_{row.bid.pk}"], "CNY"),
                self.cleaned_data[f"reason_{row.bid.pk}"],
            )
            for row in self.rows
            if self.cleaned_data.get(f"amount_{row.bid.pk}") is not None
        }

    def pairs(self):
        """(row, amount field, reason field) for the template's table."""
        return [
            (row, self[f"amount_{row.bid.pk}"], self[f"reason_{row.bid.pk}"]) for row in self.rows
        ]
