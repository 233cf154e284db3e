"""Reads for the Consent report (Analytics > Consent, `GET /api/v1/analytics/consent`).

Everything comes from rollups the worker keeps (analytics.services.consent_rollups): where
contacts stand now from `ConsentSnapshot`, changes over time from `ConsentDayStats`, opt-outs
attributed to a message from `OptOutAttribution` and `MessageStats`. No request reads the
ledger or counts contacts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from accounts.models import Account
from analytics.models import (
    ConsentDayStats,
    ConsentDirection,
    ConsentReportSource,
    ConsentSnapshot,
    MessageStats,
    OptOutAttribution,
)
from analytics.services.consent_rollups import SNAPSHOT_MAX_AGE
from consent.models import PERSONAL_OPT_OUT_SOURCES, SubscriptionType

UNITS = {"day": "Day", "week": "Week of", "month": "Month"}
TRUNC = {"week": TruncWeek, "month": TruncMonth}


def unit_default(start: dt.date, end: dt.date) -> str:
    """Days for up to three months, weeks up to a year and a bit, months beyond: a chart of
    more points than that is unreadable (a unit asked for always wins)."""
    days = (end - start).days + 1
    return "day" if days <= 92 else "week" if days <= 400 else "month"


TOP_OPT_OUTS = 10


@dataclass
class TypeNow:
    subscription_type: str  # its public id
    name: str
    subscribed: int
    opted_out: int
    not_specified: int
    not_sms_capable: int
    counted_at: dt.datetime | None

    def row(self) -> list:
        return [
            self.name,
            self.subscribed,
            self.opted_out,
            self.not_specified,
            self.not_sms_capable,
        ]


@dataclass
class Bucket:
    label: str
    opt_ins: int = 0
    opt_outs: int = 0
    by_source: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    @property
    def net(self) -> int:
        return self.opt_ins - self.opt_outs


@dataclass
class Breakdown:
    """Totals in the range for a source or a keyword."""

    key: str
    label: str
    opt_ins: int = 0
    opt_outs: int = 0

    @property
    def net(self) -> int:
        return self.opt_ins - self.opt_outs

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "opt_ins": self.opt_ins,
            "opt_outs": self.opt_outs,
            "net": self.net,
        }


@dataclass
class OptOutLeader:
    """A message or campaign, with the opt-outs in the range attributed to it and its rate."""

    id: str
    name: str
    opt_outs: int
    delivered: int

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.opt_outs / self.delivered, 1) if self.delivered else None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "opt_outs": self.opt_outs,
            "delivered": self.delivered,
            "opt_out_rate": self.rate,
        }


@dataclass
class ConsentReport:
    start: dt.date
    end: dt.date
    unit: str
    subscription_type: SubscriptionType | None
    now: list[TypeNow]
    buckets: list[Bucket]
    sources: list[Breakdown]
    keywords: list[Breakdown]
    personal_opt_outs: int
    attributed_opt_outs: int
    top_messages: list[OptOutLeader]
    top_campaigns: list[OptOutLeader]
    # Subscription types whose snapshot is missing or older than SNAPSHOT_MAX_AGE.
    stale: bool = False

    @property
    def opt_ins(self) -> int:
        return sum(b.opt_ins for b in self.buckets)

    @property
    def opt_outs(self) -> int:
        return sum(b.opt_outs for b in self.buckets)

    @property
    def net(self) -> int:
        return self.opt_ins - self.opt_outs

    @property
    def sources_seen(self) -> list[Breakdown]:
        return [s for s in self.sources if s.opt_ins or s.opt_outs]

    def series_table(self) -> list[list]:
        return [[b.label, b.opt_ins, b.opt_outs, b.net] for b in self.buckets]

    def sources_table(self) -> list[list]:
        """One row per bucket: per source seen, its opt-ins and opt-outs."""
        return [
            [b.label, *(n for s in self.sources_seen for n in b.by_source.get(s.key, [0, 0]))]
            for b in self.buckets
        ]

    def sources_header(self, unit_label: str) -> list[str]:
        header = [unit_label]
        for source in self.sources_seen:
            header += [f"{source.label} opt-ins", f"{source.label} opt-outs"]
        return header


def bucket_start(day: dt.date, unit: str) -> dt.date:
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())  # weeks start on Monday
    if unit == "month":
        return day.replace(day=1)
    return day


def _bucket_label(start: dt.date, unit: str) -> str:
    return start.strftime("%Y-%m") if unit == "month" else start.isoformat()


def _buckets(start: dt.date, end: dt.date, unit: str) -> dict[dt.date, Bucket]:
    buckets: dict[dt.date, Bucket] = {}
    day = start
    while day <= end:
        key = bucket_start(day, unit)
        if key not in buckets:
            buckets[key] = Bucket(_bucket_label(key, unit))
        day += dt.timedelta(days=1)
    return buckets


def consent_now(
    *, account: Account, subscription_type: SubscriptionType | None = None
) -> tuple[list[TypeNow], bool]:
    """Where contacts stand per subscription type (the worker's snapshot), and whether a
    snapshot is missing or older than SNAPSHOT_MAX_AGE (then the caller asks for a recount)."""
    types = SubscriptionType.objects.filter(account=account).order_by("-is_default", "name")
    if subscription_type is not None:
        types = types.filter(pk=subscription_type.pk)
    snapshots = {s.subscription_type_id: s for s in ConsentSnapshot.objects.filter(account=account)}
    rows, stale = [], False
    oldest_fresh = timezone.now() - SNAPSHOT_MAX_AGE
    for t in types:
        snap = snapshots.get(t.pk)
        if snap is None or snap.counted_at < oldest_fresh:
            stale = True
        rows.append(
            TypeNow(
                subscription_type=t.public_id,
                name=t.name,
                subscribed=snap.subscribed if snap else 0,
                opted_out=snap.opted_out if snap else 0,
                not_specified=snap.not_specified if snap else 0,
                not_sms_capable=snap.not_sms_capable if snap else 0,
                counted_at=snap.counted_at if snap else None,
            )
        )
    return rows, stale


def consent_report(
    *,
    account: Account,
    start: dt.date,
    end: dt.date,
    unit: str = "day",
    subscription_type: SubscriptionType | None = None,
) -> ConsentReport:
    """The Consent report for the account's days `start`..`end` (inclusive), bucketed by day,
    week or month, for one subscription type or all."""
    if unit not in UNITS:
        raise ValueError(f"Unknown unit {unit!r}.")
    now, stale = consent_now(account=account, subscription_type=subscription_type)
    stats = ConsentDayStats.objects.filter(account=account, day__gte=start, day__lte=end)
    if subscription_type is not None:
        stats = stats.filter(subscription_type=subscription_type)
    buckets = _buckets(start, end, unit)
    sources = {s.value: Breakdown(s.value, s.label) for s in ConsentReportSource}
    personal = 0
    # Bucketed and summed by the database: a year of days is a few thousand rows at most,
    # read as tuples.
    bucketed = stats.annotate(bucket=TRUNC[unit]("day")) if unit != "day" else stats
    by_bucket = (
        bucketed.values_list("bucket" if unit != "day" else "day", "source", "direction")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for day, source_key, direction, n in by_bucket:
        bucket = buckets[bucket_start(day, unit)]
        source = sources.setdefault(source_key, Breakdown(source_key, source_key))
        if direction == ConsentDirection.OPT_IN:
            bucket.by_source[source_key][0] += n
            bucket.opt_ins += n
            source.opt_ins += n
        else:
            bucket.by_source[source_key][1] += n
            bucket.opt_outs += n
            source.opt_outs += n
            if source_key in PERSONAL_OPT_OUT_SOURCES:
                personal += n
    keywords: dict[str, Breakdown] = {}
    for word, direction, n in (
        stats.exclude(keyword="")
        .values_list("keyword", "direction")
        .annotate(n=Sum("count"))
        .order_by()
    ):
        found = keywords.setdefault(word, Breakdown(word, word))
        if direction == ConsentDirection.OPT_IN:
            found.opt_ins += n
        else:
            found.opt_outs += n
    attributed, top_messages, top_campaigns = _attributed(account=account, start=start, end=end)
    return ConsentReport(
        start=start,
        end=end,
        unit=unit,
        subscription_type=subscription_type,
        now=now,
        buckets=list(buckets.values()),
        sources=list(sources.values()),
        keywords=sorted(keywords.values(), key=lambda k: (-(k.opt_ins + k.opt_outs), k.key)),
        personal_opt_outs=personal,
        attributed_opt_outs=attributed,
        top_messages=top_messages,
        top_campaigns=top_campaigns,
        stale=stale,
    )


def _attributed(
    *, account: Account, start: dt.date, end: dt.date
) -> tuple[int, list[OptOutLeader], list[OptOutLeader]]:
    """Opt-outs in the range attributed to the text the phone got in the 7 days before (as the
    results page counts them), and the messages and campaigns with the highest opt-out rate:
    those opt-outs over the message's deliveries."""
    tz = ZoneInfo(account.time_zone)
    since = dt.datetime.combine(start, dt.time.min, tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tz)
    per_message = dict(
        OptOutAttribution.objects.filter(
            account=account, opted_out_at__gte=since, opted_out_at__lt=until
        )
        .values("message_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("message_id", "n")
    )
    if not per_message:
        return 0, [], []
    info = MessageStats.objects.filter(account=account, message_id__in=list(per_message)).values(
        "message_id",
        "delivered",
        "message__public_id",
        "message__name",
        "message__campaign__public_id",
        "message__campaign__name",
    )
    messages, campaigns = [], {}
    for row in info:
        opt_outs = per_message[row["message_id"]]
        messages.append(
            OptOutLeader(
                row["message__public_id"], row["message__name"], opt_outs, row["delivered"]
            )
        )
        key = row["message__campaign__public_id"] or ""
        campaign = campaigns.setdefault(
            key, OptOutLeader(key, row["message__campaign__name"] or "No campaign", 0, 0)
        )
        campaign.opt_outs += opt_outs
        campaign.delivered += row["delivered"]

    def ranked(leaders) -> list[OptOutLeader]:
        return sorted(leaders, key=lambda x: (-(x.rate or 0), -x.opt_outs, x.name))[:TOP_OPT_OUTS]

    return sum(per_message.values()), ranked(messages), ranked(campaigns.values())
