"""Django set up for a benchmark: PostgreSQL (a database of its own) and migrated."""

from __future__ import annotations

import os

BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/smsapp_bench"


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsapp.settings")
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", BENCH_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    _database_ensure(os.environ["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _database_ensure(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
