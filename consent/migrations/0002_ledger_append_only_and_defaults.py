"""The ledger refuses updates at the database, and accounts that existed before
consent did get its defaults."""

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


def defaults_create(apps, schema_editor):
    from consent.services.defaults import (
        DEFAULT_KEYWORDS,
        DEFAULT_SUBSCRIPTION_TYPE,
        default_reply,
    )

    Account = apps.get_model("smsapp", "Account")
    SubscriptionType = apps.get_model("consent", "SubscriptionType")
    KeywordRule = apps.get_model("consent", "KeywordRule")
    from smsapp.ids import new_public_id

    for account in Account.objects.all():
        if not SubscriptionType.objects.filter(account=account, is_default=True).exists():
            SubscriptionType.objects.create(
                account=account,
                public_id=new_public_id("sbt"),
                name=DEFAULT_SUBSCRIPTION_TYPE,
                description="Marketing text messages: offers, news and reminders.",
                is_default=True,
            )
        if not KeywordRule.objects.filter(account=account).exists():
            KeywordRule.objects.bulk_create(
                KeywordRule(
                    account=account,
                    public_id=new_public_id("kwd"),
                    kind=kind,
                    word=word,
                    reply_text=default_reply(kind, account),
                )
                for kind, words in DEFAULT_KEYWORDS.items()
                for word in words
            )


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [
        migrations.RunSQL(TRIGGER, DROP, elidable=False),
        migrations.RunPython(defaults_create, migrations.RunPython.noop, elidable=False),
    ]
