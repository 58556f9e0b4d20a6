"""Facet values move from one row each (SearchFacetValue) into an array on the entry."""

from django.db import migrations

import search.models


def copy_facets(apps, schema_editor):
    """Existing entries keep their facets (a rebuild would write them anyway)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE zhengshe_search_searchentry e SET facets = f.tokens FROM ("
            " SELECT entry_id, array_agg(facet || ':' || value) AS tokens"
            " FROM zhengshe_search_searchfacetvalue GROUP BY entry_id) f WHERE f.entry_id = e.id"
        )
        schema_editor.execute(
            "CREATE INDEX search_entry_facets ON zhengshe_search_searchentry USING gin (facets)"
        )
        return
    SearchEntry = apps.get_model("zhengshe_search", "SearchEntry")
    SearchFacetValue = apps.get_model("zhengshe_search", "SearchFacetValue")
    tokens = {}
    for entry_id, facet, value in SearchFacetValue.objects.values_list("entry", "facet", "value"):
        tokens.setdefault(entry_id, []).append(f"{facet}:{value}")
    for entry in SearchEntry.objects.filter(pk__in=tokens):
        entry.facets = tokens[entry.pk]
        entry.save(update_fields=["facets"])


def drop_facets_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_entry_facets")


class Migration(migrations.Migration):
    dependencies = [
        ("zhengshe_search", "0002_search_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="facets",
            field=search.models.FacetsField(default=list),
        ),
        migrations.RunPython(copy_facets, drop_facets_index),
        migrations.DeleteModel(name="SearchFacetValue"),
    ]
