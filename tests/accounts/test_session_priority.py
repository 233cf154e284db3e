"""A niced process (the bulk worker) does its database work niced too: its PostgreSQL session,
on the same machine, runs at the process's niceness; a process at normal priority leaves its
session alone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import database_url

pytestmark = pytest.mark.django_db

# Connects as any process of the app does, then reads its own session's niceness.
PROBE = textwrap.dedent(
    """
    import os
    import django
    django.setup()
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    print(os.getpriority(os.PRIO_PROCESS, pid))
    """
)


def _session_niceness(*nice: str) -> int:
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [*nice, sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "smsapp.settings",
            "DATABASE_URL": database_url(),
        },
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def test_a_niced_process_gets_a_database_session_as_nice():
    if not database_url().split("host=")[-1].startswith("/"):
        pytest.skip("the test database is reached over TCP, where sessions keep their priority")
    baseline = os.getpriority(os.PRIO_PROCESS, 0)
    assert _session_niceness("nice", "-n", "7") == baseline + 7


def test_a_process_at_normal_priority_leaves_its_session_alone():
    # The server's sessions start at its own niceness, which the test run's shares.
    assert _session_niceness() == os.getpriority(os.PRIO_PROCESS, 0)
