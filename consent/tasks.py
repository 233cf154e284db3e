"""Worker tasks for consent: they take ids, load scoped rows and call a service."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Account
from consent import services
from consent.models import ConsentBulkChange


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def consent_bulk_change_run_task(account_id: int, job_id: int) -> None:
    account = Account.objects.get(pk=account_id)
    job = ConsentBulkChange.objects.filter(account=account, pk=job_id).first()
    if job is not None:
        services.consent_bulk_change_run(account=account, job=job)


@shared_task
def consent_jobs_sweep_task() -> None:
    from consent.services.bulk import consent_bulk_changes_sweep

    consent_bulk_changes_sweep()
