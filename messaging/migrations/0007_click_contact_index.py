"""An index of clicks by contact, built without blocking the short-link redirect.

The index is built CONCURRENTLY: a plain CREATE INDEX would hold every click's INSERT for as
long as it takes to index the whole click table.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

INDEX = models.Index(fields=["contact", "-clicked_at"], name="click_contact")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY can't run in a transaction

    dependencies = [
        ("contacts", "0003_phone_issue_rejected_by_twilio"),
        ("messaging", "0006_segment_purchases"),
        ("smsapp", "0001_initial"),
    ]

    operations = [AddIndexConcurrently(model_name="linkclick", index=INDEX)]
