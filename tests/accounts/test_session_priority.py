"""A niced process (the bulk worker) does its database work niced too: its PostgreSQL session,
on the same machine, runs at the process's niceness; a process at normal priority leaves its
session alone."""

from __future__ import annotations

import json
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
    import json
    import os
    import django
    django.setup()
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    print(os.getpriority(os.PRIO_PROCESS, pid))
    # Where the kernel schedules by session (autogroup), the session's group's niceness.
    try:
        print(open(f"/proc/{pid}/autogroup").read().split()[-1])
    except OSError:
        print("")
    cpus = getattr(os, "sched_getaffinity", lambda pid: [])  # Linux only
    print(json.dumps([sorted(cpus(0)), sorted(cpus(pid))]))
    """
)


def _probe(*prefix: str) -> list[str]:
    """What PROBE prints, run by a process started as `prefix` says (`nice -n 7`, the
    background wrapper): its session's niceness, its autogroup's ("" where the kernel has
    none), and the process's and the session's CPUs."""
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [*prefix, sys.executable, "-c", PROBE],
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
    return result.stdout.splitlines()[-3:]


def _local_database() -> None:
    if not database_url().split("host=")[-1].startswith("/"):
        pytest.skip("the test database is reached over TCP, where sessions keep their priority")


def test_a_niced_process_gets_a_database_session_as_nice():
    _local_database()
    baseline = os.getpriority(os.PRIO_PROCESS, 0)
    niceness, autogroup, _ = _probe("nice", "-n", "7")
    assert int(niceness) == baseline + 7
    # PostgreSQL's sessions lead a scheduling group of their own, weighed by its niceness.
    assert autogroup in ("", str(baseline + 7))


def test_a_process_at_normal_priority_leaves_its_session_alone():
    # The server's sessions start at its own niceness, which the test run's shares.
    assert int(_probe()[0]) == os.getpriority(os.PRIO_PROCESS, 0)


def _our_cpus() -> list[int]:
    return sorted(getattr(os, "sched_getaffinity", lambda pid: [])(0))


def test_bulk_work_runs_at_the_lowest_priority_and_leaves_a_cpu_free():
    """The bulk worker's wrapper (Procfile, compose): niceness 19 and, with two CPUs or more,
    every CPU but the lowest; its database session gets the same."""
    _local_database()
    niceness, autogroup, cpus = _probe(sys.executable, "-m", "smsapp.background", "bulk", "--")
    assert int(niceness) == 19
    assert autogroup in ("", "19")
    own, session = json.loads(cpus)
    ours = _our_cpus()
    assert own == (ours[1:] if len(ours) >= 2 else ours)
    assert session == own


def test_realtime_work_yields_to_the_web_on_every_cpu():
    """The realtime worker's wrapper: below the web (niceness 10), above bulk, on all CPUs."""
    _local_database()
    niceness, autogroup, cpus = _probe(sys.executable, "-m", "smsapp.background", "realtime", "--")
    assert int(niceness) == 10
    assert autogroup in ("", "10")
    own, session = json.loads(cpus)
    assert own == session == _our_cpus()


@pytest.mark.parametrize("argv", [["--", "true"], ["idle", "--", "true"], ["realtime", "true"]])
def test_the_wrapper_names_its_classes_when_misused(argv):
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "smsapp.background", *argv],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "python -m smsapp.background {realtime,bulk} -- COMMAND" in result.stderr
