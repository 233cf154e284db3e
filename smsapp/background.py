"""Run a command as background work: the bulk worker (imports, fan-out) under the Procfile and
docker compose.

    python -m smsapp.background -- COMMAND...

It runs COMMAND at the lowest CPU priority (niceness 19) and, on Linux with two or more CPUs,
off the first CPU, which then stays free for the web, the realtime and dispatch workers. Its
database sessions follow it (accounts/session_priority.py). Niceness alone did not do it: on
two cores, an import and a fan-out running at once held the status webhook's p99 at 43-53 ms
against 19 ms with one core kept free (bench queues, BENCH_QUEUES_SCALE=1), because a woken
request still waited for a CPU that background work had.

This module must not import Django: it runs before the settings are read.
"""

from __future__ import annotations

import os
import sys

NICENESS = 19


def cpus_for_background() -> set[int] | None:
    """The CPUs background work may use: all this process may use but the lowest, or None
    where they can't be chosen (not Linux) or there is only one."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = os.sched_getaffinity(0)
    if len(cpus) < 2:
        return None
    return cpus - {min(cpus)}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: python -m smsapp.background -- COMMAND...", file=sys.stderr)
        return 2
    os.nice(NICENESS - os.nice(0))
    cpus = cpus_for_background()
    if cpus is not None:
        os.sched_setaffinity(0, cpus)
    os.execvp(argv[0], argv)  # noqa: S606 - the command the Procfile or compose names


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
