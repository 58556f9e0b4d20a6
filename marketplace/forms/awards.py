"""Forms of the award action and objections (质疑). The services decide; these only parse."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from marketplace.forms.widgets import MultipleFileField
from marketplace.models import Objection


class AwardForm(forms.Form):
    """One winner at its price: posted from the evaluation dashboard."""

    bid = forms.IntegerField(label=_("中标（成交）供应商"), widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("决定理由"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("未授予评审推荐的候选人时必填，理由将随公告公开。"),
    )


class ObjectionForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("质疑人（投标组织）"), queryset=None)
    grounds = forms.CharField(
        label=_("质疑事项和理由"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("请写明质疑的具体事项、事实依据和法律依据。质疑内容不公开。"),
    )
    files = MultipleFileField(label=_("证明材料"), required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first().pk
        types = sorted(settings.DOCUMENT_TYPES)
        files = self.fields["files"]
        files.widget.attrs["accept"] = ",".join(f".{ext}" for ext in types)
        files.help_text = _(
            "可选择多个文件，最多 %(count)d 个，每个不超过 %(size)s；格式：%(types)s。"
        ) % {
            "count": settings.DOCUMENTS_PER_UPLOAD,
            "size": filesizeformat(settings.DOCUMENT_MAX_BYTES),
            "types": "、".join(types),
        }


class ObjectionAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("答复"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("答复将告知全体投标人，并作为状态变更的理由记录。"),
    )
    upheld = forms.TypedChoiceField(
        label=_("质疑是否成立"),
        choices=[("0", _("不成立")), ("1", _("成立"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label=_("处理结果（质疑成立时）"),
        choices=[("", "—"), *Objection.Outcome.choices],
        required=False,
    )
