"""Structured logs: LOG_FORMAT=json writes one object per line with the account, message and
task ids a line is about, from the call, the request or the task it ran in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from accounts.logs import log_context_get
from accounts.tenancy import AccountMiddleware

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import logging

import django

django.setup()
from accounts.logs import log_context
from smsapp.celery import app

log = logging.getLogger("smsapp.probe")
with log_context(account_id=7):
    log.warning("inside %s", "a request", extra={"message_id": 42})


@app.task(name="probe.log_task")
def log_task(account_id, message_id, note=""):
    log.warning("in a task")


log_task.apply(args=[3], kwargs={"message_id": 9})
log.warning("after")
"""


def probe(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "smsapp.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_json_lines_carry_the_ids_of_the_call_and_of_the_task():
    result = probe(LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line["logger"] == "smsapp.probe"]
    assert [line["message"] for line in ours] == ["inside a request", "in a task", "after"]
    inside, in_task, after = ours
    assert (inside["account_id"], inside["message_id"], inside["level"]) == (7, 42, "WARNING")
    assert "task" not in inside
    assert (in_task["task"], in_task["account_id"], in_task["message_id"]) == (
        "probe.log_task",
        3,
        9,
    )
    assert in_task["task_id"]
    # Nothing leaks past the request or the task.
    assert not {"account_id", "message_id", "task"} & set(after)
    assert after["time"].endswith("+00:00")


def test_plain_is_the_default_and_an_unknown_format_refuses_to_start():
    plain = probe()
    assert plain.returncode == 0, plain.stderr
    assert "WARNING smsapp.probe inside a request" in plain.stderr
    assert not any(line.startswith("{") for line in plain.stderr.splitlines())
    wrong = probe(LOG_FORMAT="xml")
    assert wrong.returncode != 0
    assert "LOG_FORMAT must be plain or json" in wrong.stderr


@pytest.mark.django_db
def test_a_request_logs_with_its_account(tenant):
    from tests.conftest import client_for

    request = RequestFactory().get("/")
    request.session = client_for(tenant.bob).session
    request.user = tenant.bob
    seen = AccountMiddleware(lambda request: log_context_get())(request)
    assert seen == {"account_id": tenant.account.pk}
    assert log_context_get() == {}
