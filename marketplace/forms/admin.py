"""Forms for platform staff's Wagtail admin (`marketplace/views/admin/`).

The services validate and save; the model forms here skip model validation on purpose.
"""

from django import forms
from django.utils.translation import gettext_lazy
from wagtail.admin.widgets import AdminDateInput

from marketplace.models import Buyer, Organisation
from marketplace.services.buyers import BUYER_FIELDS
from marketplace.services.organisations import OFFICIAL_DATA_FIELDS


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("理由会告知该社会组织，并记入审计记录。"),
        error_messages={"required": gettext_lazy("请填写理由，理由将告知对方。")},
    )


class OrganisationOfficialDataForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = OFFICIAL_DATA_FIELDS
        widgets = {"rating_evaluated_on": AdminDateInput}
        help_texts = {
            "rating_level": gettext_lazy("民政部门评估结果；不填表示未评估。"),
            "rating_evaluated_on": gettext_lazy("评估等级自评估日期起五年内有效。"),
        }

    def _post_clean(self):
        # organisation_record_official_data() validates, with messages staff understand.
        pass


class BuyerForm(forms.ModelForm):
    class Meta:
        model = Buyer
        fields = BUYER_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["parent"].queryset = Buyer.objects.exclude(pk=self.instance.pk)

    def _post_clean(self):
        # buyer_create() / buyer_update() validate: credit code, uniqueness, parent cycles.
        pass


class InviteOfficerForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("邮箱"),
        help_text=gettext_lazy("邀请链接会发到这个邮箱，对方需用该邮箱注册或登录后接受。"),
    )
