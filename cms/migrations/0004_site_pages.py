from django.db import migrations
from django.utils import timezone

from cms.site_content import POLICY_CHILD, SITE_PAGES, stream

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's MP_Node alphabet, steplen 4
STEPLEN = 4


def next_child_path(Page, parent):
    """Treebeard path for a new last child of parent (base 36, 4 characters a level)."""
    last = (
        Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    number = int(last[-STEPLEN:], 36) + 1 if last else 1
    step = ""
    while number:
        number, digit = divmod(number, 36)
        step = ALPHABET[digit] + step
    return parent.path + step.rjust(STEPLEN, "0")


def add_child(apps, parent, spec):
    """Create the page under parent unless a page with that slug is already there."""
    Page = apps.get_model("wagtailcore", "Page")
    ContentType = apps.get_model("contenttypes", "ContentType")
    model_name, slug, title, in_menus, fields = spec
    existing = Page.objects.filter(
        path__startswith=parent.path, depth=parent.depth + 1, slug=slug
    ).first()
    if existing:
        return existing
    model = apps.get_model("cms", model_name)
    content_type, _ = ContentType.objects.get_or_create(app_label="cms", model=model_name)
    values = {**fields}
    if "body" in values:
        values["body"] = stream(values["body"])
    now = timezone.now()
    page = model.objects.create(
        title=title,
        draft_title=title,
        slug=slug,
        content_type=content_type,
        path=next_child_path(Page, parent),
        depth=parent.depth + 1,
        numchild=0,
        url_path=f"{parent.url_path}{slug}/",
        locale_id=parent.locale_id,
        show_in_menus=in_menus,
        live=True,
        has_unpublished_changes=False,
        first_published_at=now,
        last_published_at=now,
        **values,
    )
    parent.numchild = Page.objects.filter(
        path__startswith=parent.path, depth=parent.depth + 1
    ).count()
    parent.save(update_fields=["numchild"])
    return page


def create_site_pages(apps, schema_editor):
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    home = Page.objects.get(pk=site.root_page_id)
    # 0002 made the home page without a publication time; Last-Modified needs one.
    if home.last_published_at is None:
        home.first_published_at = home.first_published_at or timezone.now()
        home.last_published_at = home.first_published_at
        home.save(update_fields=["first_published_at", "last_published_at"])
    pages = {spec[1]: add_child(apps, home, spec) for spec in SITE_PAGES}
    add_child(apps, Page.objects.get(pk=pages["policy"].pk), POLICY_CHILD)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_content_results_profiles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_site_pages, migrations.RunPython.noop)]
