"""Web and worker processes freeze the heap they start with (smsapp/heap.py), so the garbage
collector's full sweeps don't stop them for 70 ms at a time under load."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def frozen_after(code: str) -> int:
    """How many objects are out of the collector's reach once `code` has run in a fresh
    process with the app loaded."""
    probe = f"import gc, django; django.setup(); {code}; print(gc.get_freeze_count())"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def test_a_web_process_freezes_the_loaded_app():
    assert frozen_after("pass") == 0
    loaded = frozen_after(
        "import runpy; runpy.run_path('gunicorn.conf.py')['post_worker_init'](None)"
    )
    assert loaded > 50_000


def test_each_celery_process_freezes_the_loaded_app():
    worker = "from celery import signals; from smsapp.celery import app"
    assert frozen_after(f"{worker}; signals.worker_process_init.send(sender=None)") > 50_000
    assert frozen_after(f"{worker}; signals.worker_ready.send(sender=None)") > 50_000
