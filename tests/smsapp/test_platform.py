"""Health, Celery configuration and production settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from kombu import pools as kombu_pools

from smsapp.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, settings):
    response = client.get(reverse("healthz"))
    body = response.json()
    assert body["database"] is True
    assert body["broker"] is True
    assert body["status"] == "ok"
    assert response.status_code == 200


def broker_pools_reset() -> None:
    """Drop every cached broker connection and producer pool. Closing a pool alone
    (``pool.force_close_all()``) leaves it cached and closed, so every later ``.delay()`` in the
    same process fails with "Acquire on closed pool"."""
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db
def test_healthz_says_unavailable_when_the_broker_is_down(client, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})
    broker_pools_reset()
    try:
        response = client.get(reverse("healthz"))
    finally:
        monkeypatch.undo()
        broker_pools_reset()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": True, "broker": False}


def test_celery_loads_the_intended_configuration():
    conf = celery_app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_time_limit == 600
    assert conf.task_soft_time_limit == 540
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    # A misspelt CELERY_* setting would silently leave the default in place.
    from django.conf import settings

    expected_broker = settings.REDIS_URL or "filesystem://"
    assert conf.broker_url == expected_broker


def production_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DEBUG", "SECURE_", "SESSION_", "CSRF_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="smsapp.settings",
        DEBUG="false",
        SECRET_KEY="p0-" + "k3y-" * 12 + "production-grade-secret-value",
        ALLOWED_HOSTS="sms.example.com",
        **extra,
    )
    return env


def test_deploy_check_is_silent_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_flags_the_development_secret_key():
    env = production_env()
    env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr
