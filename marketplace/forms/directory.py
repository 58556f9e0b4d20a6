"""The public organisation directory's filter (cms/models/profiles.py renders the directory).
Its choices are set per form, so the module can be imported while models load."""

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms.widgets import RegionChoiceField, Select
from marketplace.models import Category, Organisation, Region
from marketplace.selectors.catalogue import category_list_top_level, region_list_for_filters


class DirectoryFilterForm(forms.Form):
    district = RegionChoiceField(
        label=_("地区"), queryset=Region.objects.none(), required=False, empty_label=_("全部地区")
    )
    category = forms.ModelChoiceField(
        widget=Select,
        label=_("服务领域"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("全部领域"),
    )
    min_rating = forms.TypedChoiceField(
        widget=Select,
        label=_("评估等级"),
        choices=[("", _("不限"))]
        + [
            (level.value, _("%(level)s及以上") % {"level": level.label})
            for level in Organisation.RatingLevel
        ],
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = region_list_for_filters()
        self.fields["category"].queryset = category_list_top_level()
