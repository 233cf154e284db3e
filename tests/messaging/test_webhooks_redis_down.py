"""Twilio's webhooks while Redis (cache and Celery's broker) is down: the web process, under
gunicorn as in production, answers 2xx once the callback is stored, and a worker and beat
apply what was stored once Redis is back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests
from django.conf import settings
from twilio.request_validator import RequestValidator

from consent.models import ConsentState, ConsentStatus
from messaging.models import InboundMessage, OutboundMessage, OutboundStatus, StatusCallback
from tests.conftest import ROOT, beat, database_url, worker
from tests.factories import OutboundMessageFactory
from twilio_emulator.testing import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SID = "SM" + "a1" * 16
PHONE = "+12125550100"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def web(emulator, redis_server):
    """The app under gunicorn on the test database, its Redis already dead."""
    redis_server["process"].kill()
    redis_server["process"].wait()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsapp.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_server["url"],
        "TWILIO_API_BASE_URL": emulator.url,
        "PUBLIC_BASE_URL": url,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "ERROR",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "smsapp.wsgi",
            f"--bind=127.0.0.1:{port}",
            "--workers=1",
            "--log-level=error",
        ],
        cwd=ROOT,
        env=environment,
    )

    def up() -> bool:
        try:
            requests.get(f"{url}/healthz", timeout=5)
            return True
        except requests.RequestException:
            return False

    wait_until(up, timeout=30, interval=0.2)
    yield url
    process.terminate()
    process.wait()


def signed_post(base_url: str, path: str, form: dict) -> requests.Response:
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
        base_url + path, form
    )
    return requests.post(
        base_url + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=10
    )


def test_webhooks_answer_while_redis_is_down_and_are_applied_once_it_is_back(
    sending, emulator, redis_server, web
):
    contact = sending.contact("Dot", phone=PHONE)
    row = OutboundMessageFactory(
        account=sending.account,
        contact=contact,
        sender=sending.sender,
        to_phone=PHONE,
        body="hello",
        status=OutboundStatus.QUEUED,
        twilio_sid=SID,
    )
    status = signed_post(
        web,
        "/webhooks/twilio/status",
        {
            "MessageSid": SID,
            "AccountSid": settings.TWILIO_ACCOUNT_SID,
            "MessageStatus": "delivered",
            "To": PHONE,
            "From": sending.sender.e164,
        },
    )
    assert status.status_code == 204
    assert StatusCallback.objects.filter(message_sid=SID, status="delivered").exists()

    def inbound(sid: str, body: str) -> requests.Response:
        return signed_post(
            web,
            "/webhooks/twilio/inbound",
            {
                "MessageSid": sid,
                "AccountSid": settings.TWILIO_ACCOUNT_SID,
                "From": PHONE,
                "To": sending.sender.e164,
                "Body": body,
            },
        )

    assert inbound("SM" + "b2" * 16, "What time do you open?").status_code == 200
    assert inbound("SM" + "c3" * 16, "STOP").status_code == 200
    assert InboundMessage.objects.filter(from_phone=PHONE).count() == 2
    # An opt-out takes effect at once: it needs nothing but the database.
    assert ConsentStatus.objects.get(phone_e164=PHONE).status == ConsentState.UNSUBSCRIBED

    # Redis comes back: beat's sweep has the worker apply the stored status.
    redis_server["restart"]()
    folder = Path(tempfile.mkdtemp(prefix="beat-"))
    processes = [beat(emulator, redis_server["url"], folder), worker(emulator, redis_server["url"])]
    try:
        wait_until(
            lambda: OutboundMessage.objects.get(pk=row.pk).status == OutboundStatus.DELIVERED,
            timeout=60,
            interval=0.2,
        )
    finally:
        for process in processes:
            process.terminate()
            process.wait()
