"""Long jobs the worker runs for a user (CSV imports, phone reformats, bulk consent changes): the
columns they share and the moves each of them makes.

1. Start: a service checks the request, writes the job row queued and enqueues its task after
   commit (the row is the outbox).
2. Claim: the task takes the row from queued with a conditional update (`job_claim`); a second
   delivery of the task claims nothing and returns.
3. Heartbeat: progress is written with `heartbeat_at` (`job_heartbeat`), so a stuck run can be
   told from a slow one.
4. End: done (`job_finish`) or failed with a reason the user can read (`job_fail`); `job_run`
   turns what the run raised into that reason.
5. Sweep: beat requeues what a crash stranded (`jobs_requeue_stranded`): a job that stopped
   beating for STALE_AFTER, or one queued that long and never claimed. Runs are written so that
   running one again is safe.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account

logger = logging.getLogger(__name__)

STALE_AFTER = datetime.timedelta(minutes=10)


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SAVING = "saving", "Saving"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    REVERTING = "reverting", "Reverting"
    REVERTED = "reverted", "Reverted"


# A job in one of these beats its heart; one that stops is stranded.
ACTIVE_STATUSES = (JobStatus.RUNNING, JobStatus.SAVING, JobStatus.REVERTING)


class Job(models.Model):
    """The columns every job row has. `total` and `processed` count what the job walks (rows of
    a file, contacts of a list), for the progress bar."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status in (JobStatus.DONE, JobStatus.REVERTED):
            return 100
        if not self.total:
            return 0
        return min(99, int(self.processed * 100 / self.total))


J = TypeVar("J", bound=Job)


def job_get(model: type[J], account_id: int, job_id: int) -> J | None:
    """The job a task names, looked up within its account (None once it is gone)."""
    return model.objects.select_related("account").filter(account_id=account_id, pk=job_id).first()


def job_claim(jobs: models.QuerySet[J], *, to: str = JobStatus.RUNNING, **fields) -> J | None:
    """Take the queued job in `jobs` (a queryset of one, filtered by account): queued -> `to`,
    stamped with `fields`; the job as it now is. None when it isn't queued (another delivery
    of the task took it)."""
    now = timezone.now()
    if to == JobStatus.RUNNING:
        fields.setdefault("started_at", now)
    if not jobs.filter(status=JobStatus.QUEUED).update(status=to, heartbeat_at=now, **fields):
        return None
    return jobs.get()


def job_heartbeat(job: Job, **fields) -> None:
    """Write progress (any of the job's columns) with a fresh heartbeat."""
    type(job).objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(), **fields)


def job_finish(job: Job, *, status: str = JobStatus.DONE, **fields) -> None:
    now = timezone.now()
    type(job).objects.filter(pk=job.pk).update(
        status=status, finished_at=now, heartbeat_at=now, **fields
    )


def job_fail(job: Job, message: str) -> None:
    type(job).objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error=message, finished_at=timezone.now()
    )


def job_run(job: Job, run: Callable[[], None], *, internal_error: str) -> None:
    """Run a claimed job's work. A ValidationError fails the job with its messages (something
    the user can fix); any other exception is logged and fails it with `internal_error`, which
    tells the user what became of the work done so far."""
    try:
        run()
    except ValidationError as exc:
        job_fail(job, " ".join(exc.messages))
    except Exception:
        logger.exception("%s %s failed", type(job).__name__, job.public_id)
        job_fail(job, internal_error)


def jobs_requeue_stranded(model: type[Job], *, task_for: Callable[[Job], object]) -> int:
    """Queue again the jobs of `model` a crash stranded: active without a heartbeat for
    STALE_AFTER, or queued that long and never claimed. `task_for(job)` is the Celery task that
    runs it (called with account id and job id after commit). Returns how many were requeued."""
    cutoff = timezone.now() - STALE_AFTER
    stranded = model.objects.filter(
        Q(status__in=ACTIVE_STATUSES, heartbeat_at__lt=cutoff)
        | Q(status=JobStatus.QUEUED, created_at__lt=cutoff)
    )
    count = 0
    for job in stranded:
        model.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
        task = task_for(job)
        transaction.on_commit(
            lambda task=task, account_id=job.account_id, pk=job.pk: task.delay(account_id, pk)
        )
        count += 1
    return count
