"""The number's rate as Twilio sees it: no sliding one-second window of the requests the
emulator received holds more than the rate + 1, at 1, 10, 50 and 100 msg/s, when the worker
is not scheduled for a second, and when a second process sends on the same number.

The emulator runs in a process of its own here, so the times it stamps are not held up by this
process's own threads."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest
import requests

from messaging.models import OutboundMessage, OutboundStatus, SmsMessage
from messaging.services import replies
from registration.models import PhoneNumber
from tests.conftest import ROOT, enqueue, worker
from twilio_emulator.testing import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class EmulatorProcess:
    url: str

    def arrivals(self, sender: str) -> list[float]:
        """When each text from `sender` reached the emulator, in order."""
        messages = requests.get(f"{self.url}/_emulator/messages", timeout=30).json()["messages"]
        return sorted(m["created_at_epoch"] for m in messages if m["from"] == sender)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def emulator_process(settings):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "twilio_emulator",
            f"--port={port}",
            "--callback-delay=0",
            "--callback-workers=1",
            "--log-level=ERROR",
        ],
        cwd=ROOT,
    )
    handle = EmulatorProcess(f"http://127.0.0.1:{port}")

    def up() -> bool:
        try:
            return requests.get(f"{handle.url}/_emulator/stats", timeout=1).ok
        except requests.RequestException:
            return False

    wait_until(up, timeout=20, interval=0.1)
    settings.TWILIO_API_BASE_URL = handle.url
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:9"  # status callbacks: not measured here
    yield handle
    process.terminate()
    process.wait()


def busiest_sliding_second(arrivals: list[float]) -> int:
    busiest, first = 0, 0
    for last, moment in enumerate(arrivals):
        while moment - arrivals[first] >= 1:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


def all_sent(message: SmsMessage) -> bool:
    return not OutboundMessage.objects.filter(
        message=message, status__in=(OutboundStatus.PENDING, OutboundStatus.CLAIMED)
    ).exists()


def send_at(sending, rate: int, count: int, emulator, redis_url: str, during=None) -> list[float]:
    """Dispatch `count` texts at `rate` in a worker process; `during(process)` runs once the
    first texts are out. Returns the arrivals at the emulator."""
    PhoneNumber.objects.filter(pk=sending.sender.pk).update(messages_per_second=rate)
    sending.sender.refresh_from_db()
    message = sending.texts_due_now(count)
    process = worker(emulator, redis_url)
    try:
        enqueue(redis_url, "messaging.tasks.sender_dispatch_task", sending.sender.pk)
        if during is not None:
            wait_until(
                lambda: len(emulator.arrivals(sending.sender.e164)) >= rate,
                timeout=60,
                interval=0.05,
            )
            during(process)
        wait_until(lambda: all_sent(message), timeout=90, interval=0.2)
    finally:
        process.terminate()
        process.wait()
    arrivals = emulator.arrivals(sending.sender.e164)
    assert len(arrivals) >= count
    return arrivals


@pytest.mark.parametrize(("rate", "seconds"), [(1, 6), (10, 5), (50, 4), (100, 4)])
def test_no_second_on_the_wire_holds_more_than_the_rate_plus_one(
    sending, emulator_process, redis_server, rate, seconds
):
    arrivals = send_at(sending, rate, rate * seconds, emulator_process, redis_server["url"])
    assert busiest_sliding_second(arrivals) <= rate + 1
    # And the rate is used: the texts took about as long as the rate says.
    assert arrivals[-1] - arrivals[0] < seconds + 1


@pytest.mark.parametrize("rate", [10, 50])
def test_a_worker_not_scheduled_for_a_second_does_not_catch_up_in_a_burst(
    sending, emulator_process, redis_server, rate
):
    def stall(process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGSTOP)
        time.sleep(1.2)  # the stall being simulated, not a wait for something
        process.send_signal(signal.SIGCONT)

    arrivals = send_at(sending, rate, rate * 5, emulator_process, redis_server["url"], stall)
    assert busiest_sliding_second(arrivals) <= rate + 1


def test_replies_sent_from_another_process_share_the_numbers_rate(
    sending, emulator_process, redis_server, settings
):
    rate = 20
    settings.REDIS_URL = redis_server["url"]  # this process's limiter meets the worker's

    def reply_while_sending(process: subprocess.Popen) -> None:
        for n in range(rate * 2):
            replies.reply_send(
                account=sending.account,
                sender=sending.sender,
                to_phone=f"+1208555{n + 7000:04d}",
                body=f"Thanks for your reply #{n}",
                respect_consent=False,
            )

    replies._limiter.cache_clear()
    try:
        arrivals = send_at(
            sending, rate, rate * 4, emulator_process, redis_server["url"], reply_while_sending
        )
    finally:
        replies._limiter.cache_clear()
    assert len(arrivals) == rate * 6
    assert busiest_sliding_second(arrivals) <= rate + 1
