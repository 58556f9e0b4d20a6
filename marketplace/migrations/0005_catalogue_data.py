from django.db import migrations

from marketplace.data.catalogue import PROHIBITED_ITEMS, SUBCATEGORIES


def load(apps, schema_editor):
    Category = apps.get_model("marketplace", "Category")
    ProhibitedItem = apps.get_model("marketplace", "ProhibitedItem")
    parents = {category.code: category for category in Category.objects.filter(parent=None)}
    for code, name in SUBCATEGORIES:
        Category.objects.update_or_create(
            code=code, defaults={"name": name, "parent": parents[code[:-2]]}
        )
    for code, name, reason in PROHIBITED_ITEMS:
        ProhibitedItem.objects.update_or_create(
            code=code, defaults={"name": name, "reason": reason}
        )


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0004_catalogue_lists")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
