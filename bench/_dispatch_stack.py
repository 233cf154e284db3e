"""Dispatch in the deployment's shape: Celery workers and beat in processes of their own, the app
under gunicorn taking the emulator's status callbacks, one number at 50 msg/s.

Figures, each beside a baseline measured in the same run:

- sends a second and the most requests in any sliding second at the emulator (goal: rate + 1),
  beside a bare SDK loop paced with sleep at the same rate;
- the broker's queue length, sampled each second (goal: flat), beside its length at rest;
- the lag from Twilio's "delivered" to the row's status (goal: p99 under 2 s), beside the lag
  to the callback being stored by the webhook;
- worker RSS at the end of the send, beside the same worker at rest;
- crash recovery, the worker running the number's chain SIGKILLed: seconds to the number
  sending again (goal under 10 s) and to the last claim it stranded being settled (goal under
  60 s), beside the seconds the stack takes to start a send at all (beat's pick-up).

BENCH_DISPATCH_RECIPIENTS sets the size of the main send (default 3,000: a minute at 50/s; the
issue's figure is 20,000).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench._server import ROOT, gunicorn
from bench.dispatch import outbound_write
from twilio_emulator.testing import wait_until

RATE = 50
RECIPIENTS = int(os.environ.get("BENCH_DISPATCH_RECIPIENTS", "3000"))
CRASH_RECIPIENTS = 1500
SENDER = "+14155552001"
PACED_SENDER = "+14155552998"
LAG_P99_GOAL = 2.0
RESUME_GOAL = 10.0
SETTLE_GOAL = 60.0
QUEUE_MAX = 10


def _busiest_sliding_second(times: list[float]) -> int:
    busiest, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= 1:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (a prefork worker's pool), in MB."""
    family = {pid}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            family.add(int(stat.parent.name))
    total = 0
    for member in family:
        try:
            lines = Path(f"/proc/{member}/status").read_text().splitlines()
        except OSError:
            continue
        total += next((int(x.split()[1]) for x in lines if x.startswith("VmRSS:")), 0)
    return total / 1024


def _celery(*args: str, env: dict) -> subprocess.Popen:
    # A session of its own: a crash is simulated by SIGKILLing the worker and its pool at once.
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "smsapp", *args, "--loglevel=ERROR"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _worker(name: str, env: dict) -> subprocess.Popen:
    """A worker as the Procfile runs one: two pool processes, so the number's chain holding
    one leaves the other to beat's tasks."""
    return _celery(
        "worker",
        "--concurrency=2",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        f"--hostname={name}@%h",
        env=env,
    )


def _ready(name: str) -> bool:
    from smsapp.celery import app

    return any(host.startswith(f"{name}@") for r in app.control.ping(timeout=0.5) for host in r)


def _emulator(url: str, sender: str) -> list[dict]:
    messages = requests.get(f"{url}/_emulator/messages", timeout=60).json()["messages"]
    return [m for m in messages if m["from"] == sender]


def _paced_baseline(url: str, count: int) -> tuple[float, int]:
    """A bare SDK loop paced with sleep at RATE: (sends a second, busiest sliding second)."""
    from twilio_gateway.client import platform_credentials
    from twilio_gateway.messages import message_send

    start = time.monotonic()
    for n in range(count):
        time.sleep(max(0.0, start + n / RATE - time.monotonic()))
        message_send(
            credentials=platform_credentials(),
            to=f"+1917555{n % 8000 + 2000:04d}",
            body=f"paced baseline {n}",
            from_=PACED_SENDER,
            messaging_service_sid=None,
            status_callback=None,
        )
    arrivals = sorted(m["created_at_epoch"] for m in _emulator(url, PACED_SENDER))
    return (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]), _busiest_sliding_second(arrivals)


def _open(message) -> bool:
    from messaging.models import OutboundMessage, OutboundStatus

    return OutboundMessage.objects.filter(
        message=message, status__in=(OutboundStatus.PENDING, OutboundStatus.CLAIMED)
    ).exists()


def run(emulator_url: str) -> bool:
    """Needs Django set up (bench._django) and an emulator whose callbacks reach nobody yet."""
    import redis
    from django.conf import settings

    from accounts.models import Account
    from messaging.models import OutboundMessage, OutboundStatus, SmsMessage, StatusCallback
    from registration.models import PhoneNumber

    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.delete("celery")
    for key in broker.scan_iter(f"*{SENDER}*"):
        broker.delete(key)
    account = Account.objects.create(name="bench dispatch stack", time_zone="Etc/UTC")
    sender = PhoneNumber.objects.create(
        account=account,
        e164=SENDER,
        status="active",
        messages_per_second=RATE,
        tmobile_daily_cap=10_000_000,
    )
    message = SmsMessage.objects.create(
        account=account, name="bench stack", sender=sender, status=SmsMessage.Status.SENDING
    )
    # Quiet hours open all day, so the figures don't depend on the hour the bench runs at.
    from messaging.services.settings import sending_settings

    rules = sending_settings(account)
    rules.quiet_hours_start, rules.quiet_hours_end = (
        rules.quiet_hours_start.replace(hour=0),
        rules.quiet_hours_end.replace(hour=23, minute=59),
    )
    rules.save()
    ok = True
    folder = Path(tempfile.mkdtemp(prefix="bench-beat-"))
    processes: list[subprocess.Popen] = []
    try:
        paced_rate, paced_busiest = _paced_baseline(emulator_url, 10 * RATE)
        with gunicorn(env={"TWILIO_API_BASE_URL": emulator_url}) as web:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "smsapp.settings",
                "TWILIO_API_BASE_URL": emulator_url,
                "PUBLIC_BASE_URL": web,
                "LOG_LEVEL": "ERROR",
            }
            first = _worker("first", env)
            processes.append(first)
            wait_until(lambda: _ready("first"), timeout=60, interval=0.2, what="worker ready")
            idle_rss = _rss_mb(first.pid)
            processes.append(_celery("beat", f"--schedule={folder / 'beat'}", env=env))

            # Start latency: rows fall due, beat's sweep starts the chain.
            due_at = time.time()
            outbound_write(account, message, sender, RECIPIENTS, first=0)
            wait_until(
                lambda: _emulator(emulator_url, SENDER), timeout=60, interval=0.2, what="first send"
            )
            started = min(m["created_at_epoch"] for m in _emulator(emulator_url, SENDER))
            start_latency = started - due_at
            queue: list[int] = []
            rss: list[float] = []
            deadline = time.monotonic() + RECIPIENTS / RATE * 2 + 60
            while _open(message):
                queue.append(broker.llen("celery"))
                rss.append(_rss_mb(first.pid))
                if time.monotonic() > deadline:
                    raise TimeoutError("the send did not finish")
                time.sleep(1)
            delivered = OutboundMessage.objects.filter(
                message=message, status=OutboundStatus.DELIVERED
            )
            wait_until(
                lambda: delivered.count() >= RECIPIENTS,
                timeout=60,
                interval=0.2,
                what="statuses applied",
            )
            texts = _emulator(emulator_url, SENDER)
            arrivals = sorted(m["created_at_epoch"] for m in texts)
            rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
            busiest = _busiest_sliding_second(arrivals)
            at_twilio = {m["sid"]: m["updated_at_epoch"] for m in texts}
            applied = [
                row_at.timestamp() - at_twilio[sid]
                for sid, row_at in delivered.values_list("twilio_sid", "status_updated_at")
            ]
            stored = [
                received.timestamp() - at_twilio[sid]
                for sid, received in StatusCallback.objects.filter(
                    message_sid__in=list(at_twilio), status="delivered"
                ).values_list("message_sid", "received_at")
            ]
            p99 = statistics.quantiles(applied, n=100)[98]
            stored_p99 = statistics.quantiles(stored, n=100)[98]
            print(
                f"  stack at {RATE}/s, {RECIPIENTS:,} recipients: {rate:.1f} sends/s "
                f"(paced SDK loop: {paced_rate:.1f}/s, {rate / paced_rate:.2f}x)"
            )
            good = busiest <= RATE + 1
            ok = ok and good
            print(
                f"   busiest sliding second {busiest} (goal {RATE + 1}; paced SDK loop: "
                f"{paced_busiest}, {busiest / paced_busiest:.2f}x) {'PASS' if good else 'FAIL'}"
            )
            # Flat: beat's tasks come in small bursts (several fall due on the same second),
            # but nothing piles up: the send's last third queues no more than its first.
            third = max(1, len(queue) // 3)
            early, late = statistics.mean(queue[:third]), statistics.mean(queue[-third:])
            flat = max(queue) <= QUEUE_MAX and late <= early + 1
            ok = ok and flat
            print(
                f"   broker queue each second: mean {statistics.mean(queue):.1f}, max "
                f"{max(queue)} (goal <= {QUEUE_MAX}), first third {early:.1f}, last third "
                f"{late:.1f} (at rest: 0) {'PASS' if flat else 'FAIL'}"
            )
            good = p99 < LAG_P99_GOAL
            ok = ok and good
            print(
                f"   delivered at Twilio -> row status: p50 {statistics.median(applied):.2f}s, "
                f"p99 {p99:.2f}s (goal < {LAG_P99_GOAL:.0f}s; callback stored: p99 "
                f"{stored_p99:.2f}s, {p99 / max(stored_p99, 1e-3):.1f}x) "
                f"{'PASS' if good else 'FAIL'}"
            )
            print(
                f"   worker RSS: {max(rss):.0f} MB at most (at rest {idle_rss:.0f} MB, "
                f"{max(rss) / idle_rss:.2f}x)"
            )

            # Crash recovery: the chain's worker is SIGKILLed with a second worker ready.
            crash = SmsMessage.objects.create(
                account=account, name="bench crash", sender=sender, status="sending"
            )
            before = len(_emulator(emulator_url, SENDER))
            outbound_write(account, crash, sender, CRASH_RECIPIENTS, first=RECIPIENTS)
            wait_until(
                lambda: len(_emulator(emulator_url, SENDER)) >= before + 200,
                timeout=60,
                interval=0.2,
                what="crash run sending",
            )
            second = _worker("second", env)
            processes.append(second)
            wait_until(
                lambda: _ready("second"), timeout=60, interval=0.2, what="second worker ready"
            )
            os.killpg(first.pid, signal.SIGKILL)
            killed = time.time()
            first.wait()
            stranded = OutboundMessage.objects.filter(
                message=crash, status=OutboundStatus.CLAIMED, twilio_sid__isnull=True
            )
            stranded_count = stranded.count()

            def resumed() -> float | None:
                later = [
                    m["created_at_epoch"]
                    for m in _emulator(emulator_url, SENDER)
                    if m["created_at_epoch"] > killed + 0.5
                ]
                return min(later) if later else None

            resume = wait_until(resumed, timeout=60, interval=0.2, what="sending again") - killed
            wait_until(lambda: not stranded.exists(), timeout=120, interval=0.5, what="settled")
            settle = time.time() - killed
            wait_until(
                lambda: not _open(crash), timeout=120, interval=0.2, what="crash send finished"
            )
            creates = requests.get(f"{emulator_url}/_emulator/stats", timeout=30).json()
            twice = creates["duplicates"]
            good = resume < RESUME_GOAL and settle < SETTLE_GOAL and not twice
            ok = ok and good
            print(
                f"  crash recovery: sending again {resume:.1f}s after SIGKILL (goal < "
                f"{RESUME_GOAL:.0f}s), {stranded_count} stranded claims settled after "
                f"{settle:.1f}s (goal < {SETTLE_GOAL:.0f}s); a send's start takes "
                f"{start_latency:.1f}s ({resume / start_latency:.1f}x, "
                f"{settle / start_latency:.1f}x); texts sent twice: {len(twice)} "
                f"{'PASS' if good else 'FAIL'}"
            )
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait()
        OutboundMessage.objects.filter(account=account).delete()
        SmsMessage.objects.filter(account=account).delete()
        sender.delete()
        account.delete()
    return ok
