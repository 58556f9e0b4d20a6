"""Forms of residents' feedback: the public score-and-comment form and staff's rejection
reason. They only parse; the services decide (limits, throttle, moderation rules)."""

from django import forms
from django.utils.translation import gettext_lazy

from marketplace.services.feedback import COMMENT_MAX_LENGTH

SCORE_CHOICES = [
    (5, gettext_lazy("5分 · 非常满意")),
    (4, gettext_lazy("4分 · 满意")),
    (3, gettext_lazy("3分 · 一般")),
    (2, gettext_lazy("2分 · 不满意")),
    (1, gettext_lazy("1分 · 非常不满意")),
]


class ResidentFeedbackForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("满意度"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("请选择1至5分的满意度。"),
            "invalid_choice": gettext_lazy("请选择1至5分的满意度。"),
        },
    )
    # No max_length here: the service gives the one message about the limit; the browser
    # stops at the limit anyway.
    comment = forms.CharField(
        label=gettext_lazy("留言（选填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": COMMENT_MAX_LENGTH}),
        help_text=gettext_lazy(
            "最多500字。留言经平台工作人员审核后公开；请勿填写姓名、电话等个人信息。"
        ),
    )


class FeedbackRejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("不予公开的理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("理由记入审计记录，不会公开；评分仍计入居民满意度。"),
        error_messages={"required": gettext_lazy("请填写不予公开的理由。")},
    )
