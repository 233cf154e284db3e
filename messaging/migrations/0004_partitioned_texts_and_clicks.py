"""Outbound texts and link clicks become tables partitioned by month (messaging/partitions.py
says why).

PostgreSQL turns no table into a partitioned one in place: each is renamed, a partitioned
table made in its image, its rows copied over, and its indexes made again on the new table (on
every partition). Unique indexes of a partitioned table must hold the partition key: the
primary keys become (id, month key), the once-per-message-and-contact index takes `created_at`
(one per campaign, SmsMessage.texts_created_at), and the Twilio SID index stops being unique.
Django keeps `id` as the model's primary key: ids still come from one sequence.

The analytics change feed's triggers went with the old table; analytics 0003 puts them on the
new one. Copying takes as long as the table is big (about a minute per million rows here):
plan the upgrade's downtime accordingly.
"""

# ruff: noqa: S608 (constant table names only; nothing from outside reaches this SQL)

import datetime as dt

from django.db import migrations, models

from messaging import partitions

# The indexes Django made that change (see above); the others are made again as they were.
REMADE = {"outbound_once_per_message_contact", "outbound_twilio_sid_once"}
NEW_INDEXES = {
    "messaging_outboundmessage": [
        "CREATE UNIQUE INDEX outbound_once_per_message_contact ON messaging_outboundmessage "
        "(message_id, contact_id, created_at) "
        "WHERE contact_id IS NOT NULL AND message_id IS NOT NULL",
        "CREATE INDEX outbound_twilio_sid ON messaging_outboundmessage (twilio_sid)",
    ],
    "messaging_linkclick": [],
}
OLDEST_MONTH_KEPT_APART = 36  # older rows than this land in the default partition


def _partition(cursor, table: str, key: str) -> None:
    old = f"{table}_unpartitioned"
    cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
    cursor.execute(f"SELECT COALESCE(max(id), 0), min({key}) FROM {old}")
    last_id, oldest = cursor.fetchone()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
        [old, f"{table}_pkey"],
    )
    indexes = [d for name, d in cursor.fetchall() if name not in REMADE]
    # Frees the identity's sequence name for the new table's own.
    cursor.execute(f"ALTER TABLE {old} ALTER COLUMN id DROP IDENTITY IF EXISTS")
    cursor.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        f"PARTITION BY RANGE ({key})"
    )
    cursor.execute(f"CREATE SEQUENCE {table}_id_seq OWNED BY {table}.id")
    cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq')")
    cursor.execute(f"SELECT setval('{table}_id_seq', %s + 1, false)", [last_id])
    cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
    now = dt.datetime.now(dt.UTC)
    first = partitions.month_start(now)
    if oldest is not None:
        first = max(
            min(partitions.month_start(oldest), first),
            partitions.month_add(first, -OLDEST_MONTH_KEPT_APART),
        )
    month = first
    while month <= partitions.month_add(partitions.month_start(now), partitions.MONTHS_AHEAD):
        start, end = (
            partitions.month_bound(month),
            partitions.month_bound(partitions.month_add(month, 1)),
        )
        cursor.execute(
            f"CREATE TABLE {partitions.partition_name(table, month)} PARTITION OF {table} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
        month = partitions.month_add(month, 1)
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    cursor.execute(f"DROP TABLE {old}")
    cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, {key})")
    for definition in indexes:
        cursor.execute(definition.replace(f" ON public.{old} ", f" ON {table} "))
    for definition in NEW_INDEXES[table]:
        cursor.execute(definition)


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for table, key in partitions.PARTITIONED.items():
            _partition(cursor, table, key)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_settings_plural"),
    ]

    operations = [
        migrations.AddField(
            model_name="smsmessage",
            name="texts_created_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, migrations.RunPython.noop)],
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="outboundmessage", name="outbound_once_per_message_contact"
                ),
                migrations.RemoveConstraint(
                    model_name="outboundmessage", name="outbound_twilio_sid_once"
                ),
                migrations.AddConstraint(
                    model_name="outboundmessage",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("contact__isnull", False), ("message__isnull", False)),
                        fields=("message", "contact", "created_at"),
                        name="outbound_once_per_message_contact",
                    ),
                ),
                migrations.AddIndex(
                    model_name="outboundmessage",
                    index=models.Index(fields=["twilio_sid"], name="outbound_twilio_sid"),
                ),
            ],
        ),
    ]
