"""An index of clicks by contact, built without blocking the short-link redirect.

On PostgreSQL the index is built CONCURRENTLY: a plain CREATE INDEX would hold every click's
INSERT for as long as it takes to index the whole click table. SQLite (the embedded default)
builds it the ordinary way.
"""

from django.db import migrations, models

INDEX = models.Index(fields=["contact", "-clicked_at"], name="click_contact")


def create(apps, schema_editor):
    model = apps.get_model("messaging", "LinkClick")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(model, INDEX, concurrently=True)
    else:
        schema_editor.add_index(model, INDEX)


def drop(apps, schema_editor):
    model = apps.get_model("messaging", "LinkClick")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(model, INDEX, concurrently=True)
    else:
        schema_editor.remove_index(model, INDEX)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY can't run in a transaction

    dependencies = [
        ("contacts", "0003_phone_issue_rejected_by_twilio"),
        ("messaging", "0006_segment_purchases"),
        ("smsapp", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="linkclick", index=INDEX)],
            database_operations=[migrations.RunPython(create, drop)],
        )
    ]
