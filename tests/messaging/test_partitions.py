"""Texts and clicks are partitioned by month: the next months exist ahead of time, and a
retention run drops whole months only when everything in them is due, deleting the rest of
what is due row by row and nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from messaging import partitions
from messaging.models import LinkClick, MessageEvent, OutboundMessage, SmsMessage
from messaging.services import retention
from messaging.tasks import partitions_ensure_task
from tests.factories import AccountFactory, OutboundMessageFactory, SmsMessageFactory

pytestmark = pytest.mark.django_db

OUTBOUND, CLICKS = "messaging_outboundmessage", "messaging_linkclick"


def at(year: int, month: int, day: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=dt.UTC)


def partition_of(row: OutboundMessage) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {OUTBOUND} WHERE id = %s", [row.pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_the_next_months_exist_ahead_for_texts_and_clicks(sending):
    created = partitions.partitions_ensure(now=at(2031, 11, 20))
    months = [dt.date(2031, 11, 1), dt.date(2031, 12, 1), dt.date(2032, 1, 1), dt.date(2032, 2, 1)]
    assert created == [partitions.partition_name(t, m) for t in (OUTBOUND, CLICKS) for m in months]
    for table in (OUTBOUND, CLICKS):
        assert set(months) <= set(partitions.partitions(table))
    # Again: nothing more to make.
    assert partitions.partitions_ensure(now=at(2031, 11, 25)) == []
    # A text of a month lands in that month's partition, with the partition's indexes.
    row = OutboundMessageFactory(
        account=sending.account, sender=sending.sender, created_at=at(2032, 1, 3)
    )
    assert partition_of(row) == "messaging_outboundmessage_p203201"


def test_beat_keeps_this_month_and_the_next_three(sending):
    partitions_ensure_task()
    today = dt.datetime.now(dt.UTC)
    ahead = [partitions.month_add(partitions.month_start(today), n) for n in range(4)]
    for table in (OUTBOUND, CLICKS):
        assert set(ahead) <= set(partitions.partitions(table))
    assert partition_of(
        OutboundMessageFactory(account=sending.account, sender=sending.sender)
    ) == partitions.partition_name(OUTBOUND, ahead[0])


def sent_message(account, sender, month: dt.datetime, texts: int = 3, **fields) -> SmsMessage:
    message = SmsMessageFactory(
        account=account,
        sender=sender,
        status=SmsMessage.Status.SENT,
        created_at=month - dt.timedelta(days=2),
        texts_created_at=month,
        **fields,
    )
    for n in range(texts):
        OutboundMessageFactory(
            account=account,
            message=message,
            sender=sender,
            to_phone=f"+1208555{message.pk % 100:02d}{n:02d}",
            status="delivered",
            created_at=month,
        )
    return message


def click(message: SmsMessage, when: dt.datetime) -> LinkClick:
    row = OutboundMessage.objects.filter(message=message).first()
    return LinkClick.objects.create(
        account=message.account, message=message, outbound_id=row.pk, position=0, clicked_at=when
    )


def test_a_retention_run_drops_only_what_is_due(sending):
    partitions.partitions_ensure(now=at(2031, 1), ahead=5)  # January to June 2031
    keeper = AccountFactory(name="Keeps everything")
    trimmed = sending.account
    trimmed.message_retention_months = 2  # in May 2031: everything before March is due
    trimmed.save()
    january = sent_message(trimmed, sending.sender, at(2031, 1))
    click(january, at(2031, 1, 11))
    late_click = click(january, at(2031, 2, 3))  # a later month's click of a due message
    one_to_one = OutboundMessageFactory(
        account=trimmed, sender=sending.sender, kind="reply", created_at=at(2031, 1, 12)
    )
    draft = SmsMessageFactory(account=trimmed, created_at=at(2031, 1))
    february_due = sent_message(trimmed, sending.sender, at(2031, 2))
    february_kept = sent_message(keeper, sending.sender, at(2031, 2))
    click(february_kept, at(2031, 2, 11))
    march = sent_message(trimmed, sending.sender, at(2031, 3))

    report = retention.messages_retention_enforce(now=at(2031, 5, 15))

    # January held only what was due: dropped whole, texts and clicks.
    assert report.months_dropped == [dt.date(2031, 1, 1)]
    for table in (OUTBOUND, CLICKS):
        months = partitions.partitions(table)
        assert dt.date(2031, 1, 1) not in months
        assert {dt.date(2031, 2, 1), dt.date(2031, 3, 1)} <= set(months)
    # February is shared with an account that keeps: only the due message went, row by row.
    assert not SmsMessage.objects.filter(pk__in=[january.pk, february_due.pk]).exists()
    assert not OutboundMessage.objects.filter(message_id__in=[january.pk, february_due.pk])
    assert not LinkClick.objects.filter(pk=late_click.pk).exists()
    assert not OutboundMessage.objects.filter(pk=one_to_one.pk).exists()
    assert report.messages_deleted == 2
    # What isn't due stays: the other account's month, March, drafts.
    assert OutboundMessage.objects.filter(message=february_kept).count() == 3
    assert LinkClick.objects.filter(message=february_kept).count() == 1
    assert OutboundMessage.objects.filter(message=march).count() == 3
    assert SmsMessage.objects.filter(pk__in=[february_kept.pk, march.pk, draft.pk]).count() == 3
    # Each deletion is in the messages' history, by no user.
    deleted = MessageEvent.objects.filter(kind=MessageEvent.Kind.DELETED, user=None)
    assert {e.message_name for e in deleted} == {january.name, february_due.name}

    # Nothing more is due: a second run changes nothing.
    again = retention.messages_retention_enforce(now=at(2031, 5, 15))
    assert (again.months_dropped, again.messages_deleted, again.texts_deleted) == ([], 0, 0)


def test_accounts_that_keep_everything_lose_nothing(sending):
    partitions.partitions_ensure(now=at(2031, 1), ahead=1)
    message = sent_message(sending.account, sending.sender, at(2031, 1))
    report = retention.messages_retention_enforce(now=at(2035, 1, 1))
    assert report.months_dropped == [] and report.messages_deleted == 0
    assert OutboundMessage.objects.filter(message=message).count() == 3


def test_a_month_taken_out_but_not_dropped_is_dropped_by_the_next_run(sending):
    """Retention takes months out in one short transaction and removes their files after; a
    crash in between leaves a detached month, which the next drop finishes."""
    partitions.partitions_ensure(now=at(2031, 1), ahead=0)
    OutboundMessageFactory(account=sending.account, sender=sending.sender, created_at=at(2031, 1))
    partitions.partition_detach(OUTBOUND, dt.date(2031, 1, 1))
    assert dt.date(2031, 1, 1) not in partitions.partitions(OUTBOUND)
    assert not OutboundMessage.objects.filter(created_at=at(2031, 1)).exists()
    assert partitions.detached_drop() == ["messaging_outboundmessage_p203101"]
    assert partitions.detached_drop() == []
    assert dt.date(2031, 1, 1) in partitions.partitions(CLICKS)


def test_a_campaigns_recipients_are_read_from_its_one_month(sending):
    """A campaign's texts all carry its first fan-out's time: the recipients query names it and
    reads that month's partition only (without it, a query ordered by id walked every month's
    primary key: 160 ms at a million texts a month, 0.05 ms with it)."""
    from analytics.selectors import recipients_queryset

    partitions.partitions_ensure(now=at(2031, 1), ahead=2)
    message = sent_message(sending.account, sending.sender, at(2031, 2))
    rows = recipients_queryset(account=sending.account, message=message, status_filter="sent")
    assert rows.count() == 3
    with connection.cursor() as cursor:
        sql, params = rows.order_by("pk")[:1].query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    scanned = {name for name in plan.split() if name.startswith("messaging_outboundmessage_")}
    assert {n.split("_pkey")[0].split("_message")[0] for n in scanned} <= {
        "messaging_outboundmessage_p203102"
    }, plan
