"""Form pieces shared by the site's forms."""

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from djmoney.forms.widgets import MoneyWidget

from marketplace.models import Region


class Select(forms.Select):
    """A <select> built in Python, not by the template engine: Django's default renders a
    template per option, and even one template looping over 150 options cost more than the
    rest of the directory and tender list pages together."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, " selected" if str(option) in selected else "", label)
                for option, label in self.choices
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), options)


class SelectMultiple(Select, forms.SelectMultiple):
    pass


def region_label(region: Region) -> str:
    """Counties carry their city's name: Nanjing and Xuzhou both have a 鼓楼区."""
    return _region_label(region.name, region.level, region.parent.name if region.parent_id else "")


def _region_label(name, level, parent_name) -> str:
    return f"{parent_name} {name}" if level == Region.Level.COUNTY and parent_name else name


class RowChoiceIterator(ModelChoiceIterator):
    """Choices from value rows rather than model instances: a filter of 150 regions built 150
    model objects (and their parents) on every page view."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, *row in self.queryset.values_list("pk", *self.field.row_fields):
            yield (pk, self.field.label_from_row(*row))


class RegionChoiceField(forms.ModelChoiceField):
    widget = Select
    iterator = RowChoiceIterator
    row_fields = ("name", "level", "parent__name")

    def label_from_instance(self, obj):
        return region_label(obj)

    def label_from_row(self, name, level, parent_name):
        return _region_label(name, level, parent_name)


class RegionMultipleChoiceField(RegionChoiceField, forms.ModelMultipleChoiceField):
    widget = SelectMultiple


class CategoryChoiceField(forms.ModelChoiceField):
    """Catalogue categories, children indented under their top-level category."""

    widget = Select
    iterator = RowChoiceIterator
    row_fields = ("code", "name", "parent_id")

    def label_from_instance(self, obj):
        return self.label_from_row(obj.code, obj.name, obj.parent_id)

    def label_from_row(self, code, name, parent_id):
        indent = "\u3000" if parent_id else ""
        return f"{indent}{code} {name}"


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
