"""PostgreSQL indexes for the index page's name search (`istartswith`, which Django writes as
UPPER(col::text) LIKE UPPER(...))."""

from django.db import migrations

INDEXES = {
    "contact_first_name_prefix": "upper((first_name)::text) text_pattern_ops",
    "contact_last_name_prefix": "upper((last_name)::text) text_pattern_ops",
}


def create(apps, schema_editor):
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON contacts_contact (account_id, {expression})"
        )


def drop(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
