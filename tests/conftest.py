"""Shared fixtures: an account with alice (super admin), bob (marketer) and vera (viewer), and
charlie, the outsider with an account of his own (healthchecks' alice/bob/charlie habit)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client

from smsapp.models import Account, Membership, Role, User
from tests.factories import AccountFactory, MembershipFactory, UserFactory

PASSWORD = "password-123"


def services_required() -> bool:
    return settings.SMSAPP_REQUIRE_SERVICES


def pytest_sessionstart(session):
    """In CI the suite must run on PostgreSQL and Redis; fail loudly instead of falling back."""
    if not services_required():
        return
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        raise pytest.UsageError(f"SMSAPP_REQUIRE_SERVICES is set but the database is {engine}")
    if not settings.REDIS_URL:
        raise pytest.UsageError("SMSAPP_REQUIRE_SERVICES is set but REDIS_URL is not")
    import redis

    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()


@pytest.fixture
def postgresql():
    """For what only PostgreSQL does (COPY, SKIP LOCKED, concurrent writers): skipped on the
    SQLite default, never in CI (SMSAPP_REQUIRE_SERVICES), where the suite runs on PostgreSQL."""
    from django.db import connection

    if connection.vendor != "postgresql":
        if services_required():
            pytest.fail("SMSAPP_REQUIRE_SERVICES is set but the database isn't PostgreSQL")
        pytest.skip("needs PostgreSQL")


@pytest.fixture
def redis_url() -> str:
    """The real Redis; a test that needs it fails in CI when it is missing and skips elsewhere."""
    import redis

    url = settings.REDIS_URL or os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if services_required():
            raise
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    return url


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
        if services_required():
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
