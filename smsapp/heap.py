"""Long-running processes keep the objects they live on out of the garbage collector's sweeps.

A process with the app loaded holds about 150,000 objects (Django, DRF, the Twilio SDK,
phonenumbers' tables), all alive until it exits, and Python's full collection walks every one of
them with every thread of the process stopped. Timed with `gc.callbacks` in gunicorn's four
processes under `make bench BENCH_ARGS=webhooks` (about 40 s of callbacks at up to 2,000 a
second): 2 to 4 full collections per process, the longest 210 to 290 ms, each holding up every
request that process had in hand, which is what a p99 is made of. `gc.freeze()` moves what
exists to a generation the collector never walks.

Frozen at start, a web process still gathered about 40,000 more objects in its first seconds of
work (what the first requests load on demand: compiled templates, URL and settings caches, the
broker's connection), and each full collection walked them again: 4 to 8 per process in three
minutes of callbacks at 1,000 a second, 12 to 55 ms each. So what survives each of the
process's first few full collections, its warm-up, is frozen too; the full collections after
those took 0.6 to 6 ms, and the callbacks' p99 at 1,000 a second went from 8-35 ms (median 17)
to 10-16 ms (median 10), five rounds each in bench queues' idle set-up. Only the first few:
an object frozen and later dropped in a reference cycle is never freed, so freezing after
every collection would leak, however slowly, for the process's life.
"""

from __future__ import annotations

import gc

# Full collections after which the survivors are frozen. In each web process timed the first
# froze about 39,000 objects and the next two a few hundred to 4,000; later full collections
# walked at most about 4,600.
WARM_UP_COLLECTIONS = 3

_collections_left = 0


def _freeze_warm_up_survivors(phase: str, info: dict) -> None:
    global _collections_left
    if phase != "stop" or info["generation"] != 2 or _collections_left <= 0:
        return
    _collections_left -= 1
    # The collection has finished: every object still tracked was alive at its end.
    gc.freeze()


def startup_heap_freeze() -> None:
    """Call once the process has loaded the app and before it takes work."""
    global _collections_left
    gc.freeze()
    if _freeze_warm_up_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_warm_up_survivors)
    _collections_left = WARM_UP_COLLECTIONS
