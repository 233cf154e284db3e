"""The drift check: recompute a sample of messages from raw rows and correct their rollups.

Rollups are exact by construction (analytics.services.rollups), so drift means a bug, a manual
fix in the database, or a trigger that was missing for a while; the check makes such damage
heal and logs it. It runs under the rollup lock, and reads raw counts and not-yet-applied
events in one statement (one snapshot), so "raw minus pending" is exactly what the rollup must
hold once it has applied everything before that snapshot.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from analytics.models import (
    COUNTERS,
    MessageDayStats,
    MessageHourStats,
    MessageStats,
    OptOutAttribution,
    OutboundEvent,
    ReplyAttribution,
)
from analytics.services.rollups import (
    hour_of,
    rollup_lock,
    status_counters,
    transition_delta,
)
from messaging.models import HANDED_TO_TWILIO, NEVER_SENT, LinkClick, OutboundMessage, SmsMessage

logger = logging.getLogger(__name__)

SAMPLE_SIZE = 20


@dataclass(frozen=True)
class DriftReport:
    """What the raw rows say (`expected`) against the message's totals (`found`) and the sums
    of its per-hour and per-day rows (the performance page's series and the Analyze tab)."""

    message_id: int
    expected: dict[str, int]
    found: dict[str, int]
    hours: dict[str, int] | None = None
    days: dict[str, int] | None = None

    @property
    def buckets_drifted(self) -> bool:
        return any(sums is not None and sums != self.expected for sums in (self.hours, self.days))

    @property
    def drifted(self) -> bool:
        return self.expected != self.found or self.buckets_drifted


def _bucket_sums(model, message_id: int) -> dict[str, int]:
    sums = model.objects.filter(message_id=message_id).aggregate(
        **{name: Sum(name) for name in COUNTERS}
    )
    return {name: value or 0 for name, value in sums.items()}


def _status_totals(message_id: int) -> tuple[Counter, list[OutboundEvent]]:
    """Status counters from raw rows minus what pending events will still add, read in one
    statement so both come from the same snapshot."""
    outbound = OutboundMessage._meta.db_table
    events = OutboundEvent._meta.db_table
    kinds = ", ".join(f"'{kind}'" for kind in OutboundMessage.MARKETING_KINDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 'raw', status, '', COUNT(*), NULL FROM {outbound} "  # noqa: S608
            f"WHERE message_id = %s AND kind IN ({kinds}) GROUP BY status "
            f"UNION ALL SELECT 'event', new_status, old_status, count, occurred_at FROM {events} "
            "WHERE message_id = %s",
            [message_id, message_id],
        )
        rows = cursor.fetchall()
    totals: Counter = Counter()
    pending: list[OutboundEvent] = []
    for source, status, old_status, count, occurred_at in rows:
        if source == "raw":
            for name, n in status_counters(status).items():
                totals[name] += n * count
        else:
            pending.append(
                OutboundEvent(
                    message_id=message_id,
                    old_status=old_status,
                    new_status=status,
                    count=count,
                    occurred_at=occurred_at,
                )
            )
            for name, n in transition_delta(old_status, status, count).items():
                totals[name] -= n
    return totals, pending


def _click_and_opt_out_totals(message_id: int) -> Counter:
    """Clicks, opt-outs and replies the rollup has taken in (under the lock we hold)."""
    clicks = LinkClick.objects.filter(message_id=message_id, rolled_up=True)
    totals: Counter = Counter(
        clicks=clicks.filter(is_bot=False).count(),
        unique_clicks=clicks.filter(is_bot=False).values("outbound_id").distinct().count(),
        bot_clicks=clicks.filter(is_bot=True).count(),
        opt_outs=OptOutAttribution.objects.filter(message_id=message_id).count(),
        replies=ReplyAttribution.objects.filter(message_id=message_id).count(),
    )
    return totals


def _buckets_rebuild(message: SmsMessage, pending: list[OutboundEvent]) -> None:
    """Rebuild a drifted message's hours and days from raw rows (minus pending events)."""
    zone = ZoneInfo(message.account.time_zone)
    hours: dict[dt.datetime, Counter] = defaultdict(Counter)
    days: dict[dt.date, Counter] = defaultdict(Counter)

    def add(at: dt.datetime, delta: dict[str, int]) -> None:
        hours[hour_of(at)].update(delta)
        days[at.astimezone(zone).date()].update(delta)

    rows = (
        OutboundMessage.objects.filter(message=message, kind__in=OutboundMessage.MARKETING_KINDS)
        .values_list("status", "created_at", "sent_at", "status_updated_at")
        .iterator(chunk_size=10_000)
    )
    for status, created_at, sent_at, status_updated_at in rows:
        add(created_at, {"recipients": 1})
        if status in HANDED_TO_TWILIO:
            add(sent_at or status_updated_at or created_at, {"sent": 1})
        if status in NEVER_SENT:
            add(status_updated_at or created_at, {"not_sent": 1})
        if status in ("delivered", "undelivered", "failed"):
            add(status_updated_at or sent_at or created_at, {status: 1})
    for event in pending:
        add(
            event.occurred_at,
            {
                k: -v
                for k, v in transition_delta(
                    event.old_status, event.new_status, event.count
                ).items()
            },
        )
    first_click: set[int] = set()
    clicks = (
        LinkClick.objects.filter(message=message, rolled_up=True)
        .order_by("clicked_at", "id")
        .values_list("outbound_id", "clicked_at", "is_bot")
    )
    for outbound_id, clicked_at, is_bot in clicks.iterator(chunk_size=10_000):
        if is_bot:
            add(clicked_at, {"bot_clicks": 1})
        elif outbound_id in first_click:
            add(clicked_at, {"clicks": 1})
        else:
            first_click.add(outbound_id)
            add(clicked_at, {"clicks": 1, "unique_clicks": 1})
    for opted_out_at in OptOutAttribution.objects.filter(message=message).values_list(
        "opted_out_at", flat=True
    ):
        add(opted_out_at, {"opt_outs": 1})
    for replied_at in ReplyAttribution.objects.filter(message=message).values_list(
        "replied_at", flat=True
    ):
        add(replied_at, {"replies": 1})

    def counters(counter: Counter) -> dict[str, int]:
        return {name: counter.get(name, 0) for name in COUNTERS}

    MessageHourStats.objects.filter(message=message).delete()
    MessageDayStats.objects.filter(message=message).delete()
    MessageHourStats.objects.bulk_create(
        MessageHourStats(message=message, account_id=message.account_id, hour=hour, **counters(c))
        for hour, c in hours.items()
    )
    MessageDayStats.objects.bulk_create(
        MessageDayStats(message=message, account_id=message.account_id, day=day, **counters(c))
        for day, c in days.items()
    )


def message_rollup_check(*, message: SmsMessage, correct: bool = True) -> DriftReport:
    """Compare a message's rollups (its totals, and the sums of its hours and of its days)
    with its raw rows; correct them when they differ.

    Hours and days are checked on their own: with right totals, wrong day rows would still
    show wrong numbers on the Analyze tab, which reads only those."""
    with transaction.atomic():
        rollup_lock(wait=True)
        totals, pending = _status_totals(message.pk)
        totals.update(_click_and_opt_out_totals(message.pk))
        expected = {name: totals.get(name, 0) for name in COUNTERS}
        stats = MessageStats.objects.select_for_update().filter(message=message).first()
        found = stats.counters() if stats else {name: 0 for name in COUNTERS}
        report = DriftReport(
            message.pk,
            expected,
            found,
            hours=_bucket_sums(MessageHourStats, message.pk),
            days=_bucket_sums(MessageDayStats, message.pk),
        )
        now = timezone.now()
        if report.drifted and correct:
            for what, sums in (("totals", found), ("hours", report.hours), ("days", report.days)):
                if sums != expected:
                    logger.warning(
                        "analytics drift on message %s (%s): rollup %s, raw rows %s",
                        message.pk,
                        what,
                        {k: v for k, v in sums.items() if v != expected[k]},
                        {k: v for k, v in expected.items() if v != sums[k]},
                    )
            MessageStats.objects.update_or_create(
                message=message,
                defaults={
                    **expected,
                    "account_id": message.account_id,
                    "updated_at": now,
                    "checked_at": now,
                },
            )
            _buckets_rebuild(message, pending)
        elif stats is not None:
            MessageStats.objects.filter(pk=stats.pk).update(checked_at=now)
    return report


def rollups_check(*, sample: int = SAMPLE_SIZE) -> list[DriftReport]:
    """Check a sample: the messages most recently active, then those checked longest ago."""
    recent = list(
        MessageStats.objects.order_by("-updated_at").values_list("message_id", flat=True)[
            : sample // 2
        ]
    )
    stale = list(
        MessageStats.objects.exclude(message_id__in=recent)
        .order_by(F("checked_at").asc(nulls_first=True))
        .values_list("message_id", flat=True)[: sample - len(recent)]
    )
    # Sent messages the rollup never heard of at all.
    unseen = list(
        SmsMessage.objects.filter(
            stats__isnull=True,
            status__in=(SmsMessage.Status.SENDING, SmsMessage.Status.SENT),
        ).values_list("pk", flat=True)[: max(1, sample // 4)]
    )
    reports = []
    chosen = recent + stale + unseen
    for message in SmsMessage.objects.filter(pk__in=chosen).select_related("account"):
        reports.append(message_rollup_check(message=message))
    return reports
