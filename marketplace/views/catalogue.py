"""Public reference pages: the service catalogue with the negative list, and the two lists."""

from django.http import Http404
from django.shortcuts import render

from marketplace.models import CommunityListItem, Region
from marketplace.selectors.catalogue import (
    category_tree,
    community_list_items_for_region,
    community_list_region_list,
    prohibited_item_list,
    region_get_by_code,
)


def catalogue_list(request):
    categories = list(category_tree())
    prohibited_items = list(prohibited_item_list())
    # Negative-list categories stay in the tree, marked not purchasable with their item; the
    # items are already loaded for the list below, so attach them instead of a query per row.
    items = {item.pk: item for item in prohibited_items}
    for child in (child for category in categories for child in category.children.all()):
        if child.prohibited_item_id is not None:
            child.prohibited_item = items[child.prohibited_item_id]
    return render(
        request,
        "marketplace/catalogue_list.html",
        {"categories": categories, "prohibited_items": prohibited_items},
    )


def communitylist_index(request):
    return render(
        request, "marketplace/communitylist_index.html", {"regions": community_list_region_list()}
    )


def communitylist_detail(request, region_code):
    try:
        region = region_get_by_code(code=region_code)
    except Region.DoesNotExist as error:
        raise Http404 from error
    lists = community_list_items_for_region(region)
    return render(
        request,
        "marketplace/communitylist_detail.html",
        {
            "region": region,
            "duty_items": lists[CommunityListItem.Kind.DUTY],
            "assistance_items": lists[CommunityListItem.Kind.ASSISTANCE],
        },
    )
