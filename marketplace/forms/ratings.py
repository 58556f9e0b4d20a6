"""Forms of the two-way evaluation (双向评估): one side's scores, an appeal, the staff
decision on an appeal, and the sort of the public buyer table.

The services decide what is valid (a comment for a 1 or 2, the window, who may act); the
forms only parse input into what the services take.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms.buyers import BuyerFilterForm
from marketplace.forms.widgets import Select

SCORE_CHOICES = [
    (1, _("1 分 · 很差")),
    (2, _("2 分 · 较差")),
    (3, _("3 分 · 一般")),
    (4, _("4 分 · 较好")),
    (5, _("5 分 · 很好")),
]


def score_field_name(dimension) -> str:
    return f"{dimension}_score"


def comment_field_name(dimension) -> str:
    return f"{dimension}_comment"


class RatingForm(forms.Form):
    """A 1–5 radio choice and a comment per dimension of the side's evaluation.

    `dimensions` is the list of (Dimension, help) pairs for the side, in order.
    """

    def __init__(self, *args, dimensions, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimensions = list(dimensions)
        for dimension, help_text in self.dimensions:
            self.fields[score_field_name(dimension)] = forms.TypedChoiceField(
                label=dimension.label,
                choices=SCORE_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                help_text=help_text,
                error_messages={
                    "required": _("请为“%(dimension)s”选择1至5分。")
                    % {"dimension": dimension.label},
                    "invalid_choice": _("评分须为1至5分。"),
                },
            )
            self.fields[comment_field_name(dimension)] = forms.CharField(
                label=_("说明"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("评分为1或2分时须填写说明。"),
            )

    @classmethod
    def initial_from(cls, rating) -> dict:
        """The form's initial values from an existing rating (with its scores)."""
        if rating is None:
            return {}
        initial = {}
        for row in rating.scores.all():
            initial[score_field_name(row.dimension)] = row.score
            initial[comment_field_name(row.dimension)] = row.comment
        return initial

    def rows(self):
        """Per dimension: (dimension, help, score bound field, comment bound field)."""
        return [
            (
                dimension,
                help_text,
                self[score_field_name(dimension)],
                self[comment_field_name(dimension)],
            )
            for dimension, help_text in self.dimensions
        ]

    def scores(self) -> dict:
        """{dimension: (score, comment)}, as `rating_submit` takes them."""
        return {
            str(dimension): (
                self.cleaned_data[score_field_name(dimension)],
                self.cleaned_data[comment_field_name(dimension)].strip(),
            )
            for dimension, _help in self.dimensions
        }

    def add_service_errors(self, error) -> None:
        """Put a service's errors next to the dimension they are about: a key naming a
        dimension goes to its comment box (the rule it breaks is "say why")."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            if key in self.fields:
                self.add_error(key, errors)
            elif comment_field_name(key) in self.fields:
                self.add_error(comment_field_name(key), errors)
            else:
                self.add_error(None, errors)


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("申诉理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每项评价只能申诉一次。平台工作人员审核后，申诉成立的评价不计入统计。"),
        error_messages={"required": _("请填写申诉理由。")},
    )


class AppealDecisionForm(forms.Form):
    uphold = forms.TypedChoiceField(
        label=_("处理结果"),
        choices=[
            ("1", _("申诉成立：该评价不计入统计")),
            ("0", _("申诉驳回：该评价保持有效")),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择处理结果。")},
    )
    decision = forms.CharField(
        label=_("处理意见"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("处理意见会告知双方，并记入审计记录。"),
        error_messages={"required": _("请填写处理意见。")},
    )


class BuyerTableForm(BuyerFilterForm):
    """The public buyer table's filter plus its order."""

    SORTS = [
        ("name", _("按名称")),
        ("punctuality", _("按付款及时性")),
        ("rating", _("按评价得分")),
    ]

    sort = forms.ChoiceField(label=_("排序"), choices=SORTS, required=False, widget=Select)
