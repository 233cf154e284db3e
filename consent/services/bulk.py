"""Bulk opt-in and opt-out from the contact index, for a selection or a whole filter.

A whole filter may be 200,000 contacts, so the change runs in the worker, one transaction per
batch of contacts: progress shows between batches, and a re-run after a crash finds the done
batches unchanged (no new ledger rows).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict

from accounts.jobs import (
    job_claim,
    job_finish,
    job_heartbeat,
    job_run,
    jobs_requeue_stranded,
)
from accounts.models import Account, User
from consent.models import (
    BulkAction,
    ConsentBulkChange,
    ConsentSource,
    ConsentState,
    SubscriptionType,
)
from consent.services.consent import consent_bulk_set
from contacts import selectors as contact_selectors
from contacts.models import Contact

MAX_SELECTION = 10_000
BATCH = 2000


@transaction.atomic
def consent_bulk_change_start(
    *,
    account: Account,
    created_by: User,
    subscription_type: SubscriptionType,
    action: str,
    contact_ids: list[str] | None = None,
    filter_query: str = "",
    evidence: str = "",
    consent_confirmed: bool = False,
    ip_address: str | None = None,
) -> ConsentBulkChange:
    """Check the request and queue the change. `contact_ids` are public ids (a selection);
    without them, `filter_query` (the index's query string) chooses the contacts."""
    from consent.tasks import consent_bulk_change_run_task  # tasks import services

    if subscription_type.account_id != account.pk:
        raise ValueError("The subscription type belongs to another account.")
    errors: dict[str, str] = {}
    if action not in BulkAction.values:
        errors["action"] = "Choose opt in or opt out."
    if action == BulkAction.OPT_IN and not consent_confirmed:
        errors["consent_confirmed"] = (
            "Confirm that every chosen contact gave express, verifiable consent to receive "
            "these text messages."
        )
    if action == BulkAction.OPT_IN and not evidence.strip():
        errors["evidence"] = "Say how these contacts gave consent; it goes into the ledger."
    contact_ids = [c for c in (contact_ids or []) if c]
    if len(contact_ids) > MAX_SELECTION:
        errors["contacts"] = (
            f"At most {MAX_SELECTION:,} selected contacts; use “all matching the filter” instead."
        )
    if not contact_ids:
        try:
            contact_selectors.contact_filter_from_query(account, QueryDict(filter_query))
        except ValidationError as exc:
            errors["filter"] = " ".join(exc.messages)
    if errors:
        raise ValidationError(errors)
    job = ConsentBulkChange.objects.create(
        account=account,
        created_by=created_by,
        subscription_type=subscription_type,
        action=action,
        contact_ids=contact_ids,
        filter_query="" if contact_ids else filter_query,
        evidence=evidence.strip(),
        ip_address=ip_address,
    )
    job_id, account_id = job.pk, account.pk
    transaction.on_commit(lambda: consent_bulk_change_run_task.delay(account_id, job_id))
    return job


def _contacts(account: Account, job: ConsentBulkChange):
    if job.contact_ids:
        return Contact.objects.filter(account=account, public_id__in=job.contact_ids)
    contact_filter = contact_selectors.contact_filter_from_query(
        account, QueryDict(job.filter_query)
    )
    return contact_selectors.contacts_filtered(account=account, contact_filter=contact_filter)


def consent_bulk_change_run(*, account: Account, job: ConsentBulkChange) -> None:
    jobs = ConsentBulkChange.objects.filter(pk=job.pk, account=account)
    job = job_claim(jobs.select_related("subscription_type", "created_by"))
    if job is None:
        return
    job_run(
        job,
        lambda: _run(account, job),
        internal_error="The change stopped because of an internal error. The batches already "
        "done are in the ledger; run it again to finish.",
    )


def _run(account: Account, job: ConsentBulkChange) -> None:
    status = (
        ConsentState.SUBSCRIBED if job.action == BulkAction.OPT_IN else ConsentState.UNSUBSCRIBED
    )
    queryset = _contacts(account, job)
    total = queryset.count()
    job_heartbeat(job, total=total)
    counts = {"processed": 0, "changed": 0, "unchanged": 0, "kept": 0, "no_phone": 0}
    for ids in contact_selectors.contacts_iter_ids(queryset, batch=BATCH):
        rows = Contact.objects.filter(account=account, pk__in=ids)
        pairs = []
        for contact in rows.only(
            "pk",
            "phone_e164",
            "phone_sms_invalid_reason",
            "mobile_phone_e164",
            "mobile_phone_sms_invalid_reason",
        ):
            phones = (
                contact.sms_phones
                if status == ConsentState.SUBSCRIBED
                else [p for p in (contact.mobile_phone_e164, contact.phone_e164) if p]
            )
            if not phones:
                counts["no_phone"] += 1
            pairs.extend((contact.pk, phone) for phone in dict.fromkeys(phones))
        with transaction.atomic():
            result = consent_bulk_set(
                account=account,
                subscription_type=job.subscription_type,
                pairs=pairs,
                status=status,
                source=ConsentSource.BULK,
                actor=job.created_by,
                evidence=job.evidence,
                ip_address=job.ip_address,
                data={"bulk_change": job.public_id},
            )
            counts["processed"] += len(ids)
            counts["changed"] += result.changed
            counts["unchanged"] += result.unchanged
            counts["kept"] += result.kept_opted_out
            job_heartbeat(
                job,
                processed=counts["processed"],
                changed_count=counts["changed"],
                unchanged_count=counts["unchanged"],
                kept_opted_out_count=counts["kept"],
                no_sms_phone_count=counts["no_phone"],
            )
    job_finish(job, processed=counts["processed"])


def consent_bulk_changes_sweep() -> int:
    """Requeue bulk changes a crash stranded (accounts.jobs)."""
    from consent.tasks import consent_bulk_change_run_task

    return jobs_requeue_stranded(ConsentBulkChange, task_for=lambda _: consent_bulk_change_run_task)
