"""Form pieces shared by the site's forms."""

from django import forms
from djmoney.forms.widgets import MoneyWidget

from marketplace.models import Region


class Select(forms.Select):
    """Renders its options in one template: Django's default includes a template per option,
    which made the directory's region filter (100+ options) the costliest part of the page."""

    template_name = "includes/widgets/select.html"


class SelectMultiple(forms.SelectMultiple):
    template_name = "includes/widgets/select.html"


def region_label(region: Region) -> str:
    """Counties carry their city's name: Nanjing and Xuzhou both have a 鼓楼区."""
    if region.level == Region.Level.COUNTY and region.parent_id:
        return f"{region.parent.name} {region.name}"
    return region.name


class RegionChoiceField(forms.ModelChoiceField):
    widget = Select

    def label_from_instance(self, obj):
        return region_label(obj)


class RegionMultipleChoiceField(forms.ModelMultipleChoiceField):
    widget = SelectMultiple

    def label_from_instance(self, obj):
        return region_label(obj)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented recipe); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_clean = super().clean
        if isinstance(data, list | tuple):
            return [single_clean(item, initial) for item in data if item]
        return [single_clean(data, initial)] if data else []


class AmountWidget(MoneyWidget):
    """A money input whose label points at the amount box (a MultiWidget's points nowhere)."""

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else id_


def use_amount_widget(field) -> None:
    """Give a django-money form field the AmountWidget, keeping its two inner widgets."""
    field.widget = AmountWidget(
        amount_widget=field.fields[0].widget,
        currency_widget=field.fields[1].widget,
        default_currency="CNY",
    )
