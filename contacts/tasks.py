"""Worker tasks for contacts: they take ids, load scoped rows and call a service."""

from __future__ import annotations

from celery import shared_task

from accounts.jobs import job_get
from contacts import services
from contacts.models import ContactImport, PhoneReformat


# Imports of 300,000 rows and reformats of large lists take minutes, past the default limits.
@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def contact_import_run_task(account_id: int, import_id: int) -> None:
    if contact_import := job_get(ContactImport, account_id, import_id):
        services.contact_import_run(account=contact_import.account, contact_import=contact_import)


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def phone_reformat_run_task(account_id: int, reformat_id: int) -> None:
    if reformat := job_get(PhoneReformat, account_id, reformat_id):
        services.phone_reformat_run(account=reformat.account, reformat=reformat)


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def phone_reformat_revert_task(account_id: int, reformat_id: int) -> None:
    if reformat := job_get(PhoneReformat, account_id, reformat_id):
        services.phone_reformat_revert_run(account=reformat.account, reformat=reformat)


@shared_task
def contacts_jobs_sweep_task() -> None:
    """Requeue imports and reformats a crashed worker left behind (run it every few minutes)."""
    services.contact_imports_sweep()
    services.phone_reformats_sweep()
