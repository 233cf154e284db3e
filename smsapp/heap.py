"""Long-running processes keep the objects they start with out of the garbage collector's sweeps.

A process with the app loaded holds about 150,000 objects (Django, DRF, the Twilio SDK,
phonenumbers' tables), all alive until it exits, and Python's full collection walks every one of
them with every thread of the process stopped. Timed with `gc.callbacks` in gunicorn's four
processes under `make bench BENCH_ARGS=webhooks` (about 40 s of callbacks at up to 2,000 a
second): 2 to 4 full collections per process, the longest 210 to 290 ms, each holding up every
request that process had in hand, which is what a p99 is made of. With the loaded objects
frozen, the longest were 27 to 83 ms. `gc.freeze()` moves what exists to a generation the
collector never walks; what requests and tasks allocate afterwards is collected as before.
"""

from __future__ import annotations

import gc


def startup_heap_freeze() -> None:
    """Call once the process has loaded the app and before it takes work."""
    gc.freeze()
