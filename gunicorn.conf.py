"""gunicorn's settings for smsapp (read from the working directory: the Dockerfile, compose and
the benchmarks all start gunicorn here).

Processes rather than threads: the busiest views (short-link taps, status callbacks) each wait
on one database round trip, and with 4 threads per process those waits queued for the GIL;
on 2 cores, 4 processes of 2 threads answered them about 1.5x faster than 2 of 4 (bench
analytics, bench webhooks), at a small cost to views that do no work at all.
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")


def post_worker_init(worker):
    """The app is loaded: keep it out of the garbage collector's sweeps (smsapp/heap.py)."""
    from smsapp.heap import startup_heap_freeze

    startup_heap_freeze()
