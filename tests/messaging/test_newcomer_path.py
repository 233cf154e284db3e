"""The newcomer's path, as `make run` wires it: the Procfile's web, worker, beat and emulator under
honcho, on the run's embedded PostgreSQL and Redis. A campaign goes out through the worker and
the emulator, its results page fills in from the emulator's callbacks, and a STOP texted to the
emulator reaches the app through the Procfile's wiring and opts the phone out."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.test import Client

from consent.models import ConsentState, ConsentStatus
from messaging.models import OutboundMessage, SmsMessage
from tests.conftest import database_url, daytime_zone
from twilio_emulator.testing import wait_until

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


@pytest.fixture
def procfile():
    """`honcho start` on the project's Procfile, on ports of the test's own."""
    app_port, emulator_port = free_port(), free_port()
    state = tempfile.mkdtemp(prefix="procfile-")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsapp.settings",
        "DEBUG": "1",
        "APP_PORT": str(app_port),
        "EMULATOR_PORT": str(emulator_port),
        "STATE_DIR": state,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
    }
    for name in ("PUBLIC_BASE_URL", "PUBLIC_LINK_DOMAIN", "TWILIO_API_BASE_URL"):
        environment.pop(name, None)
    log = Path(state) / "honcho.log"
    with log.open("wb") as output:
        honcho = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "honcho", "start"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    app = f"http://127.0.0.1:{app_port}"
    emulator = f"http://127.0.0.1:{emulator_port}"
    try:
        wait_until(
            lambda: answers(f"{app}/healthz") and answers(f"{emulator}/_emulator/stats"),
            timeout=60,
            interval=0.2,
        )
        yield app, emulator, log
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        try:
            honcho.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait()


def signed_in(app: str, user) -> requests.Session:
    """A browser-like session for `user`: the test client's session cookie, and the CSRF token
    a page hands out."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    session.get(f"{app}/", timeout=10).raise_for_status()
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


def kpi(page: str, name: str) -> str:
    found = re.search(rf'id="kpi-{name}">([^<]*)<', page)
    return found.group(1) if found else ""


def test_a_campaign_goes_out_and_a_stop_comes_back_under_make_runs_wiring(sending, procfile):
    app, emulator, log = procfile
    # The worker and beat run on the real clock: recipients where it is about noon (area code
    # 208 spans two zones, so they take the account's).
    sending.account.time_zone = daytime_zone()
    sending.account.save(update_fields=["time_zone"])
    phones = ["+12085552001", "+12085552002", "+12085552003"]
    for n, phone in enumerate(phones):
        sending.contact(f"Newcomer{n}", phone=phone)
    sale = sending.message(name="Opening day")
    bob = signed_in(app, sending.tenant.bob)

    sent = bob.post(f"{app}/sms/{sale.public_id}/send/confirm/", timeout=30)
    assert sent.status_code == 200, sent.text[:2000]

    def delivered_at_emulator() -> bool:
        messages = requests.get(f"{emulator}/_emulator/messages", timeout=5).json()["messages"]
        ours = [m for m in messages if m["to"] in phones]
        return len(ours) == 3 and all(m["status"] == "delivered" for m in ours)

    try:
        wait_until(delivered_at_emulator, timeout=90, interval=0.2)
    except AssertionError:
        rows = list(OutboundMessage.objects.filter(message=sale).values())
        raise AssertionError(f"{rows}\n{log.read_text()[-4000:]}") from None
    callbacks_done = time.monotonic()
    results = f"{app}/analytics/messages/{sale.public_id}/"

    def counted() -> bool:
        page = bob.get(results, timeout=10).text
        return kpi(page, "sent") == "3" and "3 delivered" in page

    try:
        wait_until(counted, timeout=15, interval=0.5)
    except AssertionError:
        raise AssertionError(
            f"results page after {time.monotonic() - callbacks_done:.0f} s: "
            f"sent {kpi(bob.get(results, timeout=10).text, 'sent')!r}\n{log.read_text()[-3000:]}"
        ) from None
    assert SmsMessage.objects.get(pk=sale.pk).status in (
        SmsMessage.Status.SENDING,
        SmsMessage.Status.SENT,
    )

    # A handset answers STOP; the emulator posts it to the app where the Procfile says it runs.
    stop = requests.post(
        f"{emulator}/_emulator/inbound",
        data={"From": phones[0], "To": sending.sender.e164, "Body": "STOP"},
        timeout=30,
    )
    assert stop.status_code == 200, stop.text
    assert stop.json()["webhook_status"] == 200, stop.json()
    wait_until(
        lambda: ConsentStatus.objects.filter(
            account=sending.account, phone_e164=phones[0], status=ConsentState.UNSUBSCRIBED
        ).exists(),
        timeout=30,
        interval=0.2,
    )
