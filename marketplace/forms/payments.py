"""Forms of the payment actions. The services decide; these only parse."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class TreasuryRecordForm(forms.Form):
    """The treasury transfer (国库集中支付) the officer records for a pending payment."""

    voucher_number = forms.CharField(label=_("国库支付凭证号"), max_length=60)
    voucher_date = forms.DateField(
        label=_("凭证日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    file = forms.FileField(
        label=_("支付凭证"),
        help_text=_("PDF或图片（JPG、PNG），不超过10MB。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class RefundForm(forms.Form):
    """A clawback of part or all of a settled payment."""

    amount = forms.DecimalField(
        label=_("退款金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    reason = forms.CharField(
        label=_("退款理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PaymentMethodForm(forms.Form):
    """Posted by Stripe.js once the card is confirmed: the SetupIntent that saved it."""

    setup_intent = forms.CharField(max_length=120, widget=forms.HiddenInput)
