from django.db import migrations

from marketplace.data.regions_jiangsu import CATEGORIES, CITIES, PROVINCE


def load(apps, schema_editor):
    Region = apps.get_model("marketplace", "Region")
    Category = apps.get_model("marketplace", "Category")
    province, _ = Region.objects.update_or_create(
        code=PROVINCE[0], defaults={"name": PROVINCE[1], "level": "province", "parent": None}
    )
    for (city_code, city_name), counties in CITIES.items():
        city, _ = Region.objects.update_or_create(
            code=city_code, defaults={"name": city_name, "level": "city", "parent": province}
        )
        for code, name in counties:
            Region.objects.update_or_create(
                code=code, defaults={"name": name, "level": "county", "parent": city}
            )
    for code, name in CATEGORIES:
        Category.objects.update_or_create(code=code, defaults={"name": name, "parent": None})


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
