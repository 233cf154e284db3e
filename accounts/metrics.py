"""What an operator graphs: a Prometheus endpoint at `/metrics`.

Every figure is read when Prometheus scrapes, from Redis and the database, never kept in a
process: any web process answers the same numbers whichever worker did the work, and a restart
loses nothing. Apps plug in what they measure at start-up (`metrics_source_register`, in their
`apps.py`), so this app shows messaging's or analytics' figures without importing them.

The endpoint answers only `Authorization: Bearer <METRICS_TOKEN>`; with no METRICS_TOKEN set it
is 404, as if it didn't exist.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable, Iterator

import redis
from django.conf import settings
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from accounts.jobs import ACTIVE_STATUSES

logger = logging.getLogger(__name__)

MetricsSource = Callable[[], Iterable[Metric]]
_sources: dict[str, MetricsSource] = {}


def metrics_source_register(name: str, collect: MetricsSource) -> None:
    """Add what `collect()` yields to every scrape (registering a name again replaces it)."""
    _sources[name] = collect


class _Sources:
    """prometheus_client's collector protocol over the registered sources. A source that fails
    (a database or Redis hiccup) is logged and left out of this scrape; the others still answer,
    and `smsapp_metrics_source_up` says which one is missing."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "smsapp_metrics_source_up", "1 when the source answered this scrape", labels=["source"]
        )
        for name, collect in sorted(_sources.items()):
            try:
                families = list(collect())
            except Exception:  # noqa: BLE001 - one failing source must not hide the others
                logger.warning("metrics source %s failed", name, exc_info=True)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up


def metrics_text() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Sources())
    return generate_latest(registry)


@require_GET
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        response = HttpResponse("A bearer token is required.", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)


_redis: redis.Redis | None = None


def metrics_redis() -> redis.Redis:
    """The Redis that holds Celery's queues and the counters the apps keep for their metrics."""
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _redis


def queue_depths() -> Iterator[Metric]:
    """Tasks waiting per queue: the length of the Redis list Celery's broker keeps per queue
    (tasks a worker has taken but not finished are not counted)."""
    depth = GaugeMetricFamily(
        "smsapp_queue_depth", "Celery tasks waiting in each queue", labels=["queue"]
    )
    pipe = metrics_redis().pipeline(transaction=False)
    for name in settings.CELERY_QUEUE_NAMES:
        pipe.llen(name)
    for name, length in zip(settings.CELERY_QUEUE_NAMES, pipe.execute(), strict=True):
        depth.add_metric([name], length)
    yield depth


JobRows = Callable[[], Iterable[tuple[str, str, int, int]]]
_job_kinds: dict[str, JobRows] = {}


def job_progress_register(kind: str, rows: JobRows) -> None:
    """Show the progress of a kind of long job: `rows()` gives (job id, account id, done,
    total) for each one running (`jobs_running` reads them from an `accounts.jobs.Job` model)."""
    _job_kinds[kind] = rows


def jobs_running(jobs: models.QuerySet) -> Iterable[tuple[str, str, int, int]]:
    return jobs.filter(status__in=ACTIVE_STATUSES).values_list(
        "public_id", "account__public_id", "processed", "total"
    )


def job_progress() -> Iterator[Metric]:
    """Rows done and rows in all of every running import, reformat, bulk change and fan-out."""
    labels = ["kind", "job", "account"]
    done = GaugeMetricFamily("smsapp_job_processed", "Rows a running job has done", labels=labels)
    total = GaugeMetricFamily("smsapp_job_total", "Rows a running job walks", labels=labels)
    for kind, rows in sorted(_job_kinds.items()):
        for job, account, processed, rows_in_all in rows():
            done.add_metric([kind, job, account], processed)
            total.add_metric([kind, job, account], rows_in_all)
    yield done
    yield total


metrics_source_register("queues", queue_depths)
metrics_source_register("jobs", job_progress)
