"""Run a worker as asynchronous work that yields the CPU to what people and Twilio wait on.

    python -m smsapp.background realtime -- COMMAND...
    python -m smsapp.background bulk -- COMMAND...

The Procfile and docker compose start the realtime and bulk Celery workers through it. On a
machine shared with the web (`make run`, a small deployment), a request waits for a CPU held by
asynchronous work; each class of that work gives way to what is more urgent than it:

- `realtime` (status batches, keyword answers, one-to-one replies) runs at niceness 10, below
  the web, which answers a person's page or Twilio's webhook while they wait. A status batch is
  a burst of database work every half second: at normal priority it held the status webhook's
  p99 at 1,000/s at about 25 ms against about 15 ms niced (bench queues' idle set-up, five
  rounds each, twice). Its answers are still due within a second, which niceness 10 leaves
  plenty of CPU for; STOP itself is applied in the webhook's request, at the web's priority.
- `bulk` (imports, fan-out) runs at niceness 19 and, on Linux with two or more CPUs, off the
  first CPU, which then stays free for the web, realtime and dispatch. Niceness alone did not
  do it: on two cores, an import and a fan-out running at once held the status webhook's p99
  at 43-53 ms against 19 ms with one core kept free (bench queues, BENCH_QUEUES_SCALE=1),
  because a woken request still waited for a CPU that background work had.

Dispatch keeps normal priority: it paces each number's sends, and a late slot is a lost one.
A worker's database sessions follow its niceness and CPUs (accounts/session_priority.py).

This module must not import Django: it runs before the settings are read.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkClass:
    niceness: int
    leaves_first_cpu_free: bool


WORK_CLASSES = {
    "realtime": WorkClass(niceness=10, leaves_first_cpu_free=False),
    "bulk": WorkClass(niceness=19, leaves_first_cpu_free=True),
}
USAGE = f"usage: python -m smsapp.background {{{','.join(WORK_CLASSES)}}} -- COMMAND..."


def cpus_for_background() -> set[int] | None:
    """The CPUs bulk work may use: all this process may use but the lowest, or None where they
    can't be chosen (not Linux) or there is only one."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = os.sched_getaffinity(0)
    if len(cpus) < 2:
        return None
    return cpus - {min(cpus)}


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] not in WORK_CLASSES or argv[1] != "--":
        print(USAGE, file=sys.stderr)
        return 2
    work_class, command = WORK_CLASSES[argv[0]], argv[2:]
    os.nice(work_class.niceness - os.nice(0))
    cpus = cpus_for_background() if work_class.leaves_first_cpu_free else None
    if cpus is not None:
        os.sched_setaffinity(0, cpus)
    os.execvp(command[0], command)  # noqa: S606 - the command the Procfile or compose names


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
