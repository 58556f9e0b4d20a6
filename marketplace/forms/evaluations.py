"""Forms of the scoring pages. They check only the shape of the input; the rules (range,
decimals, comments, who and when) are services.evaluations', reported per field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.templatetags.zhengshe import cny


class ScoreForm(forms.Form):
    """One row per non-price criterion: points (0 to the weight) and a comment."""

    def __init__(self, *args, criteria, scores=None, **kwargs):
        scores = scores or {}
        super().__init__(*args, **kwargs)
        self.criteria = [c for c in criteria if not c.is_price]
        for criterion in self.criteria:
            saved = scores.get(criterion.pk)
            self.fields[f"points_{criterion.pk}"] = forms.DecimalField(
                label=_("%(name)s（满分 %(weight)s）")
                % {"name": criterion.name, "weight": criterion.weight},
                max_digits=5,
                decimal_places=2,
                initial=saved.points if saved else None,
                widget=forms.NumberInput(
                    attrs={
                        "min": 0,
                        "max": criterion.weight,
                        "step": "0.01",
                        "data-points": "",
                        "data-weight": criterion.weight,
                    }
                ),
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("评语"),
                max_length=2000,
                initial=saved.comment if saved else "",
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def rows(self):
        """(criterion, points field, comment field) for the template, in criterion order."""
        return [(c, self[f"points_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def scores(self) -> dict:
        """The cleaned input as score_submit takes it: criterion id -> (points, comment)."""
        return {
            c.pk: (self.cleaned_data[f"points_{c.pk}"], self.cleaned_data[f"comment_{c.pk}"])
            for c in self.criteria
        }


class FlagForm(forms.Form):
    reason = forms.CharField(
        label=_("不符合要求的理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("超过半数在评专家认定后，该投标为无效投标，不参与排名。"),
    )


class AwardChoiceForm(forms.Form):
    """The award action on the dashboard; it posts to the award view, which validates."""

    bid = forms.ChoiceField(label=_("中标（成交）供应商"))
    reason = forms.CharField(
        label=_("理由"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不选择推荐的候选人时必须说明理由，理由将随结果公告公开。"),
    )

    def __init__(self, *args, rows, recommended=None, **kwargs):
        super().__init__(*args, **kwargs)
        rows = sorted(rows, key=lambda row: (row.bid.pk != recommended, row.rank or 0))
        choices = []
        for row in rows:
            label = _("第 %(rank)s 名 %(name)s · %(amount)s") % {
                "rank": row.rank,
                "name": row.bid.organisation.name,
                "amount": cny(row.bid.amount),
            }
            if row.bid.pk == recommended:
                label = f"{label} · {_('推荐')}"
            choices.append((row.bid.pk, label))
        self.fields["bid"].choices = choices
