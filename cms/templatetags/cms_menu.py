"""The site's main navigation, in one place: the marketplace's public pages and the portal
pages editors mark "show in menus" (results, news, policy), in one query."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.models import Page

register = template.Library()

# (URL name, label) of the marketplace pages before and after the portal's own pages.
LEADING = [
    ("tender_list", pgettext_lazy("navigation", "服务项目")),
    ("award_list", pgettext_lazy("navigation", "中标公告")),
]
TRAILING = [
    ("organisation_list", pgettext_lazy("navigation", "社会组织")),
    ("buyer_list", pgettext_lazy("navigation", "购买主体")),
    ("catalogue_list", pgettext_lazy("navigation", "服务目录")),
    ("communitylist_index", pgettext_lazy("navigation", "两张清单")),
    ("search", pgettext_lazy("navigation", "搜索")),
    ("statistics", pgettext_lazy("navigation", "统计")),
]
# Menu labels of the standing portal pages in the reader's language (page titles are
# written once, in Chinese); other pages show their title.
PAGE_LABELS = {
    "results": _("项目成果"),
    "news": _("新闻动态"),
    "policy": _("政策法规"),
}
MENU_DEPTH = 3  # the children of the site's home page (root 1, home 2)


def menu_pages():
    """Live pages under the home page marked "show in menus", in tree order; one query."""
    return list(
        Page.objects.filter(depth=MENU_DEPTH, live=True, show_in_menus=True)
        .only("title", "slug", "url_path")
        .order_by("path")
    )


def _page_url(page) -> str:
    # url_path is "/<home slug>/<slug>/"; the home page is the site root, so the public URL
    # drops its first segment (no Site lookup per page).
    return "/" + page.url_path.strip("/").split("/", 1)[-1] + "/"


@register.inclusion_tag("cms/includes/main_menu.html", takes_context=True)
def main_menu(context):
    request = context.get("request")
    path = request.path if request else ""
    links = [(reverse(name), label) for name, label in LEADING]
    links += [(_page_url(page), PAGE_LABELS.get(page.slug, page.title)) for page in menu_pages()]
    links += [(reverse(name), label) for name, label in TRAILING]
    return {
        "links": [
            {"url": url, "label": label, "current": path.startswith(url)} for url, label in links
        ]
    }
