"""Faults in a real deployment shape: Celery workers in their own processes on PostgreSQL and
Redis, killed or cut off mid-send. The emulator counts every message created per recipient."""

from __future__ import annotations

import signal

import pytest
import redis
from django.conf import settings

from messaging.models import OutboundMessage, OutboundStatus, SmsMessage
from tests.conftest import enqueue, worker
from twilio_emulator.testing import wait_until

RECIPIENTS = 5000

pytestmark = pytest.mark.django_db(transaction=True)


def assert_each_sent_exactly_once(emulator, message: SmsMessage) -> None:
    creates = emulator.state.creates_by_recipient
    assert len(creates) == RECIPIENTS
    assert set(creates.values()) == {1}, "some recipient got the text twice"
    rows = OutboundMessage.objects.filter(message=message)
    assert rows.filter(twilio_sid__isnull=False).count() == RECIPIENTS
    assert not rows.filter(status__in=(OutboundStatus.PENDING, OutboundStatus.CLAIMED)).exists()


def test_a_worker_killed_mid_dispatch_loses_nothing_and_sends_nothing_twice(
    sending, emulator, redis_server
):
    message = sending.texts_due_now(RECIPIENTS)
    first = worker(emulator, redis_server["url"])
    try:
        enqueue(redis_server["url"], "messaging.tasks.sender_dispatch_task", sending.sender.pk)
        wait_until(lambda: sum(emulator.state.creates_by_recipient.values()) >= 1500, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    sent_before = sum(emulator.state.creates_by_recipient.values())
    assert 1500 <= sent_before < RECIPIENTS
    # Rows it had claimed but not recorded are stranded; a new worker reconciles, then sends.
    second = worker(emulator, redis_server["url"], DISPATCH_STRANDED_AFTER_SECONDS="1")
    try:
        # The dead worker's hold on the number lapses within seconds, no longer renewed.
        held = redis.Redis.from_url(redis_server["url"])
        wait_until(
            lambda: held.get(f"dispatching:{sending.sender.pk}") is None, timeout=10, interval=0.1
        )
        enqueue(redis_server["url"], "messaging.tasks.claimed_reconcile_task")
        enqueue(redis_server["url"], "messaging.tasks.sender_dispatch_task", sending.sender.pk)
        wait_until(
            lambda: (
                not OutboundMessage.objects.filter(
                    message=message, status__in=(OutboundStatus.PENDING, OutboundStatus.CLAIMED)
                ).exists()
            ),
            timeout=90,
            interval=0.2,
        )
    finally:
        second.terminate()
        second.wait()
    assert_each_sent_exactly_once(emulator, message)


def test_redis_restarted_during_a_send_neither_stops_it_nor_duplicates(
    sending, emulator, redis_server
):
    message = sending.texts_due_now(RECIPIENTS)
    process = worker(emulator, redis_server["url"])
    try:
        enqueue(redis_server["url"], "messaging.tasks.sender_dispatch_task", sending.sender.pk)
        wait_until(lambda: sum(emulator.state.creates_by_recipient.values()) >= 1000, timeout=60)
        redis_server["restart"]()
        wait_until(
            lambda: (
                not OutboundMessage.objects.filter(
                    message=message, status__in=(OutboundStatus.PENDING, OutboundStatus.CLAIMED)
                ).exists()
            ),
            timeout=90,
            interval=0.2,
        )
    finally:
        process.terminate()
        process.wait()
    assert_each_sent_exactly_once(emulator, message)


def test_a_stop_arriving_during_a_send_stops_every_later_text_to_that_phone(
    sending, emulator, redis_server
):
    from tests.messaging.test_webhooks import INBOUND_URL, signed_post

    message = sending.texts_due_now(2000)
    late_phone = OutboundMessage.objects.filter(message=message).order_by("-id")[0].to_phone
    process = worker(emulator, redis_server["url"])
    try:
        enqueue(redis_server["url"], "messaging.tasks.sender_dispatch_task", sending.sender.pk)
        wait_until(lambda: sum(emulator.state.creates_by_recipient.values()) >= 300, timeout=60)
        assert emulator.state.creates_by_recipient[late_phone] == 0
        response = signed_post(
            INBOUND_URL,
            {
                "MessageSid": "SM" + "d" * 32,
                "AccountSid": settings.TWILIO_ACCOUNT_SID,
                "From": late_phone,
                "To": sending.sender.e164,
                "Body": "STOP",
            },
        )
        assert response.status_code == 200
        wait_until(
            lambda: (
                not OutboundMessage.objects.filter(
                    message=message, status__in=(OutboundStatus.PENDING, OutboundStatus.CLAIMED)
                ).exists()
            ),
            timeout=60,
            interval=0.2,
        )
    finally:
        process.terminate()
        process.wait()
    assert emulator.state.creates_by_recipient[late_phone] == 0
    row = OutboundMessage.objects.get(message=message, to_phone=late_phone)
    assert (row.status, row.not_sent_reason) == (OutboundStatus.NOT_SENT, "opted_out")
    assert sum(emulator.state.creates_by_recipient.values()) == 1999
