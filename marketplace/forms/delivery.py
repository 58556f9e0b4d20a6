"""Forms of delivery and acceptance (验收). The services decide; these only parse."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.forms.widgets import MultipleFileField


def _files_help() -> str:
    types = sorted(settings.DOCUMENT_TYPES)
    return _("可选择多个文件，最多 %(count)d 个，每个不超过 %(size)s；格式：%(types)s。") % {
        "count": settings.DOCUMENTS_PER_UPLOAD,
        "size": filesizeformat(settings.DOCUMENT_MAX_BYTES),
        "types": "、".join(types),
    }


class MilestoneReportForm(forms.Form):
    """The narrative, one input per contract indicator (its target shown), beneficiaries
    and evidence files. `indicator_values()` gives the service its {name: value} dict."""

    narrative = forms.CharField(
        label=gettext_lazy("履约情况"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("说明本节点完成的服务内容、过程和成果。"),
    )
    beneficiaries = forms.IntegerField(label=gettext_lazy("服务人次"), min_value=0)
    files = MultipleFileField(label=gettext_lazy("证明材料"), required=False)

    def __init__(self, *args, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator_fields = []
        for position, indicator in enumerate(indicators or []):
            name = f"indicator_{position}"
            target = f"{indicator.get('target', '')}{indicator.get('unit', '')}"
            self.fields[name] = forms.CharField(
                label=indicator.get("name", ""),
                max_length=200,
                help_text=_("目标：%(target)s") % {"target": target},
            )
            self.indicator_fields.append((name, indicator.get("name", "")))
        # Indicators come right after the narrative, in the contract's order.
        order = ["narrative", *(name for name, _label in self.indicator_fields)]
        self.order_fields([*order, "beneficiaries", "files"])
        files = self.fields["files"]
        files.widget.attrs["accept"] = ",".join(
            f".{ext}" for ext in sorted(settings.DOCUMENT_TYPES)
        )
        files.help_text = _files_help()

    def indicator_values(self) -> dict[str, str]:
        return {label: self.cleaned_data[name] for name, label in self.indicator_fields}


class MilestoneReportDecisionForm(forms.Form):
    """Accept the report, or return it with a reason (sent to the organisation)."""

    ACCEPT = "accept"
    RETURN = "return"

    decision = forms.ChoiceField(
        label=gettext_lazy("验收结论"),
        choices=[(ACCEPT, gettext_lazy("验收合格")), (RETURN, gettext_lazy("退回修改"))],
    )
    reason = forms.CharField(
        label=gettext_lazy("退回理由"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
