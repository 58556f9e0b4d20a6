from django import forms
from django.utils.translation import gettext_lazy as _


class ApiTokenForm(forms.Form):
    """A token's name and the member it acts as; api_token_create checks the rules."""

    name = forms.CharField(
        label=_("名称"), max_length=60, help_text=_("例如：财务系统、项目管理系统。")
    )
    user = forms.ModelChoiceField(label=_("代表成员"), queryset=None)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = members
        self.fields["user"].help_text = _("调用接口时以该成员的身份、为本组织操作。")
