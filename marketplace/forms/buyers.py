from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms.widgets import Select
from marketplace.models import Delegation, Region
from marketplace.selectors.organisations import organisation_get_by_credit_code
from marketplace.validators import validate_credit_code


class BuyerFilterForm(forms.Form):
    region = forms.ModelChoiceField(
        widget=Select,
        label=_("地区"),
        queryset=Region.objects.filter(level=Region.Level.CITY),
        required=False,
        empty_label=_("全部地区"),
    )


class DelegationForm(forms.ModelForm):
    # Asked by credit code: a drop-down of every verified organisation does not scale.
    operator = forms.CharField(
        label=_("受托运营方统一社会信用代码"),
        max_length=18,
        help_text=_("受托社会组织须已在平台认证。"),
    )

    class Meta:
        model = Delegation
        fields = ["operator", "scope", "starts_on", "expires_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "expires_on": forms.DateInput(attrs={"type": "date"}),
        }

    def clean_operator(self):
        code = self.cleaned_data["operator"].strip().upper()
        validate_credit_code(code)
        operator = organisation_get_by_credit_code(code)
        if operator is None:
            raise forms.ValidationError(
                _("平台上没有统一社会信用代码为 %(code)s 的社会组织。"), params={"code": code}
            )
        return operator

    def _post_clean(self):
        # The service checks the period and the operator.
        pass
