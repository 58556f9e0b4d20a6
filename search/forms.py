"""Forms of the search pages: the query string of /search/ (every part optional, a bad part
ignored with a message) and what a member fills in to save a tender search."""

from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from marketplace.forms.tenders_public import budget_field
from marketplace.forms.widgets import Select
from search.backends.base import KIND_LABELS
from search.models import SavedSearch
from search.types import FACETS, Kind, SearchQuery, Sort

SORT_LABELS = {
    Sort.RELEVANCE: _("相关度"),
    Sort.DEADLINE: _("投标截止时间"),
    Sort.BUDGET: _("预算金额"),
    Sort.NEWEST: _("最新发布"),
}
FACET_LABELS = {
    "kind": _("类型"),
    "category": _("服务类目"),
    "region": _("地区"),
    "method": _("采购方式"),
    "status": _("状态"),
    "rating_level": _("评估等级"),
}
# Facets filtered by a plain value; "kind" chooses which kinds are searched instead.
FILTER_FACETS = tuple(name for name in FACETS if name != "kind")
# What a saved search keeps: the filters that make sense for tenders still open for bids.
SAVED_FILTERS = ("category", "region", "method")
BUDGET_FIELDS = ("budget_min", "budget_max")
# Deeper pages are refused by Elasticsearch (10,000 results) and read by nobody.
MAX_PAGE = 500

# Facet values are codes (category 0101, region 320508, method open…); anything else is noise.
facet_value = RegexValidator(r"^[\w.-]{1,40}$", _("筛选值无效。"))


def _facet_field(name):
    return forms.CharField(
        label=FACET_LABELS[name], required=False, max_length=40, validators=[facet_value]
    )


class SearchForm(forms.Form):
    """The query string of /search/. Always bound; every field is optional, and a field
    with an error is left out of the search (the page says which ones were ignored)."""

    q = forms.CharField(
        label=_("关键词"),
        required=False,
        max_length=100,
        error_messages={"max_length": _("关键词最多 %(limit_value)d 个字。")},
    )
    kind = forms.ChoiceField(
        label=FACET_LABELS["kind"],
        required=False,
        choices=[("", _("全部")), *KIND_LABELS.items()],
        error_messages={"invalid_choice": _("没有这种搜索类型。")},
    )
    category = _facet_field("category")
    region = _facet_field("region")
    method = _facet_field("method")
    status = _facet_field("status")
    rating_level = _facet_field("rating_level")
    budget_min = budget_field(_("预算不低于（元）"))
    budget_max = budget_field(_("预算不高于（元）"))
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[("", _("默认")), *SORT_LABELS.items()],
        error_messages={"invalid_choice": _("没有这种排序方式，已按默认排序。")},
    )
    page = forms.IntegerField(
        label=_("页码"),
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("页码应为正整数，已显示第一页。"),
            "min_value": _("页码应为正整数，已显示第一页。"),
        },
    )

    def clean_q(self):
        # Collapse runs of spaces so that "drop a word" suggestions and links stay tidy.
        return " ".join(self.cleaned_data["q"].split())

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("budget_min"), cleaned.get("budget_max")
        if low is not None and high is not None and low > high:
            self.add_error("budget_max", _("预算上限不能低于下限，已忽略上限。"))
        return cleaned

    def params(self) -> dict[str, str]:
        """The valid, non-empty parameters (no page), as strings for links."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: str(cleaned[name])
            for name in self.fields
            if name != "page" and cleaned.get(name) not in (None, "")
        }

    def ignored(self) -> list[tuple[str, str]]:
        """(label, message) of each parameter that was ignored."""
        return [
            (str(self.fields[name].label) if name in self.fields else "", " ".join(errors))
            for name, errors in self.errors.items()
        ]


def search_query(params: dict[str, str], *, page=1, page_size=20, kinds=None) -> SearchQuery:
    """The backend query for valid parameters (as from `SearchForm.params`)."""
    text = params.get("q", "")
    sort = params.get("sort") or (Sort.RELEVANCE if text else Sort.NEWEST)
    kind = params.get("kind")
    return SearchQuery(
        text=text,
        kinds=kinds or ((kind,) if kind else Kind.ALL),
        filters={name: params[name] for name in FILTER_FACETS if params.get(name)},
        budget_min=Decimal(params["budget_min"]) if params.get("budget_min") else None,
        budget_max=Decimal(params["budget_max"]) if params.get("budget_max") else None,
        sort=sort,
        page=page,
        page_size=page_size,
    )


class SavedSearchForm(forms.Form):
    """Name, frequency and (for members of several) the organisation of a saved search."""

    name = forms.CharField(label=_("订阅名称"), max_length=60)
    frequency = forms.ChoiceField(
        label=_("提醒频率"),
        choices=SavedSearch.Frequency.choices,
        initial=SavedSearch.Frequency.DAILY,
        widget=forms.RadioSelect,
    )
    organisation = forms.ModelChoiceField(
        label=_("所属社会组织"), queryset=None, empty_label=None, widget=Select
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if len(organisations) == 1:
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["organisation"].initial = organisations[0].pk
