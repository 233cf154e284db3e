"""Keeping the Consent report's rollups current, like the message rollups (rollups.py).

One run, in one transaction:

1. take the consent rollup lock (one run at a time);
2. read a batch of `ConsentEvent` rows (the ledger's trigger writes them);
3. add them, per account, subscription type, day (account time zone), source, keyword and
   direction, with `INSERT ... ON CONFLICT DO UPDATE SET count = count + excluded.count`;
4. delete the consumed events.

A killed worker rolls the whole run back: nothing is lost or counted twice. The accounts whose
consent changed then get their snapshot (where contacts stand now) recounted: once per run
(beat runs it every 10 s), however many changes the run folded in.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account
from analytics.models import ConsentDayStats, ConsentDirection, ConsentEvent, ConsentSnapshot
from consent import selectors as consent_selectors
from consent.models import ConsentState, SubscriptionType

logger = logging.getLogger(__name__)

APPLY_BATCH = 5000
# pg_advisory_xact_lock key of the consent rollup ("crlp").
LOCK_KEY = 0x63726C70
# Contacts come and go without consent changing: the report asks the worker for a recount
# when it finds a snapshot older than this.
SNAPSHOT_MAX_AGE = dt.timedelta(minutes=5)

DIRECTION = {
    ConsentState.SUBSCRIBED: ConsentDirection.OPT_IN,
    ConsentState.UNSUBSCRIBED: ConsentDirection.OPT_OUT,
}


def _lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return bool(cursor.fetchone()[0])


def consent_rollups_apply(*, limit: int = APPLY_BATCH) -> tuple[int, set[int]]:
    """Fold one batch of consent events into ConsentDayStats: (events consumed, accounts
    touched). (0, set()) also when another run holds the lock: it will take these."""
    with transaction.atomic():
        if not _lock():
            return 0, set()
        events = list(ConsentEvent.objects.order_by("id")[:limit])
        if not events:
            return 0, set()
        zones = dict(
            Account.objects.filter(pk__in={e.account_id for e in events}).values_list(
                "pk", "time_zone"
            )
        )
        zone_infos = {name: ZoneInfo(name) for name in set(zones.values())}
        deltas: Counter[tuple] = Counter()
        for event in events:
            direction = DIRECTION.get(event.new_status)
            if direction is None or event.account_id not in zones:
                continue  # "consent cleared" isn't an opt-in or out; a deleted account's
            day = event.occurred_at.astimezone(zone_infos[zones[event.account_id]]).date()
            key = (
                event.account_id,
                event.subscription_type_id,
                day,
                event.source,
                event.keyword,
                str(direction),
            )
            deltas[key] += event.count
        _upsert(sorted(deltas.items()))
        ConsentEvent.objects.filter(id__in=[e.id for e in events]).delete()
    return len(events), {e.account_id for e in events}


def _upsert(rows: list[tuple[tuple, int]]) -> None:
    table = ConsentDayStats._meta.db_table
    types = SubscriptionType._meta.db_table
    columns = "account_id, subscription_type_id, day, source, keyword, direction, count"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 200):
            chunk = rows[start : start + 200]
            # The type may have been deleted since: its rows go with it, so skip it here.
            values = ", ".join(["(%s, %s, %s::date, %s, %s, %s, %s)"] * len(chunk))
            # Table and column names are constants.
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT v.* FROM (VALUES {values}) "  # noqa: S608
                f"AS v({columns}) WHERE EXISTS (SELECT 1 FROM {types} t "
                "WHERE t.id = v.subscription_type_id) "
                "ON CONFLICT (account_id, subscription_type_id, day, source, keyword, direction) "
                f"DO UPDATE SET count = {table}.count + excluded.count",
                [value for key, n in chunk for value in (*key, n)],
            )


def consent_snapshot_count(*, account: Account) -> None:
    """Recount where the account's contacts stand now, per subscription type."""
    counts = consent_selectors.consent_state_counts(account=account)
    now = timezone.now()
    with transaction.atomic():
        for type_id, n in counts.items():
            ConsentSnapshot.objects.update_or_create(
                subscription_type_id=type_id,
                defaults={
                    "account": account,
                    "subscribed": n.subscribed,
                    "opted_out": n.opted_out,
                    "not_specified": n.not_specified,
                    "not_sms_capable": n.not_sms_capable,
                    "counted_at": now,
                },
            )


def consent_snapshots_refresh(*, account_ids: Iterable[int]) -> int:
    """Recount the snapshots of these accounts; how many were recounted."""
    accounts = list(Account.objects.filter(pk__in=set(account_ids)))
    for account in accounts:
        consent_snapshot_count(account=account)
    return len(accounts)


def consent_rollups_apply_all(*, time_budget: float = 50.0) -> int:
    """Apply batches until nothing is left (or the time budget is spent), then recount the
    snapshots of the accounts whose consent changed."""
    deadline = timezone.now() + dt.timedelta(seconds=time_budget)
    total = 0
    touched: set[int] = set()
    while True:
        applied, accounts = consent_rollups_apply()
        total += applied
        touched |= accounts
        if applied == 0 or timezone.now() > deadline:
            break
    if touched:
        consent_snapshots_refresh(account_ids=touched)
    return total
