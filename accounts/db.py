"""Hot statements as server-side prepared statements, on Django's own connection.

Django's cursors bind parameters on the client and never prepare (Django turns psycopg's
preparing off for connection poolers), so PostgreSQL plans each statement again on every call.
For the few statements that run once per request at thousands of requests a second (a short-link
tap, a status callback), planning costs the server several times more than running them; these
run through a server-binding psycopg cursor on Django's connection instead, prepared once per
connection. `DATABASE_PREPARED_STATEMENTS=false` turns preparing off (a transaction-pooling
PgBouncer older than 1.21 can't keep them).
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from django.conf import settings
from django.db import connection

# psycopg prepares a statement once it ran this often on a connection.
PREPARE_THRESHOLD = 5


def prepared_execute(
    sql: str, params: Sequence, *, fetch: bool = False
) -> tuple[int, tuple | None]:
    """Run one PostgreSQL statement (typed %s parameters, as a prepared statement needs);
    returns its row count and, with `fetch`, its first row."""
    connection.ensure_connection()
    raw = connection.connection
    prepare = settings.DATABASE_PREPARED_STATEMENTS
    if prepare and raw.prepare_threshold is None:
        raw.prepare_threshold = PREPARE_THRESHOLD
    with psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=prepare)
        return cursor.rowcount, cursor.fetchone() if fetch else None
