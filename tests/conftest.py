"""Shared fixtures: an account with alice (super admin), bob (marketer) and vera (viewer), and
charlie, the outsider with an account of his own (healthchecks' alice/bob/charlie habit)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client

from accounts.models import Account, Membership, Role, User
from tests.factories import AccountFactory, MembershipFactory, UserFactory

PASSWORD = "password-123"


def browser_required() -> bool:
    return settings.SMSAPP_REQUIRE_BROWSER


@pytest.fixture(autouse=True)
def _redis_empty():
    """Every test starts with its worker's Redis database empty (tests/settings.py gives each
    xdist worker one of its own): no lock, limiter slot or queued task leaks between tests."""
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


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


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


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
