"""Structured logs: the ids a log line is about, and one JSON object per line when
LOG_FORMAT=json.

The ids come from two places. A log call names what it is about with `extra=` (`{"account_id":
..., "message_id": ...}`); and whatever the process is working for is in the log context: the
request's account (set by `accounts.tenancy.AccountMiddleware`), a task's name, id and the
`account_id` / `message_id` it was called with (set around every task, smsapp/celery.py). The
filter copies the context onto every record, so a line logged deep inside a service still says
which account and task it was for.

Loaded by the logging configuration before the apps are: imports no models.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import inspect
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

# The ids a line may carry in a field of its own, in the order they are written.
CONTEXT_FIELDS = (
    "account_id",
    "message_id",
    "outbound_id",
    "contact_id",
    "sender_id",
    "job_id",
    "task",
    "task_id",
)
_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("log_context", default=None)


def log_context_get() -> dict:
    return dict(_context.get() or {})


def log_context_set(**ids) -> contextvars.Token:
    """Add ids to the context until `log_context_reset(token)`; None values are left out."""
    return _context.set({**log_context_get(), **{k: v for k, v in ids.items() if v is not None}})


def log_context_reset(token: contextvars.Token) -> None:
    _context.reset(token)


@contextmanager
def log_context(**ids) -> Iterator[None]:
    token = log_context_set(**ids)
    try:
        yield
    finally:
        log_context_reset(token)


def task_ids(run, args: tuple, kwargs: dict) -> dict:
    """The context fields among a task's arguments (`account_id`, `message_id`, ...), by
    parameter name, whether they were passed by position or keyword."""
    try:
        bound = inspect.signature(run).bind_partial(*args, **kwargs)
    except TypeError:
        return {}
    return {k: v for k, v in bound.arguments.items() if k in CONTEXT_FIELDS}


class LogContextFilter(logging.Filter):
    """Copies the log context onto each record; what the call's `extra=` set wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in log_context_get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the context
    fields present, and the exception's traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
