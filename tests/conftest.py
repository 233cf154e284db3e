"""Shared fixtures: an account with alice (super admin), bob (marketer) and vera (viewer), and
charlie, the outsider with an account of his own (healthchecks' alice/bob/charlie habit); an
in-process Twilio emulator the app's settings point at; and `sending`: a sender number and
consenting contacts, for the tests of every app that sends."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection
from django.test import Client, testcases
from django.utils import timezone

from accounts.models import Account, Membership, Role, User
from consent import services as consent_services
from consent.models import ConsentState, SubscriptionType
from contacts import services as contact_services
from contacts.models import Contact, ContactList
from messaging.models import OutboundMessage, SmsMessage
from registration.models import PhoneNumber
from smsapp import embedded
from tests.factories import (
    AccountFactory,
    MembershipFactory,
    OutboundMessageFactory,
    PhoneNumberFactory,
    SmsMessageFactory,
    UserFactory,
)
from twilio_emulator.server import EmulatorHandle, start_in_thread

PASSWORD = "password-123"
ROOT = Path(__file__).resolve().parents[1]


def browser_required() -> bool:
    return settings.SMSAPP_REQUIRE_BROWSER


@pytest.fixture(autouse=True)
def _redis_empty():
    """Every test starts with its worker's Redis database empty (tests/settings.py gives each
    xdist worker one of its own): no lock, limiter slot or queued task leaks between tests."""
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.fixture(autouse=True, scope="session")
def _live_server_answers_at_once():
    """The live server sends each answer as soon as it is written: with Nagle's algorithm on,
    a keep-alive client's next request waits out the delayed ACK (about 40 ms) every time,
    and a test making thousands of requests (the schemathesis run) spends most of its time
    waiting on it."""
    handler = testcases.QuietWSGIRequestHandler
    handler.disable_nagle_algorithm = True
    yield
    handler.disable_nagle_algorithm = False


@pytest.fixture
def redis_url() -> str:
    """The run's Redis (its own embedded one unless REDIS_URL names a server)."""
    return settings.REDIS_URL


def daytime_zone() -> str:
    """A time zone where it is now about noon. Texts that worker processes send run on the real
    clock, which a test can't pin; recipients in this zone are inside quiet hours (08:00-20:00
    by default) whatever the hour the suite runs at."""
    offset = (12 - dt.datetime.now(dt.UTC).hour + 12) % 24 - 12  # hours east of UTC, -12..11
    # The Etc zones' signs are POSIX's: Etc/GMT-3 is three hours east of UTC.
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"


def database_url() -> str:
    """The test database as a URL, for the worker and web processes a test starts."""
    database = connection.settings_dict
    host = database["HOST"] or database["OPTIONS"].get("host") or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{database['USER']}@/{database['NAME']}?host={host}"
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    return (
        f"postgres://{database['USER']}{password}@{host}:{database['PORT'] or 5432}/"
        f"{database['NAME']}"
    )


@dataclass
class Tenant:
    account: Account
    alice: User
    bob: User
    vera: User
    charlie: User
    other_account: Account

    def membership(self, user: User) -> Membership:
        return Membership.objects.get(user=user, account=self.account)


@pytest.fixture
def tenant(db) -> Tenant:
    account = AccountFactory(name="Acme Outdoor")
    alice = UserFactory(email="alice@example.com")
    bob = UserFactory(email="bob@example.com")
    vera = UserFactory(email="vera@example.com")
    charlie = UserFactory(email="charlie@example.com")
    other = AccountFactory(name="Charlie's Cafe")
    MembershipFactory(account=account, user=alice, role=Role.SUPER_ADMIN, can_setup_sms=True)
    MembershipFactory(account=account, user=bob, role=Role.MARKETER)
    MembershipFactory(account=account, user=vera, role=Role.VIEWER)
    MembershipFactory(account=other, user=charlie, role=Role.SUPER_ADMIN, can_setup_sms=True)
    return Tenant(account, alice, bob, vera, charlie, other)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(tenant) -> Client:
    return client_for(tenant.alice)


@pytest.fixture
def bob_client(tenant) -> Client:
    return client_for(tenant.bob)


@pytest.fixture
def vera_client(tenant) -> Client:
    return client_for(tenant.vera)


@pytest.fixture
def charlie_client(tenant) -> Client:
    return client_for(tenant.charlie)


@pytest.fixture
def emulator(settings) -> EmulatorHandle:
    """A Twilio emulator in this process, with the platform account of the settings; the app's
    Twilio calls go to it. Its status callbacks go to a closed port unless a test serves them
    (it sets PUBLIC_BASE_URL to its live_server)."""
    handle = start_in_thread(
        callback_delay=0,
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN,
    )
    settings.TWILIO_API_BASE_URL = handle.url
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:9"
    yield handle
    handle.stop()


def emulated_texts(emulator: EmulatorHandle, to: str | None = None) -> list[dict]:
    """What the emulator was asked to send (to one number, or to all)."""
    url = f"{emulator.url}/_emulator/messages" + (f"?To={to}" if to else "")
    with urllib.request.urlopen(url) as response:  # noqa: S310 - the local emulator
        return json.load(response)["messages"]


SENDER_NUMBER = "+14155550100"


@dataclass
class Sending:
    """The tenant ready to send: an active number, the default subscription type and an
    audience list, with helpers for consenting contacts and messages."""

    tenant: Tenant
    sender: PhoneNumber
    subscription_type: SubscriptionType
    audience: ContactList

    @property
    def account(self):
        return self.tenant.account

    def contact(
        self,
        first_name: str,
        *,
        phone: str = "",
        mobile_phone: str = "",
        subscribed: bool = True,
        in_list: bool = True,
        **fields,
    ) -> Contact:
        contact = contact_services.contact_create(
            account=self.account,
            first_name=first_name,
            phone=phone,
            mobile_phone=mobile_phone,
            **fields,
        )
        if subscribed is not None and (contact.phone_e164 or contact.mobile_phone_e164):
            for e164, reason in (
                (contact.mobile_phone_e164, contact.mobile_phone_sms_invalid_reason),
                (contact.phone_e164, contact.phone_sms_invalid_reason),
            ):
                if e164 and not reason:
                    self.subscribe(e164, subscribed=subscribed)
        if in_list:
            self.audience_add(contact)
        return contact

    def subscribe(self, e164: str, *, subscribed: bool = True) -> None:
        """Set consent for the phone on every contact that has it (as a keyword would)."""
        consent_services.phone_consent_set(
            account=self.account,
            phone_e164=e164,
            subscription_types=[self.subscription_type],
            status=ConsentState.SUBSCRIBED if subscribed else ConsentState.UNSUBSCRIBED,
            source="import",
            evidence="test fixture",
        )

    def audience_add(self, contact: Contact) -> None:
        contact_services.contact_list_add(
            account=self.account, contact_list=self.audience, contact_ids=[contact.pk]
        )

    def message(
        self, body: str = 'Hi {{ contact.first_name | default: "there" }}!', **fields
    ) -> SmsMessage:
        fields.setdefault("sender", self.sender)
        message = SmsMessageFactory(
            account=self.account,
            name=fields.pop("name", "Spring sale"),
            body=body,
            subscription_type=self.subscription_type,
            owner=self.tenant.alice,
            **fields,
        )
        message.include_lists.add(self.audience)
        return message

    def texts_due_now(self, count: int) -> SmsMessage:
        """A sending message with `count` texts due now, for tests whose worker processes run on
        the real clock: the recipients are where it is about noon (area code 208 spans two zones,
        so each text goes by the account's zone, chosen from the clock)."""
        self.account.time_zone = daytime_zone()
        self.account.save(update_fields=["time_zone"])
        message = self.message(status=SmsMessage.Status.SENDING)
        now = timezone.now()
        OutboundMessage.objects.bulk_create(
            [
                OutboundMessageFactory.build(
                    account=self.account,
                    message=message,
                    sender=self.sender,
                    # 2000-6999: clear of the emulator's special endings (0429, 0500, 1610...).
                    to_phone=f"+1208555{n + 2000:04d}",
                    body=f"Flash sale #{n}. Reply STOP to opt out",
                    segments=1,
                    encoding="GSM-7",
                    due_at=now,
                )
                for n in range(count)
            ],
            batch_size=1000,
        )
        return message


@pytest.fixture
def sending(tenant) -> Sending:
    consent_services.account_defaults_ensure(account=tenant.account)
    subscription_type = SubscriptionType.objects.get(account=tenant.account, is_default=True)
    sender = PhoneNumberFactory(
        account=tenant.account,
        e164=SENDER_NUMBER,
        status=PhoneNumber.Status.ACTIVE,
        messages_per_second=500,
        tmobile_daily_cap=100_000,
    )
    audience = contact_services.contact_list_create(
        account=tenant.account, name="Customers", kind="static", created_by=tenant.alice
    )
    return Sending(tenant, sender, subscription_type, audience)


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Wait until a JavaScript expression is true in the page. Playwright's own
    `wait_for_function` polls its predicate with eval inside the page, which the app's
    Content-Security-Policy refuses; `page.evaluate` goes through the DevTools protocol, which
    the policy doesn't govern."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {expression}")
        page.wait_for_timeout(50)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (its own browser download can't run here)."""
    if not os.path.exists(CHROMIUM):
        if browser_required():
            pytest.fail(f"Chromium is missing at {CHROMIUM}; .ci/run installs it")
        pytest.skip(f"Chromium is missing at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
    # body (fixtures, assertions) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def redis_server():
    """A Redis of the test's own, so it can be restarted without touching anyone else's (in
    a short folder: a Unix socket's path is at most 107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="redis-"))
    server = {"process": embedded.redis_start(folder), "url": embedded.redis_url(folder)}

    def restart():
        server["process"].kill()
        server["process"].wait()
        server["process"] = embedded.redis_start(folder)

    server["restart"] = restart
    yield server
    server["process"].kill()
    server["process"].wait()
    shutil.rmtree(folder, ignore_errors=True)


def _environment(emulator, redis_url: str, env: dict) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smsapp.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "TWILIO_API_BASE_URL": emulator.url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **env,
    }


def worker(emulator, redis_url: str, *, name: str = "worker", **env) -> subprocess.Popen:
    """A Celery worker in a process of its own on the test database, the given Redis and the
    emulator, as production runs one (solo pool); `name@<host>` answers `worker_ready`."""
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
            f"--hostname={name}@%h",
        ],
        cwd=ROOT,
        env=_environment(emulator, redis_url, env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def worker_ready(redis_url: str, name: str) -> bool:
    """Whether the worker called `name` answers a ping (it consumes tasks)."""
    # Not made current: the project's shared tasks would publish to this Redis from then on.
    app = Celery(broker=embedded.broker_url(redis_url), set_as_current=False)
    try:
        replies = app.control.ping(timeout=0.5)
    finally:
        app.close()
    return any(host.startswith(f"{name}@") for reply in replies for host in reply)


def beat(emulator, redis_url: str, folder: Path, **env) -> subprocess.Popen:
    """Celery beat in a process of its own, queueing the production schedule on the given
    Redis (its schedule file in `folder`)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "smsapp",
            "beat",
            "--loglevel=WARNING",
            f"--schedule={folder / 'beat-schedule'}",
        ],
        cwd=ROOT,
        env=_environment(emulator, redis_url, env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def enqueue(redis_url: str, task: str, *args) -> None:
    """Queue a task by name on the given Redis, as beat or a web process would."""
    app = Celery(broker=embedded.broker_url(redis_url), set_as_current=False)
    # Published on the task's queue, as the project's app routes it (the workers consume those).
    app.conf.update(
        task_queues=settings.CELERY_TASK_QUEUES,
        task_routes=settings.CELERY_TASK_ROUTES,
        task_default_queue=settings.CELERY_TASK_DEFAULT_QUEUE,
        task_default_exchange=settings.CELERY_TASK_DEFAULT_EXCHANGE,
    )
    app.send_task(task, args=args)
    app.close()
