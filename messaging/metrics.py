"""Messaging's figures for the operator's `/metrics` (accounts.metrics): texts sent per second
per number, how far status callbacks lag, claims a dead dispatcher stranded, fan-out progress.

Sends are counted in Redis as they are recorded (`sends_count`): per number, a running total
and a count per 10-second bucket; the rate is the last complete minute's. Counting from the
outbound table would scan a month of rows on every scrape. A Redis that is away costs the count,
never the send.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator

import redis
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from accounts.metrics import metrics_redis
from messaging.models import OutboundMessage, OutboundStatus, SmsMessage, StatusCallback
from registration.models import PhoneNumber

logger = logging.getLogger(__name__)

BUCKET_SECONDS = 10
RATE_WINDOW_BUCKETS = 6  # the rate is over the last complete minute
SENDS_TOTAL_KEY = "metrics:sends:total"


def _bucket_key(sender_id: int, bucket: int) -> str:
    return f"metrics:sends:{sender_id}:{bucket}"


def sends_count(rows: Iterable[OutboundMessage]) -> None:
    """Count texts Twilio accepted, per number (a wave's rows in one Redis round trip)."""
    per_sender = Counter(row.sender_id for row in rows if row.sender_id)
    if not per_sender:
        return
    bucket = int(time.time()) // BUCKET_SECONDS
    try:
        pipe = metrics_redis().pipeline(transaction=False)
        for sender_id, count in per_sender.items():
            pipe.hincrby(SENDS_TOTAL_KEY, str(sender_id), count)
            pipe.incrby(_bucket_key(sender_id, bucket), count)
            pipe.expire(_bucket_key(sender_id, bucket), BUCKET_SECONDS * (RATE_WINDOW_BUCKETS + 3))
        pipe.execute()
    except redis.RedisError:
        logger.debug("sends not counted: Redis unavailable", exc_info=True)


def sends() -> Iterator[Metric]:
    labels = ["number", "account"]
    total = CounterMetricFamily(
        "smsapp_sends", "Texts Twilio accepted from each number", labels=labels
    )
    rate = GaugeMetricFamily(
        "smsapp_sends_per_second",
        "Texts Twilio accepted per second from each number, over the last complete minute",
        labels=labels,
    )
    client = metrics_redis()
    counted = {int(k): int(v) for k, v in client.hgetall(SENDS_TOTAL_KEY).items()}
    if not counted:
        yield total
        yield rate
        return
    current = int(time.time()) // BUCKET_SECONDS
    window = range(current - RATE_WINDOW_BUCKETS, current)
    keys = [_bucket_key(sender_id, b) for sender_id in counted for b in window]
    buckets = iter(client.mget(keys))
    labels_of = {
        pk: [e164, account]
        for pk, e164, account in PhoneNumber.objects.filter(pk__in=counted).values_list(
            "pk", "e164", "account__public_id"
        )
    }
    for sender_id, sent in counted.items():
        in_window = sum(int(next(buckets) or 0) for _ in window)
        label = labels_of.get(sender_id)
        if label is None:
            continue  # a number deleted since
        total.add_metric(label, sent)
        rate.add_metric(label, in_window / (RATE_WINDOW_BUCKETS * BUCKET_SECONDS))
    yield total
    yield rate


def status_callbacks() -> Iterator[Metric]:
    """Callbacks stored by the webhook and not yet applied, and how long the oldest waited."""
    waiting = StatusCallback.objects.filter(applied=False).aggregate(
        count=Count("id"), oldest=Min("received_at")
    )
    yield GaugeMetricFamily(
        "smsapp_status_callbacks_unapplied",
        "Status callbacks stored and not yet applied",
        value=waiting["count"],
    )
    lag = (timezone.now() - waiting["oldest"]).total_seconds() if waiting["oldest"] else 0.0
    yield GaugeMetricFamily(
        "smsapp_status_callbacks_apply_lag_seconds",
        "Age of the oldest status callback not yet applied (0 when none waits)",
        value=max(lag, 0.0),
    )


def stranded_claims() -> Iterator[Metric]:
    from messaging.services.reconcile import STRANDED_AFTER

    stranded = OutboundMessage.objects.filter(
        status=OutboundStatus.CLAIMED, claimed_at__lt=timezone.now() - STRANDED_AFTER
    ).count()
    yield GaugeMetricFamily(
        "smsapp_dispatch_stranded_claims",
        "Texts claimed longer ago than DISPATCH_STRANDED_AFTER_SECONDS without a SID",
        value=stranded,
    )


def fanouts_running() -> Iterable[tuple[str, str, int, int]]:
    return SmsMessage.objects.filter(
        fanout_started_at__isnull=False, fanout_completed_at__isnull=True
    ).values_list("public_id", "account__public_id", "fanout_done", "fanout_total")
