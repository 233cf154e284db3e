"""A niced process's database work runs niced too, and on the same CPUs, when the database
shares its machine.

The bulk worker runs under `nice` (Procfile, docker compose) so that an import or a fan-out
yields the CPU to what people and Twilio wait on. But most of a bulk task's work is done by its
PostgreSQL session, a process of the server's own at normal priority: on one box (`make run`'s
embedded server, a small deployment) an import's COPY and a fan-out's INSERT ... SELECT still
took a core from the web's status callbacks and from dispatch (bench queues). So each new
connection of a niced process gives its session the process's own niceness and CPUs
(smsapp/background.py keeps one CPU free of background work).

PostgreSQL makes each session process the leader of a session of its own (setsid), and where
the kernel groups scheduling by session (autogroup, on by default in most Linux distributions)
a process's niceness only weighs it against the others of its group: that session, alone. So
the session's group is given the niceness too (/proc/<pid>/autogroup); without it each bulk
session took as large a share of the CPU as all of gunicorn's processes together.

Only for a server reached through a Unix socket, whose process ids are this machine's; a server
over TCP may be in a container or on another machine, where the same number names some other
process. Where the session can't be reniced (the server runs as another user and this one may
not), the work runs as before.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)


def _local_socket(connection: BaseDatabaseWrapper) -> bool:
    # libpq takes the socket folder from HOST or, from a URL's `?host=`, from OPTIONS; neither
    # set means its default socket.
    host = connection.settings_dict.get("HOST") or connection.settings_dict["OPTIONS"].get(
        "host", ""
    )
    return not host or host.startswith("/")


def session_priority_follow(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """connection_created: the new session's server process gets this one's niceness and CPUs."""
    niceness = os.getpriority(os.PRIO_PROCESS, 0)
    if niceness <= 0 or connection.vendor != "postgresql" or not _local_socket(connection):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        # The number must name a PostgreSQL process here, or the socket is not this machine's
        # server after all (a folder shared with a container).
        if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
            return
        os.setpriority(os.PRIO_PROCESS, pid, niceness)
        if hasattr(os, "sched_setaffinity"):  # Linux
            os.sched_setaffinity(pid, os.sched_getaffinity(0))
        autogroup = Path(f"/proc/{pid}/autogroup")
        # Only a group the session leads alone; another would renice other processes with it.
        if os.getsid(pid) == pid and autogroup.exists():
            autogroup.write_text(str(niceness))
    except OSError as error:
        logger.info("database session %s keeps its priority: %s", pid, error)
