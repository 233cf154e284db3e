"""One dispatch chain per number, whatever beat, retries and crashes do: the lock is owned,
handed on and freed by one run at a time, and a SIGKILLed worker's number resumes on another
worker within seconds, its stranded claims settled (looked up at Twilio first) within a
minute."""

from __future__ import annotations

import signal
import tempfile
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from messaging import dispatch_lock
from messaging.models import OutboundMessage, OutboundStatus
from messaging.tasks import sender_dispatch_task
from registration.models import PhoneNumber
from tests.conftest import beat, emulated_texts, worker, worker_ready
from twilio_emulator.testing import wait_until

RATE = 50
TEXTS = 1000


def test_the_lock_is_handed_on_and_freed_only_by_the_run_that_owns_it():
    sender_id = 7
    queued = dispatch_lock.run_queue_token(sender_id)
    assert queued is not None
    assert dispatch_lock.run_queue_token(sender_id) is None  # beat can't queue a second run
    assert dispatch_lock.run_start(sender_id, handed_over=None) is None  # nor a stray task
    running = dispatch_lock.run_start(sender_id, handed_over=queued)
    assert running is not None
    assert dispatch_lock.run_start(sender_id, handed_over=queued) is None  # a redelivery
    dispatch_lock.release(sender_id, queued)  # an older token frees nothing
    assert dispatch_lock.run_queue_token(sender_id) is None
    assert dispatch_lock.hand_over(sender_id, running)
    dispatch_lock.release(sender_id, running)
    assert dispatch_lock.run_queue_token(sender_id) is not None


def test_a_duplicate_run_of_a_busy_number_sends_nothing_and_leaves_the_lock_alone(
    sending, emulator
):
    sending.texts_due_now(5)
    owner = dispatch_lock.run_start(sending.sender.pk, handed_over=None)
    # A retried or duplicated task arrives while the owner runs (here: holds the lock).
    assert sender_dispatch_task(sending.sender.pk) == 0
    assert sender_dispatch_task(sending.sender.pk, "a-token-of-a-run-long-gone") == 0
    assert emulated_texts(emulator) == []
    assert not OutboundMessage.objects.exclude(status=OutboundStatus.PENDING).exists()
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert client.get(f"dispatching:{sending.sender.pk}").decode() == owner
    # Once the owner is done, the number's next run sends them.
    dispatch_lock.release(sending.sender.pk, owner)
    assert sender_dispatch_task(sending.sender.pk) == 5


@pytest.mark.django_db(transaction=True)
def test_a_crashed_workers_number_resumes_on_another_worker_and_its_claims_settle(
    sending, emulator, redis_server
):
    PhoneNumber.objects.filter(pk=sending.sender.pk).update(messages_per_second=RATE)
    message = sending.texts_due_now(TEXTS)
    url = redis_server["url"]
    folder = Path(tempfile.mkdtemp(prefix="beat-"))
    scheduler = beat(emulator, url, folder)
    first = worker(emulator, url, name="first")
    second = None
    try:
        # Beat starts the chain on the only worker there is.
        wait_until(lambda: len(emulated_texts(emulator)) >= 100, timeout=60, interval=0.1)
        second = worker(emulator, url, name="second")
        wait_until(lambda: worker_ready(url, "second"), timeout=30, interval=0.2)
        first.send_signal(signal.SIGKILL)
        killed_at = time.time()
        first.wait()
        stranded = OutboundMessage.objects.filter(
            message=message, status=OutboundStatus.CLAIMED, twilio_sid__isnull=True
        )
        assert stranded.exists()

        def resumed_at() -> float | None:
            # A request the dead worker had in flight may land a moment after the kill.
            later = [
                t["created_at_epoch"]
                for t in emulated_texts(emulator)
                if t["created_at_epoch"] > killed_at + 0.5
            ]
            return min(later) if later else None

        resumed = wait_until(resumed_at, timeout=30, interval=0.2)
        wait_until(lambda: not stranded.exists(), timeout=90, interval=0.5)
        settled = time.time()
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
        for process in (scheduler, first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait()
    assert resumed - killed_at < 10
    assert settled - killed_at < 60
    creates = emulator.state.creates_by_recipient
    assert len(creates) == TEXTS
    assert set(creates.values()) == {1}, "a recipient got the text twice"
