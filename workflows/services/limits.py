"""The per-(sender user, number) limits on workflow texts: 5,000 a day and 10,000 a month
(lower if the account says so), in the account's time zone.

Sends are counted in SendCount rows taken under row locks in one fixed order (user, number,
period, start), inside the caller's transaction: a worker at the 5,000th holds the day's row
until it commits, and the next one then reads 5,000 and is refused. The fixed order keeps two
workers taking several (user, number) pairs from deadlocking each other.
"""

from __future__ import annotations

import datetime as dt
import operator
import zoneinfo
from dataclasses import dataclass
from functools import reduce

from django.db import transaction
from django.db.models import Q

from accounts.models import Account
from workflows import selectors
from workflows.models import SendCount, SendPeriod

DAILY_LIMIT = "daily_limit"
MONTHLY_LIMIT = "monthly_limit"


@dataclass(frozen=True)
class QuotaRequest:
    user_id: int
    number_id: int
    day: dt.date
    month: dt.date  # the first of the month


def quota_request(
    *, account: Account, user_id: int, number_id: int, at: dt.datetime
) -> QuotaRequest:
    """What a text going out at `at` counts against: that day and month, account time."""
    try:
        zone = zoneinfo.ZoneInfo(account.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    local = at.astimezone(zone).date()
    return QuotaRequest(user_id, number_id, local, local.replace(day=1))


def send_quota_take(*, account: Account, requests: list[QuotaRequest]) -> list[str]:
    """Count each request in turn; "" where it fits, else the limit it hit (nothing counted)."""
    if not requests:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("send_quota_take must run inside the transaction that sends")
    limits = selectors.workflow_settings(account)
    keys = sorted(
        {(r.user_id, r.number_id, SendPeriod.DAY.value, r.day) for r in requests}
        | {(r.user_id, r.number_id, SendPeriod.MONTH.value, r.month) for r in requests}
    )
    SendCount.objects.bulk_create(
        [
            SendCount(account=account, user_id=u, number_id=n, period=p, period_start=s)
            for u, n, p, s in keys
        ],
        ignore_conflicts=True,
    )
    match = reduce(
        operator.or_,
        (Q(user_id=u, number_id=n, period=p, period_start=s) for u, n, p, s in keys),
    )
    rows = {
        (row.user_id, row.number_id, row.period, row.period_start): row
        for row in SendCount.objects.select_for_update()
        .filter(match)
        .order_by("user_id", "number_id", "period", "period_start")
    }
    results: list[str] = []
    changed: dict[int, SendCount] = {}
    for r in requests:
        day = rows[(r.user_id, r.number_id, SendPeriod.DAY.value, r.day)]
        month = rows[(r.user_id, r.number_id, SendPeriod.MONTH.value, r.month)]
        if day.count >= limits.daily_send_limit:
            results.append(DAILY_LIMIT)
        elif month.count >= limits.monthly_send_limit:
            results.append(MONTHLY_LIMIT)
        else:
            day.count += 1
            month.count += 1
            changed[day.pk] = day
            changed[month.pk] = month
            results.append("")
    if changed:
        SendCount.objects.bulk_update(list(changed.values()), ["count"])
    return results
