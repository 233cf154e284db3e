"""Delivery statuses from Twilio: recorded once, applied forward-only, idempotently.

The webhook only appends: one `INSERT ... ON CONFLICT DO NOTHING` of the (MessageSid,
MessageStatus) pair, which is what makes a duplicate callback a no-op. On PostgreSQL that insert
commits without waiting for its WAL flush (`synchronous_commit = off` for that transaction
only): a crash could lose the last fraction of a second of callbacks, never corrupt anything,
and the view answers several times faster than one fsync per callback allows. A worker then
applies what came in, in batches: a status moves a message only when it ranks above the
message's current one, so `delivered` followed by a late `sent` stays `delivered`, and a
terminal status never changes.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict

import kombu.exceptions
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from accounts.db import prepared_execute
from messaging.models import STATUS_RANK, OutboundMessage, OutboundStatus, StatusCallback
from messaging.services import phone_errors
from registration.models import TwilioSubaccount

logger = logging.getLogger(__name__)

APPLY_SCHEDULED_KEY = "status-callbacks:apply-scheduled"
APPLY_BATCH = 5000
UNMATCHED_KEEP = dt.timedelta(minutes=10)
# The statuses Twilio reports that move an outbound message (receiving, received and read
# describe inbound and WhatsApp messages).
RECORDED_STATUSES = frozenset(str(s) for s in STATUS_RANK if s != OutboundStatus.CLAIMED)


def _lower_ranked(status: str) -> list[str]:
    rank = STATUS_RANK[status]
    return [str(s) for s, r in STATUS_RANK.items() if r < rank]


# The text with this SID sent through a Twilio account other than the one named: the sending
# account is the text's account's subaccount, else the platform's (parameters: SID, the
# platform's SID, the callback's AccountSid).
_FOREIGN_TEXT = (
    f"SELECT 1 FROM {OutboundMessage._meta.db_table} o "  # noqa: S608
    f"LEFT JOIN {TwilioSubaccount._meta.db_table} t ON t.account_id = o.account_id "
    "WHERE o.twilio_sid = %s::text AND COALESCE(t.sid, %s::text) <> %s::text"
)


def status_callback_record(
    *, message_sid: str, status: str, error_code: int | None, account_sid: str
) -> bool:
    """Append one callback; False when this (sid, status) was seen before.

    One prepared statement and one round trip, in autocommit (accounts.db). The
    CTE sets `synchronous_commit` for this statement's own transaction: the commit record is written
    while the setting is still in force (it is reset only after the commit), so the callback
    is answered without waiting for the WAL flush, and nothing else this connection writes is
    affected.
    """
    table = StatusCallback._meta.db_table
    params = [
        message_sid,
        status,
        error_code,
        account_sid,
        timezone.now(),
        False,
        message_sid,
        settings.TWILIO_ACCOUNT_SID,
        account_sid,
    ]
    # A callback naming another account's text is not stored: it must not move that text, nor
    # take the (sid, status) slot its genuine callback needs. A text not known yet (the
    # callback beat the dispatcher's write) is stored and checked again when applied.
    rowcount, _ = prepared_execute(
        "WITH durability AS (SELECT set_config('synchronous_commit', 'off', true)) "  # noqa: S608
        f"INSERT INTO {table} (message_sid, status, error_code, account_sid, "
        "received_at, applied) SELECT %s::text, %s::text, %s::integer, %s::text, "
        "%s::timestamptz, %s::boolean FROM durability "
        f"WHERE NOT EXISTS ({_FOREIGN_TEXT}) "
        "ON CONFLICT (message_sid, status) DO NOTHING",
        params,
    )
    new = rowcount == 1
    if new:
        _apply_soon()
    return new


# When this process last made sure an apply run is coming (time.monotonic()).
_apply_ensured_at = float("-inf")


def _apply_soon() -> None:
    """Schedule one apply run for what arrives in the next STATUS_CALLBACKS_BATCH_SECONDS.

    A process asks the shared flag (one run for every web process) at most once per that
    window: in a burst, a Redis round trip per callback cost as much as the callback's INSERT.
    A callback that comes just as a run starts, and is not asked about, is applied by the next
    run or by beat's sweep (`apply-status-callbacks`, every 10 s). So is one that comes while
    Redis (the flag's cache and Celery's broker) is away: it is stored, Twilio gets its 2xx
    and must not retry, and the sweep applies it once Redis is back.
    """
    from messaging.tasks import status_callbacks_apply_task

    global _apply_ensured_at
    window = settings.STATUS_CALLBACKS_BATCH_SECONDS
    now = time.monotonic()
    if now - _apply_ensured_at < window:
        return
    _apply_ensured_at = now
    try:
        if cache.add(APPLY_SCHEDULED_KEY, 1, timeout=30):
            # No publish retries: Twilio is waiting on this request, and the sweep has it.
            status_callbacks_apply_task.apply_async(countdown=window, retry=False)
    except (redis.RedisError, kombu.exceptions.OperationalError):
        logger.warning("status callbacks: Redis unavailable; beat's sweep will apply them")


def _statuses_move(
    moves: list[tuple[str, str, int | None]], *, now: dt.datetime
) -> list[tuple[str, int | None]]:
    """Move each (SID, status, error code) forward; the (SID, error code) of rows that moved.

    One statement moves the whole batch: fewer round trips, and the analytics
    change feed (a statement trigger, see analytics/models.py) writes a handful of rows for it
    instead of one per callback.
    """
    if not moves:
        return []
    table = OutboundMessage._meta.db_table
    rank_of = " ".join(f"WHEN '{status}' THEN {rank}" for status, rank in STATUS_RANK.items())
    values = ", ".join(["(%s, %s, %s::integer, %s::integer)"] * len(moves))
    params: list = [now]
    for sid, status, code in moves:
        params += [sid, status, code, STATUS_RANK[status]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS o SET status = v.status, status_updated_at = %s, "  # noqa: S608
            "error_code = COALESCE(v.code, o.error_code) "
            f"FROM (VALUES {values}) AS v(sid, status, code, rank) "
            f"WHERE o.twilio_sid = v.sid AND (CASE o.status {rank_of} ELSE 99 END) < v.rank "
            "RETURNING o.twilio_sid, v.code",
            params,
        )
        return [(sid, code) for sid, code in cursor.fetchall()]


# For statuses learnt without a callback (reconcile.stale_statuses_reconcile asks Twilio).
statuses_move = _statuses_move


def status_callbacks_apply(*, limit: int = APPLY_BATCH) -> int:
    """Apply unapplied callbacks in a batch; returns how many callbacks were consumed."""
    # Callbacks arriving from now on schedule a new run.
    cache.delete(APPLY_SCHEDULED_KEY)
    with transaction.atomic():
        batch = list(
            StatusCallback.objects.select_for_update(skip_locked=True)
            .filter(applied=False)
            .order_by("id")[:limit]
        )
        if not batch:
            return 0
        # Each known text with the Twilio account it was sent through (its account's
        # subaccount, else the platform's): only a callback from that account may move it.
        sent_through = {
            sid: subaccount_sid or settings.TWILIO_ACCOUNT_SID
            for sid, subaccount_sid in OutboundMessage.objects.filter(
                twilio_sid__in={c.message_sid for c in batch}
            ).values_list("twilio_sid", "account__twilio__sid")
        }
        # Per message only the highest-ranked status counts, with the error code it came with.
        best: dict[str, StatusCallback] = {}
        codes: dict[str, list[int]] = defaultdict(list)
        for callback in batch:
            status = "cancelled" if callback.status == "canceled" else callback.status
            if status not in STATUS_RANK:
                continue  # receiving/received/read describe inbound or WhatsApp messages
            if sent_through.get(callback.message_sid, callback.account_sid) != callback.account_sid:
                continue  # another account's text: consumed, and changes nothing
            callback.status = status
            current = best.get(callback.message_sid)
            if current is None or STATUS_RANK[status] > STATUS_RANK[current.status]:
                best[callback.message_sid] = callback
            if callback.error_code:
                codes[callback.message_sid].append(callback.error_code)
        now = timezone.now()
        known = set(sent_through)
        # A callback can beat the dispatcher's write of the SID it answers; keep those for a
        # later run. Ones still unmatched after UNMATCHED_KEEP are not ours (or long gone).
        waiting = {
            c.id
            for c in batch
            if c.message_sid not in known and now - c.received_at < UNMATCHED_KEEP
        }
        moves = [(sid, c.status, c.error_code) for sid, c in best.items() if sid in known]
        for sid, code in _statuses_move(moves, now=now):
            if code in phone_errors.UNREACHABLE_CODES | phone_errors.OPT_OUT_CODES:
                row = (
                    OutboundMessage.objects.select_related("account").filter(twilio_sid=sid).first()
                )
                if row is not None:
                    phone_errors.permanent_error_apply(row=row, code=code)
        StatusCallback.objects.filter(id__in=[c.id for c in batch if c.id not in waiting]).update(
            applied=True
        )
    return len(batch) - len(waiting)
