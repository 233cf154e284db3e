"""Web and worker processes freeze the heap they start with and what their first work loads
(smsapp/heap.py), so the garbage collector's full sweeps don't stop them for tens of ms at a
time under load."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from smsapp.heap import WARM_UP_COLLECTIONS
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


WARM_UP_PROBE = textwrap.dedent(
    """
    import gc
    from smsapp.heap import WARM_UP_COLLECTIONS, startup_heap_freeze
    startup_heap_freeze()
    kept, frozen = [], []
    for _ in range(WARM_UP_COLLECTIONS + 1):
        before = gc.get_freeze_count()
        kept.append([[] for _ in range(10_000)])  # what a first request would load and keep
        gc.collect()
        frozen.append(gc.get_freeze_count() - before)
    print(*frozen)
    """
)


def test_what_the_first_work_loads_is_frozen_after_the_first_full_collections():
    """What a process loads on its first requests or tasks survives its first full collections
    and is frozen then; after those, what lives on is walked again as usual."""
    done = subprocess.run(
        [sys.executable, "-c", WARM_UP_PROBE], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    *warm_up, after = map(int, done.stdout.split())
    assert len(warm_up) == WARM_UP_COLLECTIONS
    assert all(frozen >= 10_000 for frozen in warm_up)
    assert after == 0
