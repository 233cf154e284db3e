"""Keeping the rollups current: the worker folds new events into per-message totals, hours and
days, a batch at a time, exactly once.

One run, in one transaction:

1. take the rollup lock (one run at a time, so two runs never double count a unique click or
   deadlock on the same rollup rows);
2. read a batch of outbound status changes, unrolled clicks, opt-outs and replies;
3. turn them into counter deltas per message, per hour and per day (in the account's zone);
4. add the deltas with `INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`;
5. delete the consumed events and mark the clicks rolled up.

A worker killed anywhere in between rolls the transaction back: the events and clicks are still
there for the next run, and nothing was counted twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from analytics.models import (
    COUNTERS,
    MessageDayStats,
    MessageHourStats,
    MessageStats,
    OptOutAttribution,
    OptOutEvent,
    OutboundEvent,
    ReplyAttribution,
    ReplyEvent,
)
from messaging.models import (
    HANDED_TO_TWILIO,
    NEVER_SENT,
    LinkClick,
    OutboundMessage,
    OutboundStatus,
    SmsMessage,
)

logger = logging.getLogger(__name__)

APPLY_BATCH = 5000
# An opt-out (or a reply) counts against the last text the phone got (from the number it wrote
# to), if it came within this long before.
ATTRIBUTION_WINDOW = dt.timedelta(days=7)
# pg_advisory_xact_lock key shared by the rollup and the drift check ("rlup").
LOCK_KEY = 0x726C7570


def status_counters(status: str) -> dict[str, int]:
    """The status counters a text in `status` adds to (a text not yet there, "", adds none)."""
    if not status:
        return {}
    counts = {"recipients": 1}
    if status in HANDED_TO_TWILIO:
        counts["sent"] = 1
    if status in NEVER_SENT:
        counts["not_sent"] = 1
    if status in (OutboundStatus.DELIVERED, OutboundStatus.UNDELIVERED, OutboundStatus.FAILED):
        counts[str(status)] = 1
    return counts


def transition_delta(old: str, new: str, count: int) -> dict[str, int]:
    """What `count` texts moving from `old` to `new` change: +1 where they now count, -1
    where they no longer do (statuses only move forward, but the arithmetic needn't care)."""
    delta: Counter[str] = Counter()
    for name, n in status_counters(new).items():
        delta[name] += n * count
    for name, n in status_counters(old).items():
        delta[name] -= n * count
    return {name: n for name, n in delta.items() if n}


def hour_of(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class Deltas:
    """Counter deltas per message, per (message, hour) and per (message, day)."""

    messages: Mapping[int, tuple[int, str]]  # message id -> (account id, time zone)
    totals: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    hours: dict[tuple[int, dt.datetime], Counter] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    days: dict[tuple[int, dt.date], Counter] = field(default_factory=lambda: defaultdict(Counter))
    _zones: dict[str, ZoneInfo] = field(default_factory=dict)

    def add(self, message_id: int, at: dt.datetime, delta: Mapping[str, int]) -> None:
        if message_id not in self.messages or not delta:
            return  # the message was deleted, and its analytics with it
        zone_name = self.messages[message_id][1]
        zone = self._zones.get(zone_name) or self._zones.setdefault(zone_name, ZoneInfo(zone_name))
        self.totals[message_id].update(delta)
        self.hours[(message_id, hour_of(at))].update(delta)
        self.days[(message_id, at.astimezone(zone).date())].update(delta)

    def __bool__(self) -> bool:
        return bool(self.totals)


def messages_info(message_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    return {
        pk: (account_id, zone)
        for pk, account_id, zone in SmsMessage.objects.filter(pk__in=set(message_ids)).values_list(
            "pk", "account_id", "account__time_zone"
        )
    }


def rollup_lock(*, wait: bool) -> bool:
    """Take the rollup lock for the current transaction."""
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _upsert(model, keys: tuple[str, ...], rows: list[tuple], extra: tuple[str, ...] = ()) -> None:
    """Add counter rows `(key values..., account id, extra values..., counters...)`."""
    if not rows:
        return
    table = model._meta.db_table
    columns = (*keys, "account_id", *extra, *COUNTERS)
    updates = [f"{name} = {table}.{name} + excluded.{name}" for name in COUNTERS]
    updates += [f"{name} = excluded.{name}" for name in extra]
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 200):
            chunk = rows[start : start + 200]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(chunk))
                + f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}",
                [value for row in chunk for value in row],
            )


def deltas_write(deltas: Deltas, *, now: dt.datetime) -> None:
    def counters(counter: Counter) -> tuple[int, ...]:
        return tuple(counter.get(name, 0) for name in COUNTERS)

    account = {pk: info[0] for pk, info in deltas.messages.items()}
    # Sorted, so concurrent writers (the drift check) take row locks in the same order.
    _upsert(
        MessageStats,
        ("message_id",),
        [
            (pk, account[pk], now, *counters(c))
            for pk, c in sorted(deltas.totals.items(), key=lambda item: item[0])
        ],
        extra=("updated_at",),
    )
    _upsert(
        MessageHourStats,
        ("message_id", "hour"),
        [
            (pk, hour, account[pk], *counters(c))
            for (pk, hour), c in sorted(deltas.hours.items(), key=lambda item: item[0])
        ],
    )
    _upsert(
        MessageDayStats,
        ("message_id", "day"),
        [
            (pk, day, account[pk], *counters(c))
            for (pk, day), c in sorted(deltas.days.items(), key=lambda item: item[0])
        ],
    )


def _opt_outs_attribute(events: list[OptOutEvent]) -> list[OptOutAttribution]:
    """The recipient row each opt-out follows, when there is one; one per recipient."""
    found: list[OptOutAttribution] = []
    taken: set[int] = set()
    for event in events:
        row = (
            OutboundMessage.objects.filter(
                account_id=event.account_id,
                to_phone=event.phone_e164,
                message__isnull=False,
                kind__in=OutboundMessage.MARKETING_KINDS,
                sent_at__lte=event.occurred_at,
                sent_at__gte=event.occurred_at - ATTRIBUTION_WINDOW,
            )
            .order_by("-sent_at")
            .values("id", "message_id", "contact_id")
            .first()
        )
        if row is None or row["id"] in taken:
            continue
        taken.add(row["id"])
        found.append(
            OptOutAttribution(
                account_id=event.account_id,
                message_id=row["message_id"],
                outbound_id=row["id"],
                contact_id=row["contact_id"] or event.contact_id,
                phone_e164=event.phone_e164,
                opted_out_at=event.occurred_at,
                ledger_entry_id=event.ledger_entry_id,
            )
        )
    if found:
        already = set(
            OptOutAttribution.objects.filter(
                outbound_id__in=[a.outbound_id for a in found]
            ).values_list("outbound_id", flat=True)
        )
        found = [a for a in found if a.outbound_id not in already]
    return found


def _replies_attribute(events: list[ReplyEvent]) -> list[ReplyAttribution]:
    """The text each reply answers: the last campaign or workflow text that phone got from the
    number it wrote to, within the window; one attribution per reply."""
    found: list[ReplyAttribution] = []
    for event in events:
        row = (
            OutboundMessage.objects.filter(
                account_id=event.account_id,
                to_phone=event.from_phone,
                sender__e164=event.to_phone,
                message__isnull=False,
                kind__in=OutboundMessage.MARKETING_KINDS,
                sent_at__lte=event.occurred_at,
                sent_at__gte=event.occurred_at - ATTRIBUTION_WINDOW,
            )
            .order_by("-sent_at")
            .values("id", "message_id")
            .first()
        )
        if row is not None:
            found.append(
                ReplyAttribution(
                    account_id=event.account_id,
                    message_id=row["message_id"],
                    message_sid=event.message_sid,
                    outbound_id=row["id"],
                    phone_e164=event.from_phone,
                    replied_at=event.occurred_at,
                )
            )
    if found:
        already = set(
            ReplyAttribution.objects.filter(
                message_sid__in=[a.message_sid for a in found]
            ).values_list("message_sid", flat=True)
        )
        found = [a for a in found if a.message_sid not in already]
    return found


def rollups_apply(*, limit: int = APPLY_BATCH) -> int:
    """Fold one batch of events, clicks and opt-outs into the rollups; how many were consumed
    (0 also when another run holds the lock: it will take these)."""
    with transaction.atomic():
        if not rollup_lock(wait=False):
            return 0
        events = list(OutboundEvent.objects.order_by("id")[:limit])
        clicks = list(
            LinkClick.objects.filter(rolled_up=False)
            .order_by("id")
            .values_list("id", "message_id", "outbound_id", "clicked_at", "is_bot")[:limit]
        )
        opt_out_events = list(OptOutEvent.objects.order_by("id")[:limit])
        reply_events = list(ReplyEvent.objects.order_by("id")[:limit])
        if not (events or clicks or opt_out_events or reply_events):
            return 0
        attributions = _opt_outs_attribute(opt_out_events)
        replies = _replies_attribute(reply_events) if reply_events else []
        deltas = Deltas(
            messages_info(
                [e.message_id for e in events]
                + [c[1] for c in clicks]
                + [a.message_id for a in attributions]
                + [r.message_id for r in replies]
            )
        )
        for event in events:
            deltas.add(
                event.message_id,
                event.occurred_at,
                transition_delta(event.old_status, event.new_status, event.count),
            )
        _clicks_add(deltas, clicks)
        for attribution in attributions:
            deltas.add(attribution.message_id, attribution.opted_out_at, {"opt_outs": 1})
        OptOutAttribution.objects.bulk_create(
            [a for a in attributions if a.message_id in deltas.messages]
        )
        for reply in replies:
            deltas.add(reply.message_id, reply.replied_at, {"replies": 1})
        ReplyAttribution.objects.bulk_create(
            [r for r in replies if r.message_id in deltas.messages]
        )
        deltas_write(deltas, now=timezone.now())
        OutboundEvent.objects.filter(id__in=[e.id for e in events]).delete()
        OptOutEvent.objects.filter(id__in=[e.id for e in opt_out_events]).delete()
        ReplyEvent.objects.filter(id__in=[e.id for e in reply_events]).delete()
        if clicks:
            with connection.cursor() as cursor:
                # One array parameter rather than 5,000 placeholders: parsing those costs more
                # than the update itself.
                cursor.execute(
                    f"UPDATE {LinkClick._meta.db_table} SET rolled_up = %s WHERE "  # noqa: S608
                    + "id = ANY(%s)",
                    [True, [c[0] for c in clicks]],
                )
    return len(events) + len(clicks) + len(opt_out_events) + len(reply_events)


def _clicks_add(deltas: Deltas, clicks: list[tuple]) -> None:
    """Clicks, unique clicks (a recipient's first human click) and bot fetches."""
    human_outbound = list({c[2] for c in clicks if not c[4]})
    clicked_before: set[int] = set()
    if human_outbound:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT outbound_id FROM {LinkClick._meta.db_table} "  # noqa: S608
                "WHERE is_bot = %s AND rolled_up = %s AND outbound_id = ANY(%s)",
                [False, True, list(human_outbound)],
            )
            clicked_before = {row[0] for row in cursor.fetchall()}
    for _, message_id, outbound_id, clicked_at, is_bot in clicks:
        if is_bot:
            deltas.add(message_id, clicked_at, {"bot_clicks": 1})
            continue
        delta = {"clicks": 1}
        if outbound_id not in clicked_before:
            clicked_before.add(outbound_id)
            delta["unique_clicks"] = 1
        deltas.add(message_id, clicked_at, delta)


def rollups_apply_all(*, time_budget: float = 50.0) -> int:
    """Apply batches until nothing is left (or the time budget is spent)."""
    deadline = timezone.now() + dt.timedelta(seconds=time_budget)
    total = 0
    while True:
        applied = rollups_apply()
        total += applied
        if applied == 0 or timezone.now() > deadline:
            return total
