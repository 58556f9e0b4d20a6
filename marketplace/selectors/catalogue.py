"""Reads about regions and the service catalogue."""

from marketplace.models import Category, Region


def region_code_prefix(region: Region) -> str:
    """The code prefix shared by a region and everything inside it (GB/T 2260 layout)."""
    if region.level == Region.Level.PROVINCE:
        return region.code[:2]
    if region.level == Region.Level.CITY:
        return region.code[:4]
    return region.code


def region_list_for_filters():
    """Cities and counties, in code order, for filter drop-downs."""
    return Region.objects.filter(level__in=[Region.Level.CITY, Region.Level.COUNTY]).select_related(
        "parent"
    )


def category_list_top_level():
    return Category.objects.filter(parent__isnull=True)
