"""The operator's /metrics: a bearer token guards it, and each figure says what happened."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accounts.jobs import JobStatus
from analytics.services import rollups
from messaging.models import LinkClick, OutboundStatus, SmsMessage, StatusCallback
from messaging.services import dispatch
from smsapp.celery import app as celery_app
from tests.factories import ContactImportFactory, OutboundMessageFactory
from tests.smsapp.test_queues import published  # noqa: F401 - a fixture

TOKEN = "metrics-token-for-tests-0123456789"  # noqa: S105


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(token: str = TOKEN) -> dict[tuple[str, tuple], float]:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.mark.django_db
def test_metrics_are_404_without_a_token_set_and_401_without_the_right_one(settings):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert Client().get("/metrics").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 401
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
@pytest.mark.usefixtures("published")
def test_queue_depths_count_the_tasks_waiting_per_queue(token):
    for _ in range(3):
        celery_app.send_task("contacts.tasks.contact_import_run_task", args=[1, 1])
    celery_app.send_task("messaging.tasks.status_callbacks_apply_task")
    samples = scrape()
    depths = {q: value(samples, "smsapp_queue_depth", queue=q) for q in ("realtime", "bulk")}
    assert depths == {"realtime": 1, "bulk": 3}
    assert value(samples, "smsapp_queue_depth", queue="dispatch") == 0
    assert all(v == 1 for (name, _), v in samples.items() if name == "smsapp_metrics_source_up")


@pytest.mark.django_db
def test_sends_per_number_count_what_dispatch_handed_to_twilio(
    sending, emulator, token, time_machine
):
    sending.texts_due_now(12)
    sent_around = timezone.now()
    assert dispatch.sender_dispatch(sender_id=sending.sender.pk, time_budget=20) == 12
    number = {"number": sending.sender.e164, "account": sending.account.public_id}
    samples = scrape()
    assert value(samples, "smsapp_sends_total", **number) == 12
    # The rate is the last complete minute's: 12 texts in it are 0.2 a second ...
    time_machine.move_to(sent_around + dt.timedelta(seconds=25), tick=False)
    assert value(scrape(), "smsapp_sends_per_second", **number) == pytest.approx(0.2)
    # ... and none once that minute is over; the total stays.
    time_machine.move_to(sent_around + dt.timedelta(seconds=95), tick=False)
    samples = scrape()
    assert value(samples, "smsapp_sends_per_second", **number) == 0
    assert value(samples, "smsapp_sends_total", **number) == 12


@pytest.mark.django_db
def test_callback_lag_stranded_claims_and_rollup_lag(sending, token, time_machine):
    now = timezone.now().replace(microsecond=0)
    time_machine.move_to(now, tick=False)
    message = sending.message(status=SmsMessage.Status.SENDING)
    for sid, age in (("SM" + "1" * 32, 30), ("SM" + "2" * 32, 4)):
        StatusCallback.objects.create(
            message_sid=sid,
            status="delivered",
            account_sid="AC" + "0" * 32,
            received_at=now - dt.timedelta(seconds=age),
        )
    for n, claimed_ago in enumerate((301, 10)):
        OutboundMessageFactory(
            account=sending.account,
            message=message,
            sender=sending.sender,
            to_phone=f"+1208555{n + 3000:04d}",
            status=OutboundStatus.CLAIMED,
            claimed_at=now - dt.timedelta(seconds=claimed_ago),
            # The change feed (a trigger) times a new row by its creation.
            created_at=now - dt.timedelta(seconds=45),
        )
    LinkClick.objects.create(
        account=sending.account,
        message=message,
        outbound_id=1,
        position=0,
        clicked_at=now - dt.timedelta(seconds=5),
    )
    samples = scrape()
    assert value(samples, "smsapp_status_callbacks_unapplied") == 2
    assert value(samples, "smsapp_status_callbacks_apply_lag_seconds") == 30
    assert value(samples, "smsapp_dispatch_stranded_claims") == 1
    assert value(samples, "smsapp_rollup_lag_seconds", feed="status") == 45
    assert value(samples, "smsapp_rollup_lag_seconds", feed="click") == 5
    assert value(samples, "smsapp_rollup_lag_seconds", feed="opt_out") == 0

    rollups.rollups_apply_all(time_budget=10)
    samples = scrape()
    assert value(samples, "smsapp_rollup_lag_seconds", feed="status") == 0
    assert value(samples, "smsapp_rollup_lag_seconds", feed="click") == 0


@pytest.mark.django_db
def test_import_and_fanout_progress(sending, token):
    running = ContactImportFactory(
        account=sending.account, status=JobStatus.RUNNING, processed=500, total=2000
    )
    ContactImportFactory(account=sending.account, status=JobStatus.DONE, processed=9, total=9)
    message = sending.message(
        status=SmsMessage.Status.SENDING,
        fanout_started_at=timezone.now(),
        fanout_done=25_000,
        fanout_total=100_000,
    )
    samples = scrape()
    account = sending.account.public_id
    imported = {"kind": "import", "job": running.public_id, "account": account}
    assert value(samples, "smsapp_job_processed", **imported) == 500
    assert value(samples, "smsapp_job_total", **imported) == 2000
    fanout = {"kind": "fanout", "job": message.public_id, "account": account}
    assert value(samples, "smsapp_job_processed", **fanout) == 25_000
    assert value(samples, "smsapp_job_total", **fanout) == 100_000
    # Finished jobs are not shown.
    jobs = [labels for (name, labels) in samples if name == "smsapp_job_total"]
    assert len(jobs) == 2
