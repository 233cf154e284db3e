"""The monthly segment allotment: renews on the contract day, unused segments don't roll over.

A period runs from one renewal day to the next, midnight to midnight in the account's own time
zone (a text sent at 9 pm in Seattle on the last day belongs to that period, whatever the
server's clock says). Limit increases are bought for one period (SegmentPurchase) and count in
that period only. The allotment, its renewal day and purchases are set by staff in the Django
admin (a contract matter); tenants read them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from calendar import monthrange
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from accounts.models import Account, User
from messaging.models import NEVER_SENT, OutboundMessage, SegmentPurchase
from messaging.services.settings import sending_settings


@dataclass(frozen=True)
class Usage:
    total: int
    used: int
    period_start: dt.date
    period_end: dt.date
    allotment: int = 0
    purchased: int = 0

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


def account_zone(account: Account) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(account.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def current_period(*, account: Account, now: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
    """The allotment period [start, end) the account is in at `now`, in its own time zone."""
    rules = sending_settings(account)
    today = (now or timezone.now()).astimezone(account_zone(account)).date()
    return period_for(today, rules.allotment_renewal_day)


def usage(*, account: Account, now: dt.datetime | None = None) -> Usage:
    rules = sending_settings(account)
    zone = account_zone(account)
    start, end = current_period(account=account, now=now)
    used = (
        OutboundMessage.objects.filter(
            account=account,
            created_at__gte=dt.datetime.combine(start, dt.time(), tzinfo=zone),
            created_at__lt=dt.datetime.combine(end, dt.time(), tzinfo=zone),
        )
        .exclude(status__in=NEVER_SENT)
        .aggregate(total=Sum("segments"))["total"]
        or 0
    )
    purchased = (
        SegmentPurchase.objects.filter(account=account, period_start=start).aggregate(
            total=Sum("segments")
        )["total"]
        or 0
    )
    return Usage(
        total=rules.monthly_segment_allotment + purchased,
        used=used,
        period_start=start,
        period_end=end,
        allotment=rules.monthly_segment_allotment,
        purchased=purchased,
    )


def segment_purchases(*, account: Account, period_start: dt.date) -> QuerySet[SegmentPurchase]:
    """The limit increases bought for the period starting on `period_start`."""
    return SegmentPurchase.objects.filter(account=account, period_start=period_start).order_by(
        "created_at", "pk"
    )


def segment_purchase_errors(
    *, account: Account, segments: int, period_start: dt.date | None
) -> dict[str, list[str]]:
    """What is wrong with a purchase ({} when nothing); the admin's form shows it."""
    errors: dict[str, list[str]] = {}
    if segments <= 0:
        errors["segments"] = ["A purchase adds at least one segment."]
    renewal_day = sending_settings(account).allotment_renewal_day
    if period_start is not None and period_for(period_start, renewal_day)[0] != period_start:
        errors["period_start"] = [
            f"Choose the first day of a period (renewal day {renewal_day} of the month)."
        ]
    return errors


@transaction.atomic
def segment_purchase_create(
    *,
    account: Account,
    segments: int,
    created_by: User | None,
    period_start: dt.date | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> SegmentPurchase:
    """A limit increase bought for one period (the current one unless named); staff only."""
    errors = segment_purchase_errors(account=account, segments=segments, period_start=period_start)
    if errors:
        raise ValidationError(errors)
    if period_start is None:
        period_start, _ = current_period(account=account, now=now)
    return SegmentPurchase.objects.create(
        account=account,
        period_start=period_start,
        segments=segments,
        created_by=created_by,
        note=note,
    )
