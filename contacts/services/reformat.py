"""Bulk phone reformat (Settings > SMS tools): rewrite a list's phone and mobile phone values in
E.164, optionally subscribe the contacts that become reachable, and keep a change log so a run
can be reverted."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.jobs import (
    JobStatus,
    job_claim,
    job_finish,
    job_heartbeat,
    job_run,
    jobs_requeue_stranded,
)
from accounts.models import Account, User
from contacts.models import (
    PHONE_COLUMNS,
    Contact,
    ContactList,
    EngagementKind,
    PhoneField,
    PhoneReformat,
    PhoneReformatChange,
)
from contacts.phones import PhoneIssue, phone_repair
from contacts.selectors import contact_list_members, contacts_iter_ids
from contacts.services.engagements import EngagementDraft, engagements_record
from contacts.subscriptions import (
    Attestation,
    AttestedBy,
    subscription_type_exists,
    subscriptions,
)

BATCH = 1000
# What a reformat (or its revert) writes on a contact.
CHANGED_COLUMNS = [*PHONE_COLUMNS, "updated_at"]


@dataclass(frozen=True)
class ReformatProposal:
    contact: Contact
    field: str
    old_raw: str
    old_e164: str
    old_region: str
    old_reason: str
    new_raw: str
    new_e164: str
    new_region: str
    new_reason: str
    note: str

    @property
    def changes(self) -> bool:
        return self.new_raw != self.old_raw

    @property
    def fixable(self) -> bool:
        return not self.new_reason

    @property
    def becomes_eligible(self) -> bool:
        return bool(self.old_reason) and not self.new_reason

    @property
    def field_label(self) -> str:
        return PhoneField(self.field).label

    @property
    def problem(self) -> str:
        """Why it still can't take SMS after the reformat ('' when it can)."""
        if not self.new_reason:
            return ""
        return self.note or PhoneIssue(self.new_reason).label


def contact_proposals(contact: Contact, region: str) -> list[ReformatProposal]:
    """What the reformat would do to one contact's phones: changes, and phones it can't fix."""
    proposals = []
    for prefix in (PhoneField.PHONE, PhoneField.MOBILE_PHONE):
        old_raw = getattr(contact, f"{prefix}_raw")
        if not old_raw:
            continue
        repair = phone_repair(old_raw, region)
        proposal = ReformatProposal(
            contact=contact,
            field=prefix,
            old_raw=old_raw,
            old_e164=getattr(contact, f"{prefix}_e164"),
            old_region=getattr(contact, f"{prefix}_region"),
            old_reason=getattr(contact, f"{prefix}_sms_invalid_reason"),
            new_raw=repair.new_raw,
            new_e164=repair.check.e164,
            new_region=repair.check.region,
            new_reason=repair.check.reason,
            note=repair.note,
        )
        if proposal.changes or not proposal.fixable:
            proposals.append(proposal)
    return proposals


def phone_reformat_proposals(
    *, account: Account, contact_list: ContactList
) -> Iterator[ReformatProposal]:
    """Every proposed change and every phone that can't be fixed, for a list, in batches."""
    region = account.default_region or "US"
    members = contact_list_members(contact_list)
    for ids in contacts_iter_ids(members, batch=BATCH):
        for contact in Contact.objects.filter(account=account, pk__in=ids).order_by("pk"):
            yield from contact_proposals(contact, region)


@transaction.atomic
def phone_reformat_start(
    *,
    account: Account,
    created_by: User,
    contact_list: ContactList,
    subscribe_eligible: bool = False,
    subscription_type_id: str = "",
    consent_confirmed: bool = False,
    consent_evidence: str = "",
) -> PhoneReformat:
    from contacts.tasks import phone_reformat_run_task

    if contact_list.account_id != account.pk:
        raise ValueError("The list belongs to another account.")
    errors: dict[str, str] = {}
    if subscribe_eligible:
        if not subscription_type_id or not subscription_type_exists(
            account=account, subscription_type_id=subscription_type_id
        ):
            errors["subscription_type"] = "Choose the subscription type to subscribe them to."
        if not consent_confirmed:
            errors["consent_confirmed"] = (
                "Confirm that the contacts who become reachable gave express, verifiable "
                "consent to receive these text messages."
            )
        if not consent_evidence.strip():
            errors["consent_evidence"] = "Say how they gave consent; it goes into the ledger."
    if PhoneReformat.objects.filter(
        account=account,
        contact_list=contact_list,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.REVERTING],
    ).exists():
        errors["__all__"] = "A reformat of this list is already running."
    if errors:
        raise ValidationError(errors)
    reformat = PhoneReformat.objects.create(
        account=account,
        contact_list=contact_list,
        list_name=contact_list.name,
        created_by=created_by,
        subscription_type_id=subscription_type_id if subscribe_eligible else "",
        consent_evidence=consent_evidence.strip() if subscribe_eligible else "",
    )
    reformat_id, account_id = reformat.pk, account.pk
    transaction.on_commit(lambda: phone_reformat_run_task.delay(account_id, reformat_id))
    return reformat


def _claim(account: Account, reformat: PhoneReformat, to: str) -> PhoneReformat | None:
    """Take a queued run (to RUNNING) or revert (to REVERTING): a finished reformat that is
    queued again is waiting for its revert."""
    claimable = PhoneReformat.objects.filter(
        pk=reformat.pk, account=account, finished_at__isnull=to == JobStatus.RUNNING
    )
    return job_claim(claimable.select_related("created_by", "contact_list"), to=to, processed=0)


def phone_reformat_run(*, account: Account, reformat: PhoneReformat) -> None:
    reformat = _claim(account, reformat, JobStatus.RUNNING)
    if reformat is None:
        return
    job_run(
        reformat,
        lambda: _run(account, reformat),
        internal_error="The reformat stopped because of an internal error. The batches already "
        "done are in its change log and can be reverted.",
    )


@dataclass
class _BatchChanges:
    """What the reformat does to one batch of contacts, to write in the batch's transaction."""

    contacts: list[Contact] = field(default_factory=list)
    changes: list[PhoneReformatChange] = field(default_factory=list)
    drafts: list[EngagementDraft] = field(default_factory=list)
    # (contact id, phone) of phones that became valid for SMS: those a user may subscribe.
    eligible: list[tuple[int, str]] = field(default_factory=list)
    unfixable: int = 0


def _batch_changes(reformat: PhoneReformat, contacts: list[Contact], region: str) -> _BatchChanges:
    """Apply the proposals to the contacts (in memory) and log each change."""
    batch = _BatchChanges()
    for contact in contacts:
        proposals = contact_proposals(contact, region)
        batch.unfixable += sum(not proposal.fixable for proposal in proposals)
        applied = [proposal for proposal in proposals if proposal.changes]
        for proposal in applied:
            prefix = proposal.field
            setattr(contact, f"{prefix}_raw", proposal.new_raw)
            setattr(contact, f"{prefix}_e164", proposal.new_e164)
            setattr(contact, f"{prefix}_region", proposal.new_region)
            setattr(contact, f"{prefix}_sms_invalid_reason", proposal.new_reason)
            batch.changes.append(
                PhoneReformatChange(
                    reformat=reformat,
                    contact=contact,
                    field=prefix,
                    old_raw=proposal.old_raw,
                    old_e164=proposal.old_e164,
                    old_region=proposal.old_region,
                    old_reason=proposal.old_reason,
                    new_raw=proposal.new_raw,
                    new_e164=proposal.new_e164,
                    new_region=proposal.new_region,
                    new_reason=proposal.new_reason,
                )
            )
            batch.drafts.append(
                EngagementDraft(
                    contact_id=contact.pk,
                    kind=EngagementKind.PHONE_REFORMAT,
                    summary=f"{proposal.field_label} reformatted: {proposal.old_raw} → "
                    f"{proposal.new_raw}",
                    data={"reformat": reformat.public_id, "field": prefix},
                )
            )
            if proposal.becomes_eligible:
                batch.eligible.append((contact.pk, proposal.new_e164))
        if applied:
            contact.updated_at = timezone.now()
            batch.contacts.append(contact)
    return batch


def _run(account: Account, reformat: PhoneReformat) -> None:
    """Reformat the list's contacts a batch per transaction, so progress shows and a crash
    keeps the batches done (their change log can be reverted)."""
    if reformat.contact_list is None:
        raise ValueError("The list was deleted.")
    # A type deleted since the start subscribes nobody.
    subscribe = bool(reformat.subscription_type_id) and subscription_type_exists(
        account=account, subscription_type_id=reformat.subscription_type_id
    )
    members = contact_list_members(reformat.contact_list)
    job_heartbeat(reformat, total=members.count())
    region = account.default_region or "US"
    counts = {"processed": 0, "changed": 0, "unfixable": 0, "subscribed": 0}
    for ids in contacts_iter_ids(members, batch=BATCH):
        with transaction.atomic():
            contacts = list(Contact.objects.select_for_update().filter(account=account, pk__in=ids))
            batch = _batch_changes(reformat, contacts, region)
            Contact.objects.bulk_update(batch.contacts, CHANGED_COLUMNS, batch_size=500)
            PhoneReformatChange.objects.bulk_create(batch.changes, batch_size=1000)
            engagements_record(account=account, drafts=batch.drafts)
            if subscribe and batch.eligible:
                counts["subscribed"] += _subscribe(account, reformat, batch.eligible)
            counts["changed"] += len(batch.changes)
            counts["unfixable"] += batch.unfixable
            counts["processed"] += len(ids)
            job_heartbeat(
                reformat,
                processed=counts["processed"],
                changed_count=counts["changed"],
                unfixable_count=counts["unfixable"],
                subscribed_count=counts["subscribed"],
            )
    job_finish(reformat)


def _subscribe(account: Account, reformat: PhoneReformat, pairs: list[tuple[int, str]]) -> int:
    """Subscribe the phones that became valid, as the user attested (consent writes the ledger)."""
    attestation = Attestation(
        subscription_type_id=reformat.subscription_type_id,
        attested_by=AttestedBy.REFORMAT,
        actor=reformat.created_by,
        evidence=reformat.consent_evidence,
        data={"reformat": reformat.public_id},
    )
    return subscriptions().attested_subscribe(account=account, attestation=attestation, pairs=pairs)


@transaction.atomic
def phone_reformat_revert(*, account: Account, reformat: PhoneReformat) -> PhoneReformat:
    """Queue the revert of a finished reformat."""
    from contacts.tasks import phone_reformat_revert_task

    if reformat.account_id != account.pk:
        raise ValueError("The reformat belongs to another account.")
    if reformat.status not in (JobStatus.DONE, JobStatus.FAILED) or not reformat.finished_at:
        raise ValidationError("Only a finished reformat can be reverted.")
    PhoneReformat.objects.filter(
        pk=reformat.pk, status__in=[JobStatus.DONE, JobStatus.FAILED]
    ).update(status=JobStatus.QUEUED, reverted_at=None)
    reformat_id, account_id = reformat.pk, account.pk
    transaction.on_commit(lambda: phone_reformat_revert_task.delay(account_id, reformat_id))
    reformat.refresh_from_db()
    return reformat


def phone_reformat_revert_run(*, account: Account, reformat: PhoneReformat) -> None:
    """Put back the old values of every change whose contact still has the reformatted value;
    contacts edited since keep their edit (counted as conflicts). Subscriptions the reformat
    made stay: they were attested, and the ledger records them."""
    reformat = _claim(account, reformat, JobStatus.REVERTING)
    if reformat is None:
        return
    changes = PhoneReformatChange.objects.filter(reformat=reformat, reverted=False)
    job_heartbeat(reformat, total=changes.count())
    reverted = conflicts = processed = 0
    last = 0
    while True:
        with transaction.atomic():
            batch = list(
                changes.filter(pk__gt=last).select_related("contact").order_by("pk")[:BATCH]
            )
            if not batch:
                break
            last = batch[-1].pk
            contacts: dict[int, Contact] = {}
            done = []
            drafts = []
            for change in batch:
                contact = contacts.setdefault(change.contact_id, change.contact)
                prefix = change.field
                if getattr(contact, f"{prefix}_raw") != change.new_raw:
                    conflicts += 1
                    continue
                setattr(contact, f"{prefix}_raw", change.old_raw)
                setattr(contact, f"{prefix}_e164", change.old_e164)
                setattr(contact, f"{prefix}_sms_invalid_reason", change.old_reason)
                setattr(contact, f"{prefix}_region", change.old_region)
                contact.updated_at = timezone.now()
                done.append(change.pk)
                drafts.append(
                    EngagementDraft(
                        contact_id=contact.pk,
                        kind=EngagementKind.PHONE_REFORMAT,
                        summary=f"{PhoneField(prefix).label} reformat reverted: "
                        f"{change.new_raw} → {change.old_raw}",
                        data={"reformat": reformat.public_id, "field": prefix, "revert": True},
                    )
                )
            Contact.objects.bulk_update(list(contacts.values()), CHANGED_COLUMNS, batch_size=500)
            PhoneReformatChange.objects.filter(pk__in=done).update(reverted=True)
            engagements_record(account=account, drafts=drafts)
            reverted += len(done)
            processed += len(batch)
            job_heartbeat(
                reformat,
                processed=processed,
                reverted_count=reverted,
                revert_conflicts=conflicts,
            )
    # finished_at stays the run's: the revert is a second life of the same job.
    job_heartbeat(reformat, status=JobStatus.REVERTED, reverted_at=timezone.now())


def phone_reformats_sweep() -> int:
    """Requeue runs and reverts a crash stranded (accounts.jobs); a finished reformat in the
    queue is waiting for its revert."""
    from contacts.tasks import phone_reformat_revert_task, phone_reformat_run_task

    return jobs_requeue_stranded(
        PhoneReformat,
        task_for=lambda reformat: (
            phone_reformat_revert_task if reformat.finished_at else phone_reformat_run_task
        ),
    )
