"""The ledger refuses updates at the database: consent evidence is never rewritten."""

from django.db import migrations

TRIGGER = """
CREATE OR REPLACE FUNCTION consent_ledger_append_only() RETURNS trigger AS $$
BEGIN
    -- The one update allowed: a deleted contact unlinks its entries, which stay as proof.
    IF NEW.contact_id IS NULL AND (to_jsonb(NEW) - 'contact_id') = (to_jsonb(OLD) - 'contact_id')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent ledger entries are append-only';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER consent_ledger_append_only BEFORE UPDATE ON consent_consentledgerentry
FOR EACH ROW EXECUTE FUNCTION consent_ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS consent_ledger_append_only ON consent_consentledgerentry;
DROP FUNCTION IF EXISTS consent_ledger_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [migrations.RunSQL(TRIGGER, DROP, elidable=False)]
