"""Queues by latency class: what a person or Twilio waits on, while a large import and a large
fan-out run, beside the same figures on the idle system, measured in this run.

The deployment is `make run`'s (the Procfile's workers) with gunicorn for web: a worker on
`realtime` (1 process, yielding the CPU to the web), one on `dispatch,periodic` (2), one on
`bulk` (2 here, as docker compose runs it, so the import and the fan-out run at once; yielding
to everything: smsapp/background.py), the Twilio emulator posting status callbacks back to the
web. Default sizes finish in a few minutes: an import of 100,000 rows and a fan-out to 100,000
recipients (BENCH_QUEUES_SCALE=1 for the issue's 1,000,000 each; an import file holds at most
300,000 rows, so the 1,000,000 come as four files that one bulk process imports in turn). Each
loaded figure is followed by the load's progress, to show it was taken under load. Goals,
loaded:

- STOP to opted out (the keyword webhook posted until its consent reads unsubscribed): p99
  under 1 s;
- status callbacks at 1,000/s offered through gunicorn: p99 under 25 ms (beside a no-op view's
  p99 at the same rate, in the same phase: the floor this machine's web tier sets then);
- dispatch holds a number's rate (20/s) within 5%.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench._server import ROOT, gunicorn, wrk

SCALE = float(os.environ.get("BENCH_QUEUES_SCALE", "0.1"))
BULK_ROWS = int(1_000_000 * SCALE)
STOPS = 40
STOP_P99_GOAL_S = 1.0
CALLBACK_RATE = 1000
CALLBACK_P99_GOAL_MS = 25
DISPATCH_RATE = 20
DISPATCH_SECONDS = 30
DISPATCH_TOLERANCE = 0.05
FANOUT_SENDER = "+14155553000"
DISPATCH_SENDER = "+14155553001"


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.99 * (len(ordered) - 1))]


def _worker(
    queues: str, concurrency: int, env: dict, *, work_class: str | None = None
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *([sys.executable, "-m", "smsapp.background", work_class, "--"] if work_class else []),
            sys.executable,
            "-m",
            "celery",
            "-A",
            "smsapp",
            "worker",
            "-Q",
            queues,
            f"--concurrency={concurrency}",
            f"--hostname={queues.split(',')[0]}@%h",
            "--loglevel=ERROR",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "smsapp.settings", **env},
        stdout=subprocess.DEVNULL,
    )


class Bench:
    def __init__(self, web: str, emulator: str):
        from accounts.models import Account, Membership, Role, User
        from consent import services as consent_services
        from consent.models import SubscriptionType
        from contacts import services as contact_services
        from messaging.models import SendingSettings
        from registration.models import PhoneNumber

        self.web, self.emulator = web, emulator
        self.account = Account.objects.create(name="queues bench", time_zone="Etc/UTC")
        self.owner = User.objects.create_user(email=f"queues{self.account.pk}@example.com")
        Membership.objects.create(account=self.account, user=self.owner, role=Role.SUPER_ADMIN)
        # Quiet hours open all day: the bench runs at any hour.
        SendingSettings.objects.create(
            account=self.account,
            quiet_hours_start="00:00",
            quiet_hours_end="23:59",
            frequency_cap=1000,
        )
        consent_services.account_defaults_ensure(account=self.account)
        self.subscription_type = SubscriptionType.objects.get(account=self.account, is_default=True)
        numbers = {
            e164: PhoneNumber.objects.create(
                account=self.account,
                e164=e164,
                status="active",
                messages_per_second=rate,
                tmobile_daily_cap=10_000_000,
            )
            for e164, rate in ((FANOUT_SENDER, 50), (DISPATCH_SENDER, DISPATCH_RATE))
        }
        self.fanout_sender, self.dispatch_sender = numbers[FANOUT_SENDER], numbers[DISPATCH_SENDER]
        self.audience = contact_services.contact_list_create(
            account=self.account, name="everyone", kind="static", created_by=self.owner
        )
        self.stop_phones = [f"+1917555{n + 2000:04d}" for n in range(2 * STOPS)]
        for phone in self.stop_phones:
            contact_services.contact_create(account=self.account, first_name="Stop", phone=phone)
            consent_services.phone_consent_set(
                account=self.account,
                phone_e164=phone,
                subscription_types=[self.subscription_type],
                status="subscribed",
                source="import",
                evidence="bench",
            )

    # STOP: the inbound webhook, signed as Twilio signs it, then consent read until it says so.
    def stop_latencies(self, phones: list[str]) -> list[float]:
        from django.conf import settings
        from twilio.request_validator import RequestValidator

        from consent.models import ConsentStatus

        validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
        url = self.web + "/webhooks/twilio/inbound"
        latencies = []
        for phone in phones:
            form = {
                "MessageSid": "SM" + hashlib.sha256(phone.encode()).hexdigest()[:32],
                "AccountSid": settings.TWILIO_ACCOUNT_SID,
                "From": phone,
                "To": FANOUT_SENDER,
                "Body": "STOP",
            }
            signature = validator.compute_signature(url, form)
            started = time.perf_counter()
            response = requests.post(
                url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30
            )
            assert response.status_code == 200, response.text
            while not ConsentStatus.objects.filter(
                account=self.account, phone_e164=phone, status="unsubscribed"
            ).exists():
                if time.perf_counter() - started > 30:
                    raise AssertionError(f"STOP from {phone} not applied in 30 s")
                time.sleep(0.005)
            latencies.append(time.perf_counter() - started)
            time.sleep(0.1)
        return latencies

    def callbacks_p99(self, sids: list[str], directory: Path) -> dict:
        from bench.webhooks import _script

        script = _script(self.web, sids, directory)
        return wrk(f"{self.web}/webhooks/twilio/status", script=script, rate=CALLBACK_RATE)

    def dispatch_rate(self, first: int) -> float:
        """Texts due now on the 20/s number; the rate the emulator saw them created at, over
        DISPATCH_SECONDS after the first."""
        from bench.dispatch import outbound_write
        from messaging.models import SmsMessage
        from smsapp.celery import app

        message = SmsMessage.objects.create(
            account=self.account,
            name=f"dispatch {first}",
            sender=self.dispatch_sender,
            status=SmsMessage.Status.SENDING,
        )
        count = DISPATCH_RATE * (DISPATCH_SECONDS + 10)
        outbound_write(self.account, message, self.dispatch_sender, count, first=first)
        started = time.time()
        app.send_task("messaging.tasks.dispatch_due_task")
        deadline = time.monotonic() + DISPATCH_SECONDS + 120
        while True:
            times = [t for t in self._created(DISPATCH_SENDER) if t >= started]
            if times and times[-1] - times[0] >= DISPATCH_SECONDS:
                break
            if time.monotonic() > deadline:
                raise AssertionError("dispatch did not run for long enough")
            time.sleep(1)
        window = [t for t in times if t < times[0] + DISPATCH_SECONDS]
        return len(window) / DISPATCH_SECONDS

    def _created(self, sender: str) -> list[float]:
        from django.conf import settings

        messages = requests.get(
            f"{self.emulator}/_emulator/messages",
            params={"AccountSid": settings.TWILIO_ACCOUNT_SID},
            timeout=60,
        ).json()["messages"]
        return sorted(m["created_at_epoch"] for m in messages if m["from"] == sender)

    def bulk_start(self) -> tuple[list[int], int]:
        """A BULK_ROWS-recipient fan-out and a BULK_ROWS-row import, queued on `bulk` in that
        order: the import as files of at most the import's row limit (contacts.csvfiles), which
        one bulk process takes one after the other while the other runs the fan-out."""
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.db import connection, transaction

        from bench.contacts_import import csv_text
        from bench.fanout import _contacts_copy
        from contacts import services as contact_services
        from contacts.csvfiles import MAX_ROWS
        from messaging.models import SmsMessage
        from smsapp.celery import app

        _contacts_copy(self.account, self.subscription_type, self.audience, BULK_ROWS)
        with connection.cursor() as cursor:
            # The copy wrote its own ids: the import after it takes the next ones.
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('contacts_contact', 'id'), "
                "(SELECT max(id) FROM contacts_contact))"
            )
        message = SmsMessage.objects.create(
            account=self.account,
            name="big fan-out",
            body='Hi {{ contact.first_name | default: "there" }}, new arrivals this week.',
            owner=self.owner,
            sender=self.fanout_sender,
            subscription_type=self.subscription_type,
            status=SmsMessage.Status.SENDING,
        )
        message.include_lists.add(self.audience)
        app.send_task("messaging.tasks.message_fanout_task", args=[message.pk])
        header, *rows = csv_text(BULK_ROWS).splitlines()
        files = -(-len(rows) // MAX_ROWS)
        size = -(-len(rows) // files)
        import_ids = []
        for n in range(files):
            text = "\n".join([header, *rows[n * size : (n + 1) * size]]) + "\n"
            contact_import = contact_services.contact_import_create(
                account=self.account,
                created_by=self.owner,
                uploaded_file=SimpleUploadedFile(f"big-{n + 1}.csv", text.encode()),
            )
            with transaction.atomic():
                contact_services.contact_import_start(
                    account=self.account,
                    contact_import=contact_import,
                    mapping={
                        "First name": "first_name",
                        "Last name": "last_name",
                        "Email": "email",
                        "Phone": "phone",
                    },
                    started_by=self.owner,
                )
            import_ids.append(contact_import.pk)
        return import_ids, message.pk

    def bulk_progress(self, import_ids: list[int], message_id: int) -> str:
        from contacts.models import ContactImport
        from messaging.models import OutboundMessage

        imports = list(ContactImport.objects.filter(pk__in=import_ids))
        processed = sum(i.processed for i in imports)
        statuses = ", ".join(f"{i.status}" for i in sorted(imports, key=lambda i: i.pk))
        written = OutboundMessage.objects.filter(message_id=message_id).count()
        return (
            f"import {processed:,}/{BULK_ROWS:,} rows ({len(imports)} files: {statuses}), "
            f"fan-out {written:,}/{BULK_ROWS:,} texts written"
        )


def _measure(
    bench: Bench, phones: list[str], sids: list[str], first: int, directory, load=None
) -> dict:
    """The three figures; with `load` (the import's and the fan-out's ids), the load's progress
    after each, so a figure taken after the load ended is seen as such."""

    def after(label: str) -> None:
        if load:
            print(f"  after {label}: {bench.bulk_progress(*load)}", flush=True)

    stops = bench.stop_latencies(phones)
    after("the STOPs")
    noop = wrk(f"{bench.web}/bench/noop", rate=CALLBACK_RATE)
    callbacks = bench.callbacks_p99(sids, directory)
    after("the status callbacks")
    rate = bench.dispatch_rate(first)
    after("dispatch")
    return {
        "stop_p99_s": _p99(stops),
        "stop_median_s": statistics.median(stops),
        "callback_p99_ms": callbacks["p99_ms"],
        "callback_rate": callbacks["rate"],
        "callback_errors": callbacks["non_2xx"],
        "noop_p99_ms": noop["p99_ms"],
        "dispatch_rate": rate,
    }


def run() -> bool:
    if shutil.which("wrk") is None:
        print("  wrk is not installed (apt-get install wrk): skipped")
        return False
    from bench.dispatch import _emulator_start

    emulator, emulator_url = _emulator_start()
    os.environ["TWILIO_API_BASE_URL"] = emulator_url
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    from bench._django import database_drop, django_setup

    database_drop("smsapp_bench_queues")
    django_setup("smsapp_bench_queues")
    import redis
    from django.conf import settings

    from bench.webhooks import _rows

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    workers: list[subprocess.Popen] = []
    try:
        with gunicorn() as web, tempfile.TemporaryDirectory() as directory:
            env = {"PUBLIC_BASE_URL": web, "TWILIO_API_BASE_URL": emulator_url}
            # As the Procfile runs them, with two bulk processes (as docker compose's
            # worker-bulk) so that the import and the fan-out run at once.
            workers = [
                _worker("realtime", 1, env, work_class="realtime"),
                _worker("dispatch,periodic", 2, env),
                _worker("bulk", 2, env, work_class="bulk"),
            ]
            bench = Bench(web, emulator_url)
            sids = _rows(bench.account, bench.fanout_sender)
            half = len(sids) // 2
            wrk(f"{web}/bench/noop", seconds=2)  # warm up
            idle = _measure(bench, bench.stop_phones[:STOPS], sids[:half], 0, Path(directory))
            import_ids, message_id = bench.bulk_start()
            # Measured once both are under way.
            from contacts.models import ContactImport
            from messaging.models import SmsMessage

            deadline = time.monotonic() + 300
            while not (
                ContactImport.objects.filter(pk__in=import_ids, processed__gt=0).exists()
                and SmsMessage.objects.filter(pk=message_id, fanout_done__gt=0).exists()
            ):
                if time.monotonic() > deadline:
                    raise AssertionError("the import and the fan-out did not start")
                time.sleep(0.5)
            print(f"  load under way: {bench.bulk_progress(import_ids, message_id)}")
            loaded = _measure(
                bench,
                bench.stop_phones[STOPS:],
                sids[half:],
                100_000,
                Path(directory),
                load=(import_ids, message_id),
            )
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
        emulator.terminate()
        emulator.wait()
    return _report(idle, loaded)


def _report(idle: dict, loaded: dict) -> bool:
    stop_ok = loaded["stop_p99_s"] < STOP_P99_GOAL_S
    callbacks_ok = (
        loaded["callback_p99_ms"] < CALLBACK_P99_GOAL_MS and not loaded["callback_errors"]
    )
    dispatch_ok = abs(loaded["dispatch_rate"] - DISPATCH_RATE) <= DISPATCH_TOLERANCE * DISPATCH_RATE
    print(f"  (scale {SCALE:g}: import of {BULK_ROWS:,} rows and fan-out to {BULK_ROWS:,})")
    print(f"  {'':34} {'idle':>10} {'loaded':>10} {'ratio':>7}")
    for label, key, unit, ok, goal in (
        ("STOP to opted out, p99", "stop_p99_s", "s", stop_ok, f"< {STOP_P99_GOAL_S:g} s"),
        ("STOP to opted out, median", "stop_median_s", "s", None, ""),
        (
            f"status callbacks p99 at {CALLBACK_RATE:,}/s",
            "callback_p99_ms",
            "ms",
            callbacks_ok,
            f"< {CALLBACK_P99_GOAL_MS} ms",
        ),
        ("status callbacks served", "callback_rate", "/s", None, ""),
        (f"no-op view p99 at {CALLBACK_RATE:,}/s", "noop_p99_ms", "ms", None, ""),
        (
            f"dispatch at {DISPATCH_RATE}/s configured",
            "dispatch_rate",
            "/s",
            dispatch_ok,
            f"within {DISPATCH_TOLERANCE:.0%}",
        ),
    ):
        verdict = "" if ok is None else f"  (goal {goal}) {'PASS' if ok else 'FAIL'}"
        print(
            f"  {label + ':':34} {idle[key]:9.3f}{unit:<2}{loaded[key]:9.3f}{unit:<2}"
            f"{loaded[key] / max(idle[key], 1e-9):6.2f}x{verdict}"
        )
    return stop_ok and callbacks_ok and dispatch_ok
