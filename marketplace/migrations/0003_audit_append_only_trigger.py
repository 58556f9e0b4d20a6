from django.db import migrations

# Row-level only: TRUNCATE stays possible for the database owner (test flushes, restores).

CREATE = """
CREATE OR REPLACE FUNCTION marketplace_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER marketplace_auditentry_append_only
    BEFORE UPDATE OR DELETE ON marketplace_auditentry
    FOR EACH ROW EXECUTE FUNCTION marketplace_auditentry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS marketplace_auditentry_append_only ON marketplace_auditentry;
DROP FUNCTION IF EXISTS marketplace_auditentry_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_regions_and_categories")]

    operations = [migrations.RunPython(forwards, backwards)]
