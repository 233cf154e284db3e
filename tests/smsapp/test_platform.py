"""Health, Celery configuration and production settings."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.urls import reverse

from smsapp import embedded
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


@pytest.mark.django_db
def test_healthz_says_unavailable_when_the_broker_is_down(client, settings):
    # Celery reads its broker from these settings (smsapp/celery.py); so does the check.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get(reverse("healthz"))
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
    # Queues by latency class (tests/smsapp/test_queues.py), taken in the order a worker names.
    assert sorted(conf.task_queues) == ["bulk", "dispatch", "periodic", "realtime"]
    assert conf.broker_transport_options["queue_order_strategy"] == "priority"
    assert conf.task_routes["messaging.tasks.status_callbacks_apply_task"] == {"queue": "realtime"}
    # A misspelt CELERY_* setting would silently leave the default in place.
    from django.conf import settings

    assert conf.broker_url == embedded.broker_url(settings.REDIS_URL)
    assert conf.broker_url.startswith(("redis://", "rediss://", "redis+socket://"))


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


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("key", "says"),
    [
        (None, "SECRET_KEY is not set and DEBUG is off"),
        ("", "SECRET_KEY is not set and DEBUG is off"),
        ("short-but-random-Zq81", "too weak (21 characters"),
        ("a" * 60, "too weak (60 characters, 1 different)"),
        ("django-insecure-dev-key-for-make-run-only", "published placeholder"),
        # docker-compose.yml's old fallback, public in this repository's history.
        ("change-me-in-production-to-a-long-random-value-0123456789", "published placeholder"),
        ("django-insecure-" + "x7Yq2" * 10, "published placeholder"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key(key, says):
    env = production_env()
    if key is None:
        env.pop("SECRET_KEY")
    else:
        env["SECRET_KEY"] = key

    result = manage(env, "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert says in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr  # and what to do about it


def test_a_key_from_secret_key_file_is_accepted(tmp_path):
    env = production_env()
    env.pop("SECRET_KEY")
    (tmp_path / "key").write_text("f1le-" + "Kq9z-" * 12 + "\n")

    assert manage(env | {"SECRET_KEY_FILE": str(tmp_path / "key")}, "check").returncode == 0


def test_development_runs_without_a_key_only_with_debug_on():
    env = production_env()
    env.pop("SECRET_KEY")
    env["DEBUG"] = "1"

    result = manage(env, "check")

    assert result.returncode == 0, result.stderr


def compose_value(value: str) -> str:
    """A docker-compose.yml value as compose resolves it with nothing set in the environment."""
    return re.sub(r"\$\{\w+:?-([^}]*)\}", r"\1", value)


# docker compose runs a worker per queue (tests/smsapp/test_queues.py).
WORKERS = ("worker-realtime", "worker-dispatch", "worker-periodic", "worker-bulk")


def compose_services() -> dict:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return compose["services"]


def test_deploy_check_is_silent_in_composes_environment():
    """docker compose's own settings, with only the key .env must give it, pass check --deploy;
    without a key compose refuses to start (`${SECRET_KEY:?...}`)."""
    for name in ("web", *WORKERS, "beat"):
        environment = compose_services()[name]["environment"]
        assert re.fullmatch(r"\$\{SECRET_KEY:\?.+\}", environment["SECRET_KEY"]), name
        assert compose_value(environment["SECURE_SSL_REDIRECT"]) == "true"
        assert compose_value(environment["SESSION_COOKIE_SECURE"]) == "true"
        assert compose_value(environment["CSRF_COOKIE_SECURE"]) == "true"
    environment = {
        k: compose_value(str(v))
        for k, v in compose_services()["web"]["environment"].items()
        if k != "SECRET_KEY"
    }
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DEBUG", "SECURE_", "SESSION_", "CSRF_", "SECRET_"))
    }
    env.update(environment, SECRET_KEY="c0mp0se-" + "dotenv-K3y-" * 5)

    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_compose_runs_the_emulator_and_points_the_app_at_it(monkeypatch):
    services = compose_services()
    emulator = services["emulator"]
    web = services["web"]
    for name in (
        "web",
        "worker-realtime",
        "worker-dispatch",
        "worker-periodic",
        "worker-bulk",
        "beat",
    ):
        environment = {k: compose_value(str(v)) for k, v in services[name]["environment"].items()}
        assert environment["TWILIO_API_BASE_URL"] == "http://emulator:8010", name
        assert urlsplit(environment["PUBLIC_BASE_URL"]).netloc == "web:8000", name
        assert "web" in environment["ALLOWED_HOSTS"].split(","), name
        assert "emulator" in services[name]["depends_on"], name
        assert "media:/app/var/media" in services[name]["volumes"], name
    assert "8000" in web["command"]

    # The emulator's command line is one its own argument parser accepts.
    from twilio_emulator import __main__ as emulator_main

    served = {}
    monkeypatch.setattr(emulator_main, "serve", lambda **kwargs: served.update(kwargs))
    emulator_main.main(shlex.split(emulator["command"])[3:])
    assert shlex.split(emulator["command"])[:3] == ["python", "-m", "twilio_emulator"]
    assert (served["host"], served["port"]) == ("0.0.0.0", 8010)  # noqa: S104 - in its container
    # Twilio (here the emulator) posts webhooks to PUBLIC_BASE_URL and signs that URL; the app
    # checks signatures against it, so both must name web the same way.
    assert served["inbound_url"] == "http://web:8000/webhooks/twilio/inbound"


def test_the_image_builds_the_front_end_bundle():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^RUN npm ci .*&& npm run build", dockerfile, re.M)
    assert "COPY --from=assets /app/build ./build" in dockerfile
    build = json.loads((ROOT / "package.json").read_text())["scripts"]["build"]
    # collectstatic serves build/static as static/build/ (STATICFILES_DIRS).
    assert "--outfile=build/static/segments-calculator.js" in build


def ci_run_with(tmp_path: Path, *present: str) -> list[str]:
    """Run .ci/run with only ``present`` (and the stubs it always needs) on PATH; return the
    commands the stubs saw (apt-get, make)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name in ("apt-get", "make", *present):
        stub = bin_dir / name
        # make says whether it was handed a database or Redis URL: CI must take the
        # newcomer's path, with neither.
        urls = " urls=${DATABASE_URL-}${REDIS_URL-}" if name == "make" else ""
        stub.write_text(f'#!/bin/sh\necho "{name} $*{urls}" >> "{log}"\n')
        stub.chmod(0o755)
    for tool in ("dirname", "ls", "sh"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    result = subprocess.run(
        ["/bin/bash", str(ROOT / ".ci" / "run")],
        env={
            "PATH": str(bin_dir),
            "HOME": str(tmp_path),
            "DATABASE_URL": "postgres://someone-else@127.0.0.1/theirs",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in log.read_text().splitlines() if line.startswith(("apt-get", "make"))]


def test_ci_installs_node_when_missing_and_runs_the_newcomers_make_test(tmp_path):
    calls = ci_run_with(tmp_path)
    installs = [c for c in calls if c.startswith("apt-get install")]
    assert len(installs) == 1
    assert {"nodejs", "npm"} <= set(installs[0].split())
    # With no URL set, whatever the machine's environment held: the embedded engine.
    assert calls[-2:] == ["make lint urls=", "make test urls="]


def test_ci_installs_nothing_when_node_is_there(tmp_path):
    calls = ci_run_with(tmp_path, "node", "npm")
    assert calls == ["make lint urls=", "make test urls="]


def test_make_run_on_other_ports_builds_its_urls_and_banner_on_them():
    """`make run PORT=8123 EMULATOR_PORT=8133`: webhooks and short links point at the port the
    app really serves, over http (runserver), and the banner names both ports."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PUBLIC_", "TWILIO_", "DEBUG", "APP_PORT", "EMULATOR_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="smsapp.settings", DEBUG="1")
    env.update(APP_PORT="8123", EMULATOR_PORT="8133")
    script = (
        "from django.conf import settings as s; "
        "print(s.PUBLIC_BASE_URL, s.PUBLIC_LINK_DOMAIN, s.PUBLIC_LINK_SCHEME, "
        "s.TWILIO_API_BASE_URL)"
    )
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity=0", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert shown == [
        "http://127.0.0.1:8123",
        "127.0.0.1:8123",
        "http",
        "http://127.0.0.1:8133",
    ]
    banner = subprocess.run(
        [sys.executable, "manage.py", "demo_banner"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "http://127.0.0.1:8123/" in banner
    assert "http://127.0.0.1:8133/_emulator/messages" in banner


def test_procfile_wires_the_emulator_to_the_apps_own_port():
    """honcho gives every process a PORT of its own (5000, 5100, ...): the emulator must post
    inbound texts to APP_PORT, where runserver listens, never to its own PORT."""
    procfile = dict(
        line.split(": ", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert "127.0.0.1:${APP_PORT:-8000}" in procfile["web"]
    assert "--inbound-url http://127.0.0.1:${APP_PORT:-8000}/" in procfile["emulator"]
    assert "${PORT" not in "".join(procfile.values())


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
    assert (ROOT / "static" / "img" / "favicon.svg").exists()
