"""Writing many rows at once, with PostgreSQL's COPY.

MACHINE.md measured COPY through psycopg 3's `write_row` at about ten times `bulk_create`; the
import, consent and timeline writes of large jobs all come through here. Callers pass every
column a row needs (COPY applies no Django defaults) and get the new primary keys back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence

from django.db import connection, models
from django.db.models import BooleanField, F

_BASE32 = b"abcdefghijklmnopqrstuvwxyz234567"
# 256 is a multiple of 32, so every byte maps to a base32 character with equal odds.
_BYTE_TO_BASE32 = bytes(_BASE32[b % 32] for b in range(256))


def public_ids_new(prefix: str, count: int) -> list[str]:
    """`count` ids in the format of accounts.ids.new_public_id (prefix + 20 base32 characters,
    100 random bits), made in one go: base64.b32encode per id costs more than the COPY."""
    raw = os.urandom(20 * count).translate(_BYTE_TO_BASE32).decode()
    return [f"{prefix}_{raw[i : i + 20]}" for i in range(0, 20 * count, 20)]


class AnyOf(models.Expression):
    """`column = ANY(%s)` with the values as one array parameter (PostgreSQL).

    Django writes `IN (%s, %s, ...)`; with thousands of values its parameter handling and
    psycopg's query splitting cost several times the query itself.
    """

    output_field = BooleanField()

    def __init__(self, column: str, values: Iterable):
        super().__init__()
        self.column = F(column)
        self.values = list(values)

    def resolve_expression(
        self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False
    ):
        clone = self.copy()
        clone.column = self.column.resolve_expression(query, allow_joins, reuse, summarize)
        return clone

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        field = self.column.output_field
        values = [field.get_db_prep_value(v, connection) for v in self.values]
        return f"{sql} = ANY(%s::{field.cast_db_type(connection)}[])", [*params, values]


def any_of(column: str, values: Iterable) -> AnyOf:
    """A filter for `column in values` that stays cheap with thousands of values."""
    return AnyOf(column, values)


def ids_reserve(model: type[models.Model], count: int) -> list[int]:
    """Take `count` ids from the table's sequence (PostgreSQL), so rows can be COPYed with them."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        # Django's cursor wraps psycopg's; COPY runs inside the caller's transaction.
        with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def rows_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence],
    *,
    return_ids: bool = True,
) -> list[int]:
    """Insert rows (tuples in the order of `fields`, attnames such as "account_id").

    Returns the new ids in row order (an empty list with `return_ids=False`, which lets the
    table's identity column number the rows).
    """
    if not rows:
        return []
    json_positions = [
        i for i, name in enumerate(fields) if isinstance(_field(model, name), models.JSONField)
    ]
    ids = ids_reserve(model, len(rows)) if return_ids else []
    columns = [*(["id"] if return_ids else []), *(_field(model, n).column for n in fields)]

    def prepared():
        for position, row in enumerate(rows):
            if json_positions:
                row = list(row)
                for i in json_positions:
                    row[i] = json.dumps(row[i])
            yield (ids[position], *row) if return_ids else row

    _copy(model, columns, prepared())
    return ids


def _field(model: type[models.Model], attname: str) -> models.Field:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field
    raise LookupError(f"{model.__name__} has no column {attname}")
