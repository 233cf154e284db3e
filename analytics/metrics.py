"""Analytics' figure for the operator's `/metrics` (accounts.metrics): how far the rollups lag
behind what happened, per change feed. Beat folds the feeds every 10 s, so a lag that keeps
growing past a minute means the `periodic` workers are not keeping up (or not running)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from analytics.models import OptOutEvent, OutboundEvent, ReplyEvent
from messaging.models import LinkClick


def rollup_lag() -> Iterator[Metric]:
    lag = GaugeMetricFamily(
        "smsapp_rollup_lag_seconds",
        "Age of the oldest change not yet folded into the rollups (0 when none waits)",
        labels=["feed"],
    )
    now = timezone.now()
    # Each feed's rows are deleted (or, for clicks, flagged) once folded: the oldest left is
    # the lag. The click feed is read by its partial index on what is left (click_not_rolled_up).
    oldest_click = (
        LinkClick.objects.filter(rolled_up=False).order_by("id").values_list("clicked_at")[:1]
    )
    feeds = {
        "status": OutboundEvent.objects.aggregate(at=Min("occurred_at"))["at"],
        "click": next(iter(oldest_click), (None,))[0],
        "opt_out": OptOutEvent.objects.aggregate(at=Min("occurred_at"))["at"],
        "reply": ReplyEvent.objects.aggregate(at=Min("occurred_at"))["at"],
    }
    for feed, oldest in feeds.items():
        lag.add_metric([feed], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
    yield lag
