from django.db import migrations

from marketplace.data.catalogue import PROHIBITED_CATEGORIES


def load(apps, schema_editor):
    Category = apps.get_model("marketplace", "Category")
    ProhibitedItem = apps.get_model("marketplace", "ProhibitedItem")
    for code, name, item_code in PROHIBITED_CATEGORIES:
        Category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "parent": Category.objects.get(code=code[:-2]),
                "prohibited_item": ProhibitedItem.objects.get(code=item_code),
            },
        )


def unload(apps, schema_editor):
    Category = apps.get_model("marketplace", "Category")
    Category.objects.filter(code__in=[code for code, _name, _item in PROHIBITED_CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0006_tenders_and_bids")]

    operations = [migrations.RunPython(load, unload)]
