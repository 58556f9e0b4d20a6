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
    return render(
        request,
        "marketplace/catalogue_list.html",
        {"categories": category_tree(), "prohibited_items": prohibited_item_list()},
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
