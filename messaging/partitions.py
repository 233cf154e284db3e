"""Monthly partitions of the two tables that grow with every send: outbound texts (by
`created_at`) and link clicks (by `clicked_at`).

Why by month of creation: retention is measured in months after a text went out, so what
becomes due is a whole partition, dropped in one statement instead of deleting millions of
rows; and a campaign's texts all carry its fan-out's time (`SmsMessage.texts_created_at`), so a
message lives in one partition. Queries that name no month still use each partition's indexes
(one probe per partition; a few dozen months cost well under a millisecond each).

Each table has a DEFAULT partition as a safety net for a row whose month has no partition yet;
beat creates the next months ahead (`partitions_ensure`, `messages-partitions`) so it stays
empty, which keeps attaching a new month cheap (PostgreSQL checks the default holds none of
the new month's rows). A month is made as a plain table and then attached: attaching locks the
parent only against schema changes, so sends and clicks go on meanwhile.

Used by the migration that made the tables partitioned (messaging 0004), so it imports no
models.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection, transaction

# table -> partition key
PARTITIONED = {
    "messaging_outboundmessage": "created_at",
    "messaging_linkclick": "clicked_at",
}
MONTHS_AHEAD = 3
_NAME = re.compile(r"_p(\d{4})(\d{2})$")


def month_start(moment: dt.datetime | dt.date) -> dt.date:
    return dt.date(moment.year, moment.month, 1)


def month_add(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_bound(month: dt.date) -> dt.datetime:
    """A month's first instant, in UTC: partitions are UTC months."""
    return dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def partitions(table: str) -> list[dt.date]:
    """The months `table` has a partition for, oldest first (the default partition aside)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [table],
        )
        names = [row[0] for row in cursor.fetchall()]
    return sorted(
        dt.date(int(m.group(1)), int(m.group(2)), 1) for name in names if (m := _NAME.search(name))
    )


def partition_create(table: str, month: dt.date) -> bool:
    """Add `month` to `table` (False when it has it already)."""
    if month in partitions(table):
        return False
    name = partition_name(table, month)
    start, end = month_bound(month), month_bound(month_add(month, 1))
    with transaction.atomic(), connection.cursor() as cursor:
        # A writer waiting behind this must not wait long: beat tries again next run.
        cursor.execute("SET LOCAL lock_timeout = '10s'")
        cursor.execute(
            f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        # DDL takes no parameters; the bounds are dates we made.
        cursor.execute(
            f"ALTER TABLE {table} ATTACH PARTITION {name} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    return True


def partitions_ensure(*, now: dt.datetime, ahead: int = MONTHS_AHEAD) -> list[str]:
    """This month's partition and the next `ahead` months', for every partitioned table;
    the names of those it had to create."""
    created = []
    first = month_start(now)
    for table in PARTITIONED:
        for offset in range(ahead + 1):
            month = month_add(first, offset)
            if partition_create(table, month):
                created.append(partition_name(table, month))
    return created


def partition_detach(table: str, month: dt.date) -> None:
    """Take a month out of `table`: its rows are gone from every query at once. A catalog
    change, quick whatever the month holds, but it locks the whole table until the transaction
    ends: commit, then `detached_drop` the month's files without holding anyone up."""
    if month in partitions(table):
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} DETACH PARTITION {partition_name(table, month)}")


def detached_drop() -> list[str]:
    """Drop the months taken out of their tables (removing a month's files takes a second or
    more per few million rows; a detached table locks nothing else meanwhile). Also finishes
    a drop that a crash interrupted."""
    names = "|".join(PARTITIONED)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' AND c.relname ~ %s "
            "AND NOT c.relispartition",
            [rf"^({names})_p\d{{6}}$"],
        )
        detached = [row[0] for row in cursor.fetchall()]
        for name in detached:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    return detached


def partition_drop(table: str, month: dt.date) -> None:
    """Drop a month of `table`, whatever it holds: the caller decided it is all due."""
    with transaction.atomic():
        partition_detach(table, month)
    detached_drop()
