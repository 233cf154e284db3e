"""Dispatch against the Twilio emulator: throughput, and how exactly the sender's rate is held.

Goals: at least 300 sends a second when the limiter allows it (beside the emulator's own
ceiling for bare SDK creates from the same number of threads, measured in this run), and a
configured rate of 10 and of 100 messages a second held within 2% over a minute with no
second above the rate plus the burst (1). Times are the emulator's own creation times, so
they are what Twilio would see. Then the same in the deployment's shape (bench/_dispatch_stack.py:
workers, beat, gunicorn; 50 msg/s, status lag, queue length, RSS, crash recovery).
BENCH_DISPATCH_PARTS picks the parts (default "limiter,stack").
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from bench._server import ROOT, free_port

THROUGHPUT_GOAL = 300
THROUGHPUT_MESSAGES = 6_000
RATES = (10, 100)
RATE_WINDOW_SECONDS = 60
RATE_TOLERANCE = 0.02
BURST = 1
SENDER = "+14155552000"


def _emulator_start() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "twilio_emulator",
            "--port",
            str(port),
            "--callback-delay",
            "0",
            "--callback-workers",
            "4",
            "--log-level",
            "ERROR",
        ],
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{url}/_emulator/stats", timeout=1)
            return process, url
        except requests.RequestException:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.1)


def _created_times(url: str, account_sid: str) -> list[float]:
    messages = requests.get(
        f"{url}/_emulator/messages", params={"AccountSid": account_sid}, timeout=60
    ).json()["messages"]
    return sorted(m["created_at_epoch"] for m in messages if m["from"] == SENDER)


def outbound_write(account, message, sender, count: int, first: int) -> None:
    from django.utils import timezone

    from messaging.models import OutboundMessage

    now = timezone.now()
    OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                account=account,
                message=message,
                sender=sender,
                # Numbers ending 2000-9999 are plain deliveries in the emulator (no error rules).
                to_phone=f"+1{646 + (first + n) // 8000:03d}555{(first + n) % 8000 + 2000:04d}",
                # The message's name keeps each part's texts apart in the emulator, whose
                # duplicate count is of the same text to the same phone.
                body=f"{message.name}: 20% off #{first + n}. Reply STOP to opt out",
                segments=1,
                encoding="GSM-7",
                due_at=now,
            )
            for n in range(count)
        ],
        batch_size=2000,
    )


def _bare_sdk_rate(url: str, count: int = 2_000) -> float:
    """Baseline: the emulator's ceiling for creates through the SDK, no database, no limiter."""
    from twilio_gateway.client import platform_credentials
    from twilio_gateway.messages import message_send

    def create(n: int) -> None:
        message_send(
            credentials=platform_credentials(),
            to=f"+1917555{n % 8000 + 2000:04d}",
            body=f"baseline {n}",
            from_="+14155552999",
            messaging_service_sid=None,
            status_callback=None,
        )

    from messaging.services.dispatch import SEND_THREADS

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=SEND_THREADS) as pool:
        list(pool.map(create, range(count)))
    return count / (time.perf_counter() - started)


def _busiest_sliding_second(times: list[float]) -> int:
    """The most arrivals in any one-second window (not only the fixed bins)."""
    busiest, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= 1:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


def run() -> bool:
    emulator, url = _emulator_start()
    os.environ["TWILIO_API_BASE_URL"] = url
    # Status callbacks go nowhere: this measures sending, bench webhooks measures ingest.
    os.environ["PUBLIC_BASE_URL"] = "http://127.0.0.1:9"
    try:
        from bench._django import django_setup

        django_setup()
        parts = os.environ.get("BENCH_DISPATCH_PARTS", "limiter,stack").split(",")
        ok = True
        if "limiter" in parts:
            ok = _measure(url) and ok
        if "stack" in parts:
            from bench import _dispatch_stack

            ok = _dispatch_stack.run(url) and ok
        return ok
    finally:
        emulator.terminate()
        emulator.wait()


def _measure(url: str) -> bool:
    import redis
    from django.conf import settings

    from accounts.models import Account
    from messaging.models import OutboundMessage, SmsMessage
    from messaging.ratelimit import SenderRateLimiter, slot_spacing
    from messaging.services import dispatch
    from registration.models import PhoneNumber

    account = Account.objects.create(name="bench dispatch")
    sender = PhoneNumber.objects.create(
        account=account, e164=SENDER, status="active", messages_per_second=1_000
    )
    message = SmsMessage.objects.create(
        account=account, name="bench", sender=sender, status=SmsMessage.Status.SENDING
    )
    redis.Redis.from_url(settings.REDIS_URL).delete(f"rate:us:{SENDER}", f"daily:{SENDER}")
    sender.tmobile_daily_cap = 10_000_000
    ok = True
    try:
        baseline = _bare_sdk_rate(url)
        print(f"  baseline: bare SDK creates against the emulator: {baseline:,.0f}/s")

        outbound_write(account, message, sender, THROUGHPUT_MESSAGES, first=0)
        sender.save()
        started = time.perf_counter()
        sent = dispatch.sender_dispatch(sender_id=sender.pk, time_budget=300)
        elapsed = time.perf_counter() - started
        rate = sent / elapsed
        passed = rate >= THROUGHPUT_GOAL and sent == THROUGHPUT_MESSAGES
        print(
            f"  throughput: {sent:,} sends in {elapsed:.1f}s = {rate:,.0f}/s "
            f"(goal {THROUGHPUT_GOAL}; {rate / baseline:.2f}x the bare SDK) "
            f"{'PASS' if passed else 'FAIL'}"
        )
        ok = ok and passed

        first = THROUGHPUT_MESSAGES
        for configured in RATES:
            sender.messages_per_second = configured
            sender.save(update_fields=["messages_per_second"])
            # More than a minute's worth, so the limiter, not the queue, decides the pace.
            count = configured * (RATE_WINDOW_SECONDS + 5)
            outbound_write(account, message, sender, count, first=first)
            first += count
            before = len(_created_times(url, settings.TWILIO_ACCOUNT_SID))
            dispatch.sender_dispatch(
                sender_id=sender.pk,
                time_budget=RATE_WINDOW_SECONDS + 2,
                limiter=SenderRateLimiter(),
            )
            times = _created_times(url, settings.TWILIO_ACCOUNT_SID)[before:]
            start = times[0]
            window = [t for t in times if t < start + RATE_WINDOW_SECONDS]
            achieved = len(window) / RATE_WINDOW_SECONDS
            per_second = Counter(int(t - start) for t in window)
            worst = max(per_second.values())
            print("   busiest seconds:", sorted(per_second.values(), reverse=True)[:8])
            gaps = sorted(b - a for a, b in zip(window, window[1:], strict=False))
            spacing_ms = slot_spacing(configured) * 1000
            print(
                f"   arrivals: busiest sliding second {_busiest_sliding_second(window)}; "
                f"closest two {gaps[0] * 1000:.1f} ms apart, 1% closer than "
                f"{gaps[len(gaps) // 100] * 1000:.1f} ms (grants {spacing_ms:.1f} ms apart)"
            )
            within = abs(achieved - configured) / configured <= RATE_TOLERANCE
            capped = worst <= configured + BURST
            print(
                f"  rate {configured}/s: {len(window):,} sends in the first "
                f"{RATE_WINDOW_SECONDS}s = {achieved:.2f}/s ({(achieved / configured - 1):+.2%}, "
                f"goal within {RATE_TOLERANCE:.0%}); busiest second {worst} "
                f"(limit {configured + BURST}) {'PASS' if within and capped else 'FAIL'}"
            )
            ok = ok and within and capped
            OutboundMessage.objects.filter(message=message, status="pending").delete()
    finally:
        OutboundMessage.objects.filter(account=account).delete()
        message.delete()
        sender.delete()
        account.delete()
    return ok
