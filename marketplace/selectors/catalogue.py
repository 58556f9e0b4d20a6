"""Reads about regions, the service catalogue, the negative list and the two lists."""

from django.db.models import Count, Q

from marketplace.models import Category, CommunityListItem, ProhibitedItem, Region


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


def category_tree():
    """Top-level categories in code order, each with its children prefetched (2 queries)."""
    return Category.objects.filter(parent__isnull=True).prefetch_related("children")


def prohibited_item_list():
    """The negative list (政府购买服务负面清单), in code order."""
    return ProhibitedItem.objects.all()


def community_list_region_list():
    """Regions that have published lists, with how many items each list has (one query)."""
    Kind = CommunityListItem.Kind
    return (
        Region.objects.annotate(
            duty_count=Count(
                "community_list_items", filter=Q(community_list_items__kind=Kind.DUTY)
            ),
            assistance_count=Count(
                "community_list_items", filter=Q(community_list_items__kind=Kind.ASSISTANCE)
            ),
        )
        .filter(Q(duty_count__gt=0) | Q(assistance_count__gt=0))
        .select_related("parent")
        .order_by("code")
    )


def region_get_by_code(*, code: str) -> Region:
    """The region with this GB/T 2260 code and its parent; raises Region.DoesNotExist."""
    return Region.objects.select_related("parent").get(code=code)


def community_list_items_for_region(region: Region) -> dict[str, list[CommunityListItem]]:
    """A region's two lists, each in number order, keyed by kind (one query)."""
    lists = {kind: [] for kind in CommunityListItem.Kind.values}
    items = CommunityListItem.objects.filter(region=region).select_related("category")
    for item in items.order_by("kind", "number"):
        lists[item.kind].append(item)
    return lists
