"""Rollups: kept current from the change feed, equal to raw counts, exactly once, and healed
by the drift check."""

from __future__ import annotations

import pytest
from django.db import transaction

from analytics.models import (
    COUNTERS,
    MessageDayStats,
    MessageHourStats,
    MessageStats,
    OptOutAttribution,
    OutboundEvent,
    ReplyAttribution,
)
from analytics.services import drift, rollups
from messaging.models import LinkClick, OutboundMessage
from tests.analytics.helpers import campaign_with_results, click, send
from tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db

EXPECTED = {
    "recipients": 6,
    "sent": 5,
    "delivered": 3,
    "undelivered": 1,
    "failed": 1,
    "not_sent": 1,
    "clicks": 3,
    "unique_clicks": 2,
    "bot_clicks": 1,
    "opt_outs": 1,
    "replies": 0,
}


def raw_counts(message) -> dict[str, int]:
    """The same figures counted from raw rows, the slow way."""
    rows = OutboundMessage.objects.filter(message=message)
    human = LinkClick.objects.filter(message=message, is_bot=False)
    return {
        "recipients": rows.count(),
        "sent": rows.exclude(status__in=("not_sent", "cancelled", "pending", "claimed")).count(),
        "delivered": rows.filter(status="delivered").count(),
        "undelivered": rows.filter(status="undelivered").count(),
        "failed": rows.filter(status="failed").count(),
        "not_sent": rows.filter(status__in=("not_sent", "cancelled")).count(),
        "clicks": human.count(),
        "unique_clicks": human.values("outbound_id").distinct().count(),
        "bot_clicks": LinkClick.objects.filter(message=message, is_bot=True).count(),
        "opt_outs": OptOutAttribution.objects.filter(message=message).count(),
        "replies": ReplyAttribution.objects.filter(message=message).count(),
    }


def sums(model, message) -> dict[str, int]:
    totals = dict.fromkeys(COUNTERS, 0)
    for row in model.objects.filter(message=message):
        for name in COUNTERS:
            totals[name] += getattr(row, name)
    return totals


def test_rollups_match_raw_counts_in_totals_hours_and_days(sending, emulator, client):
    message, rows, contacts = campaign_with_results(sending, client)
    assert MessageStats.objects.filter(message=message).count() == 0  # the worker hasn't run
    rollups.rollups_apply_all()

    stats = MessageStats.objects.get(message=message)
    assert stats.counters() == EXPECTED == raw_counts(message)
    assert sums(MessageHourStats, message) == EXPECTED
    assert sums(MessageDayStats, message) == EXPECTED
    assert not OutboundEvent.objects.exists()
    assert not LinkClick.objects.filter(rolled_up=False).exists()
    attribution = OptOutAttribution.objects.get(message=message)
    assert attribution.contact == contacts["Ed"]
    assert attribution.outbound_id == rows["Ed"].id
    # Nothing new: a second run changes nothing.
    assert rollups.rollups_apply_all() == 0
    assert MessageStats.objects.get(message=message).counters() == EXPECTED
    assert drift.message_rollup_check(message=message).drifted is False


def test_clicks_arriving_later_are_added_and_unique_clicks_stay_unique(sending, emulator, client):
    message, rows, _ = campaign_with_results(sending, client)
    rollups.rollups_apply_all()
    click(client, rows["Ann"])  # Ann again: a click, not a new unique click
    click(client, rows["Cy"])  # undelivered, yet clicked (a forwarded text): counts
    rollups.rollups_apply_all()
    stats = MessageStats.objects.get(message=message)
    assert (stats.clicks, stats.unique_clicks) == (5, 3)
    assert stats.counters() == raw_counts(message)


def test_a_worker_killed_mid_rollup_loses_nothing_and_counts_once(sending, emulator, client):
    message, _, _ = campaign_with_results(sending, client)

    class Killed(Exception):
        pass

    with pytest.raises(Killed), transaction.atomic():
        assert rollups.rollups_apply() > 0
        raise Killed  # the process dies before its transaction commits
    assert not MessageStats.objects.filter(message=message).exists()
    assert LinkClick.objects.filter(rolled_up=False).count() == 4
    rollups.rollups_apply_all()
    assert MessageStats.objects.get(message=message).counters() == EXPECTED


def test_the_drift_check_recomputes_and_corrects(sending, emulator, client):
    message, _, _ = campaign_with_results(sending, client)
    rollups.rollups_apply_all()
    MessageStats.objects.filter(message=message).update(delivered=99, clicks=0)
    MessageDayStats.objects.filter(message=message).update(delivered=50)
    # A status change still waiting in the feed is not drift: it will be applied.
    OutboundMessage.objects.filter(message=message, status="not_sent").update(status="cancelled")
    assert OutboundEvent.objects.count() == 1

    reports = drift.rollups_check()
    assert [r.drifted for r in reports] == [True]
    assert reports[0].found["delivered"] == 99
    rollups.rollups_apply_all()
    assert MessageStats.objects.get(message=message).counters() == EXPECTED
    assert sums(MessageDayStats, message) == EXPECTED
    assert sums(MessageHourStats, message) == EXPECTED
    assert drift.message_rollup_check(message=message).drifted is False


def test_the_drift_check_finds_a_message_the_rollup_never_saw(sending, emulator, client):
    message, _, _ = campaign_with_results(sending, client)
    message.refresh_from_db()
    rollups.rollups_apply_all()
    MessageStats.objects.filter(message=message).delete()
    MessageDayStats.objects.filter(message=message).delete()
    message.status = "sent"
    message.save()
    assert any(r.drifted for r in drift.rollups_check())
    assert MessageStats.objects.get(message=message).counters() == EXPECTED
    assert sums(MessageDayStats, message) == EXPECTED


def test_test_sends_and_deleted_messages_stay_out_of_the_rollups(sending, emulator, client):
    message, _, _ = campaign_with_results(sending, client)
    OutboundMessageFactory(
        account=sending.account, message=message, kind=OutboundMessage.Kind.TEST, to_phone="+1"
    )
    rollups.rollups_apply_all()
    assert MessageStats.objects.get(message=message).recipients == 6
    other = sending.message(body="Bye https://x.example", name="Gone")
    send(sending, other)
    assert OutboundEvent.objects.exists()
    other.delete()
    rollups.rollups_apply_all()
    assert not OutboundEvent.objects.exists()
    assert list(MessageStats.objects.values_list("message_id", flat=True)) == [message.pk]


@pytest.mark.parametrize("bucket", [MessageDayStats, MessageHourStats])
def test_the_drift_check_repairs_wrong_days_or_hours_when_the_totals_are_right(
    sending, emulator, client, bucket
):
    """The Analyze tab reads only day rows: right totals don't make wrong days right."""
    message, _, _ = campaign_with_results(sending, client)
    rollups.rollups_apply_all()
    bucket.objects.filter(message=message).update(delivered=0, clicks=7)
    assert MessageStats.objects.get(message=message).counters() == EXPECTED

    [report] = drift.rollups_check()
    assert report.drifted and report.found == EXPECTED
    assert sums(bucket, message) == EXPECTED
    assert sums(MessageDayStats, message) == EXPECTED
    assert sums(MessageHourStats, message) == EXPECTED
    assert drift.message_rollup_check(message=message).drifted is False
