"""PUBLIC_BASE_URL and the link-domain settings are checked when any process starts: a value
Twilio would refuse as a webhook URL stops it with a message that says what to set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smsapp.public_urls import public_settings_problems

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "base_url": "https://sms.example.com",
    "link_domain": "go.example.com",
    "link_scheme": "https",
}


@pytest.mark.parametrize(
    "values",
    [
        GOOD,
        # `make run` and the tests: runserver on the loopback address, plain HTTP.
        {
            "base_url": "http://127.0.0.1:8000",
            "link_domain": "127.0.0.1:8000",
            "link_scheme": "http",
        },
        # docker-compose: the web service by its name.
        {**GOOD, "base_url": "http://web:8000"},
        {**GOOD, "base_url": "https://example.com/sms"},
    ],
)
def test_urls_twilio_accepts_pass(values):
    assert public_settings_problems(**values) == []


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"base_url": "sms.example.com"}, "PUBLIC_BASE_URL must be the absolute http(s) URL"),
        ({"base_url": "ftp://sms.example.com"}, "PUBLIC_BASE_URL must be the absolute http(s)"),
        ({"base_url": "https://sms_app.example.com"}, "no underscores"),
        ({"base_url": "https://sms.example.com:eighty"}, "PUBLIC_BASE_URL must be"),
        ({"base_url": "https://sms.example.com/?x=1"}, "no query"),
        ({"link_domain": "https://go.example.com"}, "the scheme goes in PUBLIC_LINK_SCHEME"),
        ({"link_domain": "go example.com"}, "PUBLIC_LINK_DOMAIN must be a host name"),
        ({"link_scheme": "ftp"}, "PUBLIC_LINK_SCHEME must be http or https (got 'ftp')"),
    ],
)
def test_values_twilio_or_a_phone_would_refuse_are_explained(changes, words):
    [problem] = public_settings_problems(**{**GOOD, **changes})
    assert words in problem


def _check(**environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PUBLIC_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="smsapp.settings", DEBUG="1", **environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_process_will_not_start_on_a_public_base_url_without_a_scheme():
    result = _check(PUBLIC_BASE_URL="sms.example.com")

    assert result.returncode != 0
    assert "ImproperlyConfigured: PUBLIC_BASE_URL must be the absolute http(s) URL" in (
        result.stderr
    )
    assert "(got 'sms.example.com')" in result.stderr


def test_the_make_run_defaults_start():
    result = _check()

    assert result.returncode == 0, result.stderr
