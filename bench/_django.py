"""Django set up for a benchmark: PostgreSQL (a database of its own) and migrated.

`make bench` runs inside `python -m smsapp.embedded`: with no URL set, the benchmarks' databases
live on the embedded PostgreSQL under var/ (beside `make run`'s, never in it) and use Redis
database 13. BENCH_DATABASE_URL names another server.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from smsapp import embedded

BENCH_DATABASE = "smsapp_bench"
BENCH_REDIS_DB = 13


def bench_database_url(name: str) -> str:
    """Database `name` on the benchmarks' server: BENCH_DATABASE_URL's, else DATABASE_URL's."""
    url = (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or embedded.default_database_url()
    )
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def django_setup(database: str = BENCH_DATABASE) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsapp.settings")
    os.environ["DATABASE_URL"] = bench_database_url(database)
    os.environ["REDIS_URL"] = embedded.redis_url_with_db(
        os.environ.get("REDIS_URL") or embedded.default_redis_url(), BENCH_REDIS_DB
    )
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    _database_ensure(os.environ["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def database_drop(name: str) -> None:
    """Drop a benchmark's own database, so that it starts from nothing (a run leaves its rows)."""
    import psycopg

    admin = urlunsplit(urlsplit(bench_database_url(name))._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _database_ensure(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
