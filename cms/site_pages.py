"""The portal's standing page tree, made with the real models: what migrations 0002 and
0004 create, for tests whose database was flushed and for fresh installations."""

from django.conf import settings
from django.db import transaction
from wagtail.models import Locale, Page, Site

from cms.models import (
    BuyerIndexPage,
    HomePage,
    NewsIndexPage,
    OrganisationIndexPage,
    PolicyPage,
    ResultIndexPage,
)
from cms.site_content import POLICY_CHILD, SITE_PAGES, stream

MODELS = {
    "resultindexpage": ResultIndexPage,
    "newsindexpage": NewsIndexPage,
    "policypage": PolicyPage,
    "organisationindexpage": OrganisationIndexPage,
    "buyerindexpage": BuyerIndexPage,
}


def _child(parent, spec):
    """The child of parent with the spec's slug, created (published) if missing."""
    model_name, slug, title, in_menus, fields = spec
    existing = parent.get_children().filter(slug=slug).first()
    if existing:
        return existing.specific
    values = {**fields}
    if "body" in values:
        values["body"] = stream(values["body"])
    page = MODELS[model_name](title=title, slug=slug, show_in_menus=in_menus, **values)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _home():
    """The default site's home page, creating locale, root, home and site if a flush took them."""
    if not Locale.objects.exists():
        Locale.objects.create(language_code=settings.LANGUAGE_CODE)
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site:
        return site.root_page
    root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
    home = HomePage.objects.first()
    if home is None:
        home = HomePage(title="政社通 — 政府购买社会组织服务平台", slug="home")
        root.add_child(instance=home)
    Site.objects.create(
        hostname="localhost", port=80, root_page=home, site_name="政社通", is_default_site=True
    )
    return home


@transaction.atomic
def ensure_site_pages() -> dict[str, Page]:
    """Create the missing standing pages (home, results, news, policy, directories); idempotent."""
    home = _home()
    pages = {spec[1]: _child(home, spec) for spec in SITE_PAGES}
    pages["two-lists"] = _child(pages["policy"], POLICY_CHILD)
    pages["home"] = home.specific
    return pages
