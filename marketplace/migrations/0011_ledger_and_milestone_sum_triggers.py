from django.db import migrations

# PostgreSQL only (SQLite, the zero-setup default, relies on the services' checks):
# - payment ledger rows are append-only, like the audit log (row level: TRUNCATE stays
#   possible for the database owner);
# - the milestones of a contract add up to its amount, checked at commit (deferred), so a
#   variation may change the contract and its milestones in any order within one
#   transaction.

CREATE = """
CREATE OR REPLACE FUNCTION marketplace_ledgerentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER marketplace_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON marketplace_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION marketplace_ledgerentry_append_only();

CREATE OR REPLACE FUNCTION marketplace_contract_milestone_sum(contract bigint) RETURNS void AS $$
DECLARE
    expected numeric;
    total numeric;
BEGIN
    SELECT amount INTO expected FROM marketplace_contract WHERE id = contract;
    SELECT sum(amount) INTO total FROM marketplace_milestone WHERE contract_id = contract;
    IF expected IS NOT NULL AND total IS NOT NULL AND total <> expected THEN
        RAISE EXCEPTION 'milestones of contract % add up to %, not to the contract amount %',
            contract, total, expected USING ERRCODE = 'check_violation';
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION marketplace_milestone_sum_check() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM marketplace_contract_milestone_sum(OLD.contract_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM marketplace_contract_milestone_sum(NEW.contract_id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER marketplace_milestone_sum
    AFTER INSERT OR UPDATE OR DELETE ON marketplace_milestone
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION marketplace_milestone_sum_check();

CREATE OR REPLACE FUNCTION marketplace_contract_sum_check() RETURNS trigger AS $$
BEGIN
    PERFORM marketplace_contract_milestone_sum(NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER marketplace_contract_milestone_sum
    AFTER UPDATE OF amount ON marketplace_contract
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION marketplace_contract_sum_check();
"""

DROP = """
DROP TRIGGER IF EXISTS marketplace_contract_milestone_sum ON marketplace_contract;
DROP FUNCTION IF EXISTS marketplace_contract_sum_check();
DROP TRIGGER IF EXISTS marketplace_milestone_sum ON marketplace_milestone;
DROP FUNCTION IF EXISTS marketplace_milestone_sum_check();
DROP FUNCTION IF EXISTS marketplace_contract_milestone_sum(bigint);
DROP TRIGGER IF EXISTS marketplace_ledgerentry_append_only ON marketplace_ledgerentry;
DROP FUNCTION IF EXISTS marketplace_ledgerentry_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0010_contracts_and_payments")]

    operations = [migrations.RunPython(forwards, backwards)]
