"""Worker tasks for consent: they take ids, load scoped rows and call a service."""

from __future__ import annotations

from celery import shared_task

from accounts.jobs import job_get
from consent import services
from consent.models import ConsentBulkChange


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def consent_bulk_change_run_task(account_id: int, job_id: int) -> None:
    if job := job_get(ConsentBulkChange, account_id, job_id):
        services.consent_bulk_change_run(account=job.account, job=job)


@shared_task
def consent_jobs_sweep_task() -> None:
    services.consent_bulk_changes_sweep()
