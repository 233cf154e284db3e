"""Message retention: each account may keep its texts, clicks and results for a number of whole
months (`Account.message_retention_months`; empty keeps everything). Beat runs
`messages_retention_enforce` every hour.

What is due for an account: everything of the months before `cutoff` = the first day of the
month `retention` months before this one (UTC months, as the partitions are). A message goes
(with its texts, clicks and results, as a deletion with results) once it is at rest and none of
its texts is from the cutoff's month or later; a one-to-one text or test send goes by its own
month.

How it goes: a month partition that holds only what is due (every account in it is due, and no
message in it still sending or with texts in later months) is dropped whole, texts and clicks
of that month at once. What is left due, in months shared with accounts that keep their data,
is deleted row by row.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account
from messaging import partitions
from messaging.models import LinkClick, OutboundMessage, SmsMessage
from messaging.services import lifecycle

logger = logging.getLogger(__name__)

OUTBOUND = OutboundMessage._meta.db_table
CLICKS = LinkClick._meta.db_table
# Drafts are never due: retention is about what went out.
WENT_OUT = (SmsMessage.Status.SENT, SmsMessage.Status.CANCELLED)


@dataclass
class RetentionReport:
    months_dropped: list[dt.date] = field(default_factory=list)
    messages_deleted: int = 0
    texts_deleted: int = 0


def retention_cutoff(account: Account, *, now: dt.datetime) -> dt.datetime | None:
    """The first instant the account keeps; None when it keeps everything."""
    if not account.message_retention_months:
        return None
    month = partitions.month_add(partitions.month_start(now), -account.message_retention_months)
    return partitions.month_bound(month)


def _distinct(table: str, column: str) -> list[int]:
    """The distinct values of an indexed column, one index probe each (a loose index scan):
    a month of ten million texts holds a few hundred accounts and messages."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE found AS (SELECT min({column}) AS value FROM {table} "  # noqa: S608
            f"UNION ALL SELECT (SELECT min({column}) FROM {table} WHERE {column} > found.value) "
            "FROM found WHERE found.value IS NOT NULL) SELECT value FROM found "
            "WHERE value IS NOT NULL"
        )
        return [row[0] for row in cursor.fetchall()]


def _month_all_due(month: dt.date, cutoffs: dict[int, dt.datetime]) -> bool:
    end = partitions.month_bound(partitions.month_add(month, 1))
    texts = partitions.partition_name(OUTBOUND, month)
    accounts = set(_distinct(texts, "account_id"))
    message_ids = set(_distinct(texts, "message_id"))
    if month in partitions.partitions(CLICKS):
        message_ids |= set(_distinct(partitions.partition_name(CLICKS, month), "message_id"))
    accounts |= set(
        SmsMessage.objects.filter(pk__in=message_ids).values_list("account_id", flat=True)
    )
    if not accounts or any(a not in cutoffs or cutoffs[a] < end for a in accounts):
        return False
    # A message still going out, or with texts in a later month, keeps its month.
    if SmsMessage.objects.filter(pk__in=message_ids).exclude(status__in=WENT_OUT).exists():
        return False
    later = OutboundMessage.objects.filter(message_id__in=message_ids, created_at__gte=end)
    return not later.exists()


def _messages_delete(messages) -> int:
    deleted = 0
    for message in messages.select_related("account").iterator(chunk_size=100):
        lifecycle.message_delete_with_results(account=message.account, message=message, user=None)
        deleted += 1
    return deleted


def messages_retention_enforce(*, now: dt.datetime | None = None) -> RetentionReport:
    now = now or timezone.now()
    report = RetentionReport()
    cutoffs = {
        account.pk: cutoff
        for account in Account.objects.filter(message_retention_months__isnull=False)
        if (cutoff := retention_cutoff(account, now=now)) is not None
    }
    if not cutoffs:
        return report
    latest_cutoff = max(cutoffs.values())
    for month in partitions.partitions(OUTBOUND):
        if partitions.month_bound(partitions.month_add(month, 1)) > latest_cutoff:
            break
        # Taking a month out locks the whole table for an instant: in a transaction of its
        # own, short; its files are removed after, holding nobody up. The month's messages
        # (rows elsewhere) are deleted by the pass below.
        with transaction.atomic():
            if not _month_all_due(month, cutoffs):
                continue
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            partitions.partition_detach(OUTBOUND, month)
            partitions.partition_detach(CLICKS, month)
        partitions.detached_drop()
        report.months_dropped.append(month)
        logger.info("retention: dropped the texts and clicks of %s", f"{month:%Y-%m}")
    for account_id, cutoff in cutoffs.items():
        # Each message in a transaction of its own (message_delete_with_results).
        due = SmsMessage.objects.filter(
            account_id=account_id, status__in=WENT_OUT, created_at__lt=cutoff
        ).exclude(
            pk__in=OutboundMessage.objects.filter(
                account_id=account_id, created_at__gte=cutoff, message__isnull=False
            ).values("message_id")
        )
        report.messages_deleted += _messages_delete(due)
        texts, _ = OutboundMessage.objects.filter(
            account_id=account_id, message__isnull=True, created_at__lt=cutoff
        ).delete()
        report.texts_deleted += texts
    return report
