"""Long-running processes keep the objects they start with out of the garbage collector's sweeps.

A process with the app loaded holds about 150,000 objects (Django, DRF, the Twilio SDK,
phonenumbers' tables), all alive until it exits. Python's full collection walks every one of
them, about 70 ms here, with every thread of the process stopped; under load (a web process
taking 1,000 status callbacks a second) it came often enough to set the p99 and to cost a third
of the throughput (`make bench BENCH_ARGS=webhooks`: 1,108 callbacks a second flat out before,
1,610 after). `gc.freeze()` moves what exists to a generation the collector never walks; what
requests and tasks allocate afterwards is collected as before.
"""

from __future__ import annotations

import gc


def startup_heap_freeze() -> None:
    """Call once the process has loaded the app and before it takes work."""
    gc.freeze()
