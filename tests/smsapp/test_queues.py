"""Queues by latency class: every task of ours is routed to its class, the Procfile and docker
compose consume every class, and a busy bulk queue holds up no keyword answer or status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from accounts.jobs import JobStatus
from consent import services as consent_services
from consent.models import ConsentState, ConsentStatus
from contacts import services as contact_services
from contacts.models import ContactImport
from messaging.models import OutboundMessage, OutboundStatus
from smsapp.celery import app as celery_app
from tests.conftest import database_url, emulated_texts
from tests.factories import OutboundMessageFactory
from twilio_emulator.testing import wait_until

ROOT = Path(__file__).resolve().parents[2]
OUR_APPS = ("accounts", "contacts", "consent", "registration", "messaging", "analytics")
OUR_APPS += ("workflows", "demo")

# The latency class of each task: what a person or Twilio waits on is realtime; what beat runs
# is periodic; what walks thousands of rows is bulk.
EXPECTED_QUEUE = {
    "messaging.tasks.status_callbacks_apply_task": "realtime",
    "messaging.tasks.reply_send_task": "realtime",
    "messaging.tasks.sender_dispatch_task": "dispatch",
    "messaging.tasks.dispatch_due_task": "dispatch",
    "analytics.tasks.rollups_apply_task": "periodic",
    "analytics.tasks.rollups_check_task": "periodic",
    "consent.tasks.consent_jobs_sweep_task": "periodic",
    "contacts.tasks.contacts_jobs_sweep_task": "periodic",
    "messaging.tasks.scheduled_fanouts_start_task": "periodic",
    "messaging.tasks.claimed_reconcile_task": "periodic",
    "messaging.tasks.statuses_reconcile_task": "periodic",
    "messaging.tasks.messages_progress_task": "periodic",
    "registration.tasks.registration_status_poll_task": "periodic",
    "workflows.tasks.workflow_steps_due_task": "periodic",
    "messaging.tasks.partitions_ensure_task": "periodic",
    "messaging.tasks.messages_retention_task": "periodic",
    "contacts.tasks.contact_import_run_task": "bulk",
    "contacts.tasks.phone_reformat_run_task": "bulk",
    "contacts.tasks.phone_reformat_revert_task": "bulk",
    "consent.tasks.consent_bulk_change_run_task": "bulk",
    "messaging.tasks.message_fanout_task": "bulk",
    "messaging.tasks.message_review_task": "bulk",
    "workflows.tasks.workflow_event_task": "bulk",
    "analytics.tasks.consent_snapshot_task": "bulk",
}
QUEUES = ("realtime", "dispatch", "periodic", "bulk")


def our_tasks() -> set[str]:
    celery_app.loader.import_default_modules()
    return {name for name in celery_app.tasks if name.split(".")[0] in OUR_APPS}


def queue_lengths() -> dict[str, int]:
    client = redis.Redis.from_url(settings.REDIS_URL)
    return {name: client.llen(name) for name in QUEUES}


def test_every_task_of_ours_is_published_on_its_latency_class(published):
    # A new task fails here until it is given a class (CELERY_TASK_ROUTES and this table).
    assert our_tasks() == set(EXPECTED_QUEUE)
    for name, queue in EXPECTED_QUEUE.items():
        before = queue_lengths()
        # What .delay() does, minus the test settings' eager mode: the message reaches Redis.
        celery_app.send_task(name, args=[])
        after = queue_lengths()
        assert after == {**before, queue: before[queue] + 1}, name


def test_beat_only_queues_periodic_and_dispatch_sweeps():
    queues = {
        entry["task"]: EXPECTED_QUEUE[entry["task"]]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    # Status callbacks have a beat sweep too, for a burst's tail; it stays realtime.
    assert set(queues.values()) <= {"periodic", "dispatch", "realtime"}
    assert queues["analytics.tasks.rollups_apply_task"] == "periodic"


def procfile() -> dict[str, str]:
    return dict(
        line.split(": ", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )


def consumed_queues(command: str) -> list[str]:
    words = command.split()
    assert "worker" in words
    return words[words.index("-Q") + 1].split(",")


def test_procfile_consumes_every_queue_with_bulk_apart_and_one_beat():
    workers = [command for command in procfile().values() if " worker" in command]
    consumed = [consumed_queues(command) for command in workers]
    assert sorted(q for queues in consumed for q in queues) == sorted(QUEUES)
    # Long tasks (bulk ones for minutes, a dispatch run for up to 50 s) never hold the process
    # that answers keywords and applies statuses; bulk yields the CPU to the rest.
    assert ["realtime"] in consumed and ["bulk"] in consumed
    assert ["dispatch", "periodic"] in consumed
    # Asynchronous work yields the CPU to the web (smsapp/background.py); dispatch paces sends.
    for queue in ("realtime", "bulk"):
        command = next(command for command in workers if consumed_queues(command) == [queue])
        assert f" -m smsapp.background {queue} -- " in command
    assert " -m smsapp.background " not in next(
        command for command in workers if "dispatch" in consumed_queues(command)
    )
    assert sum(" beat" in command for command in procfile().values()) == 1


def test_compose_runs_a_worker_per_class_and_one_beat():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    workers = {
        name: consumed_queues(service["command"])
        for name, service in services.items()
        if " worker" in str(service.get("command", ""))
    }
    assert sorted(workers.values()) == sorted([q] for q in QUEUES)
    for queue in ("realtime", "bulk"):
        command = services[f"worker-{queue}"]["command"]
        assert command.startswith(f"python -m smsapp.background {queue} -- ")
    assert " smsapp.background " not in services["worker-dispatch"]["command"]
    beats = [name for name, s in services.items() if " beat" in str(s.get("command", ""))]
    assert beats == ["beat"]
    assert "replicas" not in str(services["beat"].get("deploy", {}))


def worker(emulator, *queues: str, **env) -> subprocess.Popen:
    """A Celery worker process consuming `queues`, as Procfile and docker compose run them."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsapp.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "TWILIO_API_BASE_URL": emulator.url,
        # Where the emulator posts its callbacks: nowhere (the test posts its own).
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **env,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "smsapp",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            ",".join(queues),
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def published():
    """This process publishes tasks to Redis like a web process (test settings run them
    inline)."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def large_import(tenant, rows: int, first: int) -> ContactImport:
    lines = ["First name,Phone"] + [
        f"Imported {n},+1212{n:07d}" for n in range(first, first + rows)
    ]
    contact_import = contact_services.contact_import_create(
        account=tenant.account,
        created_by=tenant.bob,
        uploaded_file=SimpleUploadedFile("big.csv", "\n".join(lines).encode()),
    )
    with transaction.atomic():
        return contact_services.contact_import_start(
            account=tenant.account,
            contact_import=contact_import,
            mapping={"First name": "first_name", "Phone": "phone"},
            started_by=tenant.bob,
        )


@pytest.mark.django_db(transaction=True)
def test_stop_keyword_answers_and_statuses_are_applied_while_bulk_work_queues(
    sending, emulator, settings, tmp_path, published
):
    from tests.messaging.test_webhooks import INBOUND_URL, STATUS_URL, signed_post, status_form

    settings.MEDIA_ROOT = tmp_path
    consent_services.keyword_rule_create(
        account=sending.account, kind="custom", word="HOURS", reply_text="Open 9-5."
    )
    stopper = sending.contact("Stella", phone="+12125556001")
    asker = sending.contact("Hana", phone="+12125556002")
    delivered = OutboundMessageFactory(
        account=sending.account,
        message=sending.message(),
        sender=sending.sender,
        contact=asker,
        to_phone=asker.phone_e164,
        status=OutboundStatus.QUEUED,
        twilio_sid="SM" + "e" * 32,
    )
    imports = [large_import(sending.tenant, 20_000, first=n * 20_000) for n in range(3)]
    processes = [
        worker(emulator, "bulk"),
        worker(emulator, "realtime", "dispatch", "periodic"),
    ]
    try:
        # The bulk worker is inside the first import, with two more waiting in its queue.
        wait_until(
            lambda: ContactImport.objects.filter(
                pk=imports[0].pk, status__in=(JobStatus.RUNNING, JobStatus.SAVING)
            ).exists(),
            timeout=60,
            interval=0.05,
        )
        inbound = {
            "AccountSid": settings.TWILIO_ACCOUNT_SID,
            "To": sending.sender.e164,
        }
        stop = signed_post(
            INBOUND_URL,
            {**inbound, "MessageSid": "SM" + "a" * 32, "From": stopper.phone_e164, "Body": "STOP"},
        )
        asked = signed_post(
            INBOUND_URL,
            {**inbound, "MessageSid": "SM" + "b" * 32, "From": asker.phone_e164, "Body": "hours"},
        )
        status = signed_post(STATUS_URL, status_form(delivered.twilio_sid, "delivered"))
        assert (stop.status_code, asked.status_code, status.status_code) == (200, 200, 204)
        # The STOP is applied by the webhook's own request.
        assert ConsentStatus.objects.get(
            account=sending.account, phone_e164=stopper.phone_e164
        ).status == (ConsentState.UNSUBSCRIBED)

        def realtime_done() -> bool:
            delivered.refresh_from_db()
            return delivered.status == OutboundStatus.DELIVERED and bool(
                emulated_texts(emulator, asker.phone_e164)
            )

        wait_until(realtime_done, timeout=60, interval=0.05)
        # ... while the bulk worker had not got to the other imports.
        assert queue_lengths()["bulk"] >= 1
        assert (
            ContactImport.objects.filter(pk__in=[i.pk for i in imports[1:]])
            .exclude(status=JobStatus.DONE)
            .exists()
        )
        [answer] = emulated_texts(emulator, asker.phone_e164)
        assert answer["body"] == "Open 9-5."
        # And the bulk work itself still gets done.
        wait_until(
            lambda: ContactImport.objects.filter(status=JobStatus.DONE).count() == 3,
            timeout=100,
            interval=0.2,
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert not OutboundMessage.objects.filter(
        kind=OutboundMessage.Kind.REPLY, status=OutboundStatus.PENDING
    ).exists()
