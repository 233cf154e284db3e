"""The monthly segment allotment: renews on the contract day, unused segments don't roll over."""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from dataclasses import dataclass

from django.db.models import Sum
from django.utils import timezone

from messaging.models import OutboundMessage, OutboundStatus
from messaging.services.settings import sending_settings
from smsapp.models import Account


@dataclass(frozen=True)
class Usage:
    total: int
    used: int
    period_start: dt.date
    period_end: dt.date

    @property
    def left(self) -> int:
        return max(self.total - self.used, 0)

    @property
    def percent(self) -> int:
        return self.used * 100 // self.total if self.total else 100


def _renewal(year: int, month: int, day: int) -> dt.date:
    # A renewal day past the month's end (the 31st in April) falls on its last day.
    return dt.date(year, month, min(day, monthrange(year, month)[1]))


def period_for(today: dt.date, renewal_day: int) -> tuple[dt.date, dt.date]:
    """The current allotment period [start, end) containing `today`."""
    this_month = _renewal(today.year, today.month, renewal_day)
    if today >= this_month:
        start = this_month
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    else:
        year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
        start = _renewal(year, month, renewal_day)
        year, month = today.year, today.month
    return start, _renewal(year, month, renewal_day)


def usage(*, account: Account, now: dt.datetime | None = None) -> Usage:
    rules = sending_settings(account)
    now = now or timezone.now()
    zone = timezone.get_default_timezone()
    today = now.astimezone(zone).date()
    start, end = period_for(today, rules.allotment_renewal_day)
    start_at = dt.datetime.combine(start, dt.time(), tzinfo=zone)
    used = (
        OutboundMessage.objects.filter(account=account, created_at__gte=start_at)
        .exclude(status__in=(OutboundStatus.NOT_SENT, OutboundStatus.CANCELLED))
        .aggregate(total=Sum("segments"))["total"]
        or 0
    )
    return Usage(
        total=rules.monthly_segment_allotment + rules.purchased_segments,
        used=used,
        period_start=start,
        period_end=end,
    )
