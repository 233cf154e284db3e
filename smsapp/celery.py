"""The Celery app. Configuration comes from Django settings under the CELERY_ namespace."""

from __future__ import annotations

import os

from celery import Celery, signals

from accounts.logs import log_context_reset, log_context_set, task_ids
from smsapp.heap import startup_heap_freeze

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsapp.settings")

app = Celery("smsapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_log_tokens: dict[str, object] = {}


@signals.worker_process_init.connect  # each process of a prefork pool, once forked
@signals.worker_ready.connect  # the worker's own process, where a solo or threads pool runs
def _heap_freeze(**_) -> None:
    """The app and its tasks are loaded: keep them out of the garbage collector's sweeps
    (smsapp/heap.py)."""
    startup_heap_freeze()


@signals.task_prerun.connect
def _log_context_enter(task_id=None, task=None, args=(), kwargs=None, **_) -> None:
    """Every line a task logs says which task it was and the account and message it was for
    (accounts/logs.py)."""
    ids = task_ids(task.run, tuple(args or ()), dict(kwargs or {})) if task else {}
    _log_tokens[task_id] = log_context_set(task=getattr(task, "name", None), task_id=task_id, **ids)


@signals.task_postrun.connect
def _log_context_leave(task_id=None, **_) -> None:
    token = _log_tokens.pop(task_id, None)
    if token is not None:
        try:
            log_context_reset(token)
        except ValueError:  # set in another thread's context (a pool that switched threads)
            pass
