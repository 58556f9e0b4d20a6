from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.models import Delegation, Organisation, Region


class BuyerFilterForm(forms.Form):
    region = forms.ModelChoiceField(
        label=_("地区"),
        queryset=Region.objects.filter(level=Region.Level.CITY),
        required=False,
        empty_label=_("全部地区"),
    )


class DelegationForm(forms.ModelForm):
    operator = forms.ModelChoiceField(
        label=_("受托运营方"),
        queryset=Organisation.objects.filter(status=Organisation.Status.VERIFIED),
    )

    class Meta:
        model = Delegation
        fields = ["operator", "scope", "starts_on", "expires_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "expires_on": forms.DateInput(attrs={"type": "date"}),
        }

    def _post_clean(self):
        # The service checks the period and the operator.
        pass
