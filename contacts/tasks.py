"""Worker tasks for contacts: they take ids, load scoped rows and call a service."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Account
from contacts import services
from contacts.models import ContactImport, PhoneReformat


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def contact_import_run_task(account_id: int, import_id: int) -> None:
    # Imports of 300,000 rows take minutes, past the default time limits.
    account = Account.objects.get(pk=account_id)
    contact_import = ContactImport.objects.filter(account=account, pk=import_id).first()
    if contact_import is not None:
        services.contact_import_run(account=account, contact_import=contact_import)


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def phone_reformat_run_task(account_id: int, reformat_id: int) -> None:
    account = Account.objects.get(pk=account_id)
    reformat = PhoneReformat.objects.filter(account=account, pk=reformat_id).first()
    if reformat is not None:
        services.phone_reformat_run(account=account, reformat=reformat)


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def phone_reformat_revert_task(account_id: int, reformat_id: int) -> None:
    from contacts.services.reformat import phone_reformat_revert_run

    account = Account.objects.get(pk=account_id)
    reformat = PhoneReformat.objects.filter(account=account, pk=reformat_id).first()
    if reformat is not None:
        phone_reformat_revert_run(account=account, reformat=reformat)


@shared_task
def contacts_jobs_sweep_task() -> None:
    """Requeue imports and reformats a crashed worker left behind (run it every few minutes)."""
    services.contact_imports_sweep()
    services.phone_reformats_sweep()
