"""Forms of the panel pages: the buyer's draw and naming forms, the expert's declaration."""

from django import forms
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from marketplace.models import Expert, PanelMember, Region, User


class PanelDrawForm(forms.Form):
    size = forms.IntegerField(
        label=_("抽取人数"),
        min_value=1,
        max_value=50,
        required=False,
        help_text=_("不填则抽取达到最少人数所缺的人数。"),
    )


class ExpertChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        parts = [str(obj.user), obj.title, obj.employer]
        return " · ".join(part for part in parts if part)


class PanelNameForm(forms.Form):
    experts = ExpertChoiceField(
        label=_("指定专家"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("只列出领域、地区相符且与投标人、采购人无关的在库专家。"),
    )

    def __init__(self, *args, pool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["experts"].queryset = pool


class OrganisationNameField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class DeclarationForm(forms.Form):
    """The conflict-of-interest declaration: kinds, the bidders concerned, and details."""

    conflicts = forms.MultipleChoiceField(
        label=_("利益冲突情形"),
        choices=PanelMember.Conflict.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("没有任何利益冲突的，不勾选。"),
    )
    organisations = OrganisationNameField(
        label=_("存在利害关系的投标组织"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    details = forms.CharField(
        label=_("情况说明"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    pledge = forms.BooleanField(
        label=_("本人承诺以上声明真实、完整；如有隐瞒，愿承担相应责任。"), required=True
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = organisations


# --- The expert pool, in the staff admin ------------------------------------------------------


class ExpertAdminForm(forms.ModelForm):
    """Staff's form for an expert of the pool; expert_save() validates and audits."""

    class Meta:
        model = Expert
        fields = ["user", "title", "employer", "categories", "regions", "is_active"]
        widgets = {
            "categories": forms.CheckboxSelectMultiple,
            "regions": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "categories": _("可评审该类目及其下级类目的项目。"),
            "regions": _("可评审该地区及其下级地区的项目。"),
            "is_active": _("不在库的专家不会被抽取或指定，已有的评审任务不受影响。"),
        }

    def __init__(self, *args, **kwargs):
        kwargs.pop("for_user", None)  # passed by Wagtail's views
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # An expert's account does not change; a new account is a new pool entry.
            del self.fields["user"]
        else:
            self.fields["user"].queryset = User.objects.filter(
                is_active=True, expert__isnull=True
            ).order_by("name", "pk")
        self.fields["regions"].queryset = Region.objects.exclude(
            level=Region.Level.STREET
        ).order_by("code")

    def _post_clean(self):
        # Copy the values onto the instance only: expert_save() validates.
        self.instance = construct_instance(self, self.instance, self._meta.fields)
