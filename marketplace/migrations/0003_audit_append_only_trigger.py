from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION marketplace_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER marketplace_auditentry_append_only
    BEFORE UPDATE OR DELETE ON marketplace_auditentry
    FOR EACH ROW EXECUTE FUNCTION marketplace_auditentry_append_only();
CREATE TRIGGER marketplace_auditentry_no_truncate
    BEFORE TRUNCATE ON marketplace_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION marketplace_auditentry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS marketplace_auditentry_no_truncate ON marketplace_auditentry;
DROP TRIGGER IF EXISTS marketplace_auditentry_append_only ON marketplace_auditentry;
DROP FUNCTION IF EXISTS marketplace_auditentry_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_regions_and_categories")]

    operations = [migrations.RunPython(forwards, backwards)]
