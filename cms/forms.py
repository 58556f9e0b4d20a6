"""The results list's filters (a GET form, like the tender list's)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.forms.widgets import CategoryChoiceField, RegionChoiceField, Select
from marketplace.models import Category, Region
from marketplace.selectors.catalogue import region_list_for_filters

YEARS_LISTED = 10  # the year filter offers this many years back from the current one


def _year_choices():
    this_year = timezone.localdate().year
    return [
        ("", _("全部年份")),
        *((str(year), str(year)) for year in range(this_year, this_year - YEARS_LISTED, -1)),
    ]


class ResultFilterForm(forms.Form):
    """Category and district (with everything below them) of the contract's tender, and the
    year the contract ended."""

    category = CategoryChoiceField(
        label=_("服务类目"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("全部类目"),
    )
    district = RegionChoiceField(
        label=_("地区"), queryset=Region.objects.none(), required=False, empty_label=_("全部地区")
    )
    year = forms.TypedChoiceField(
        label=_("结项年份"),
        choices=_year_choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=Select,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(
            prohibited_item__isnull=True
        ).order_by("code")
        self.fields["district"].queryset = region_list_for_filters()
