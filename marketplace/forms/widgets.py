"""Form pieces shared by the site's forms."""

from django import forms

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
