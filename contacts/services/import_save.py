"""The end of an import's run, in one transaction: match the good rows with existing contacts by
phone or email, insert the new contacts (COPY), update or skip the matches as the import says,
add everyone to the chosen list, record the attested consent, and store the summary and the
report. A crash before the commit leaves nothing half-imported."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.bulk import any_of, public_ids_new, rows_insert
from accounts.jobs import job_finish
from accounts.models import Account
from contacts.models import PHONE_COLUMNS, Contact, ContactImport, ContactList, DuplicatePolicy
from contacts.services.import_rows import ImportRow, Report
from contacts.services.lists import contact_list_add
from contacts.signals import announce, contacts_changed, contacts_created
from contacts.subscriptions import Attestation, AttestedBy, subscriptions

LOOKUP_CHUNK = 5000


@dataclass
class _Outcome:
    fresh: list[ImportRow] = field(default_factory=list)
    created: list[tuple[int, ImportRow]] = field(default_factory=list)
    updated: list[tuple[int, ImportRow]] = field(default_factory=list)
    skipped: list[tuple[int, ImportRow]] = field(default_factory=list)


def _existing_matches(account: Account, rows: list[ImportRow]) -> tuple[dict, dict]:
    """Existing contacts by phone (either field) and by email, looked up in chunks."""
    phones = sorted({p for row in rows for p in row.phones()})
    emails = sorted({row.values["email"] for row in rows if row.values.get("email")})
    by_phone: dict[str, int] = {}
    by_email: dict[str, int] = {}
    contacts = Contact.objects.filter(account=account).order_by("created_at", "pk")
    for start in range(0, len(phones), LOOKUP_CHUNK):
        chunk = phones[start : start + LOOKUP_CHUNK]
        for column in ("phone_e164", "mobile_phone_e164"):
            for value, pk in contacts.filter(any_of(column, chunk)).values_list(column, "pk"):
                by_phone.setdefault(value, pk)
    for start in range(0, len(emails), LOOKUP_CHUNK):
        chunk = emails[start : start + LOOKUP_CHUNK]
        for value, pk in contacts.filter(any_of("email", chunk)).values_list("email", "pk"):
            by_email.setdefault(value, pk)
    return by_phone, by_email


CONTACT_COLUMNS = ("first_name", "last_name", "email", *PHONE_COLUMNS, "time_zone", "company_name")
INSERT_FIELDS = (
    "account_id",
    "public_id",
    *CONTACT_COLUMNS,
    "marketing_contact",
    "phone_unreachable",
    "mobile_phone_unreachable",
    "owner_id",
    "properties",
    "created_at",
    "updated_at",
)


def import_save(
    account: Account, contact_import: ContactImport, rows: list[ImportRow], report: Report
) -> None:
    """Save the good rows (see the module docstring) and finish the import; the caller holds
    the transaction."""
    outcome, by_phone = _rows_sorted(account, contact_import, rows, report)
    outcome.created = _contacts_insert(account, contact_import, outcome.fresh)
    if outcome.updated:
        _update_existing(account, contact_import, outcome.updated)
    if outcome.skipped:
        _skipped_report(outcome.skipped, report)
    if contact_import.add_to_list_id:
        _list_add(account, contact_import, outcome)
    subscribed = 0
    if contact_import.consent_subscription_type_id:
        subscribed = _consent_record(account, contact_import, outcome, by_phone)
    _finish(contact_import, outcome, report, subscribed)


def _rows_sorted(
    account: Account, contact_import: ContactImport, rows: list[ImportRow], report: Report
) -> tuple[_Outcome, dict[str, int]]:
    """Each row new, or matching an existing contact by phone (either field) or email, to update
    or skip as the import's policy says; a second row matching the same contact is skipped.
    Also returns the existing contacts by phone (consent is attested only for their phones)."""
    outcome = _Outcome()
    by_phone: dict[str, int] = {}
    by_email: dict[str, int] = {}
    policy = contact_import.duplicate_policy
    if policy != DuplicatePolicy.CREATE:
        by_phone, by_email = _existing_matches(account, rows)
    claimed_by: dict[int, int] = {}
    for row in rows:
        existing = next((by_phone[p] for p in row.phones() if p in by_phone), None)
        if existing is None and row.values.get("email"):
            existing = by_email.get(row.values["email"])
        if existing is None:
            outcome.fresh.append(row)
        elif existing in claimed_by:
            report.skip(
                row.line,
                row.cells,
                f"Matches the same existing contact as line {claimed_by[existing]}.",
            )
        else:
            claimed_by[existing] = row.line
            target = outcome.updated if policy == DuplicatePolicy.UPDATE else outcome.skipped
            target.append((existing, row))
    return outcome, by_phone


def _contacts_insert(
    account: Account, contact_import: ContactImport, fresh: list[ImportRow]
) -> list[tuple[int, ImportRow]]:
    """Insert the new contacts in one COPY. Each gets its own microsecond so the newest-first
    order keeps file order and keyset pages never meet long runs of equal timestamps."""
    start = timezone.now()
    owner_id = contact_import.created_by_id
    insert_rows = []
    public_ids = public_ids_new("con", len(fresh))
    for offset, row in enumerate(fresh):
        created = start + datetime.timedelta(microseconds=len(fresh) - offset)
        values = row.values
        insert_rows.append(
            (
                account.pk,
                public_ids[offset],
                *(values.get(column, "") for column in CONTACT_COLUMNS),
                values.get("marketing_contact", True),
                False,
                False,
                owner_id,
                row.properties,
                created,
                created,
            )
        )
    ids = rows_insert(Contact, INSERT_FIELDS, insert_rows)
    if ids:
        announce(contacts_created, account_id=account.pk, contact_ids=list(ids))
    return list(zip(ids, fresh, strict=True))


def _skipped_report(skipped: list[tuple[int, ImportRow]], report: Report) -> None:
    public_ids = dict(
        Contact.objects.filter(pk__in=[pk for pk, _ in skipped]).values_list("pk", "public_id")
    )
    for pk, row in skipped:
        report.skip(
            row.line,
            row.cells,
            f"Matches existing contact {public_ids.get(pk, '')} (same phone or email); "
            "left unchanged.",
        )


def _list_add(account: Account, contact_import: ContactImport, outcome: _Outcome) -> None:
    contact_list = ContactList.objects.get(pk=contact_import.add_to_list_id, account=account)
    contact_list_add(
        account=account,
        contact_list=contact_list,
        contact_ids=[pk for pk, _ in outcome.created],
        new=True,
    )
    contact_list_add(
        account=account,
        contact_list=contact_list,
        contact_ids=[pk for pk, _ in outcome.updated + outcome.skipped],
    )


def _finish(
    contact_import: ContactImport, outcome: _Outcome, report: Report, subscribed: int
) -> None:
    """Store the report file and the summary: counts, the commonest reasons rows were rejected,
    and why saved contacts can't take SMS."""
    no_sms = Counter(
        row.values.get("phone_sms_invalid_reason")
        or row.values.get("mobile_phone_sms_invalid_reason")
        for _, row in outcome.created + outcome.updated
        if not row.sms_phones()
    )
    reasons = dict(report.reasons.most_common(20))
    if no_sms:
        reasons["_no_sms_phone"] = {k or "missing": v for k, v in no_sms.items()}
    contact_import.report.save(
        f"{contact_import.public_id}-report.csv",
        ContentFile(report.buffer.getvalue().encode("utf-8-sig")),
        save=False,
    )
    job_finish(
        contact_import,
        report=contact_import.report.name,
        created_count=len(outcome.created),
        updated_count=len(outcome.updated),
        skipped_count=report.skipped,
        rejected_count=report.rejected,
        subscribed_count=subscribed,
        rejection_reasons=reasons,
    )


def _update_existing(
    account: Account, contact_import: ContactImport, updated: list[tuple[int, ImportRow]]
) -> None:
    """Write the row's non-empty values over the matched contact's."""
    changed_fields: set[str] = {"updated_at"}
    changes: dict[int, list[str]] = {}
    now = timezone.now()
    for start in range(0, len(updated), LOOKUP_CHUNK):
        chunk = updated[start : start + LOOKUP_CHUNK]
        contacts = Contact.objects.filter(account=account).in_bulk([pk for pk, _ in chunk])
        batch = []
        for pk, row in chunk:
            contact = contacts[pk]
            names: list[str] = []
            for name, value in row.values.items():
                if getattr(contact, name) != value:
                    setattr(contact, name, value)
                    changed_fields.add(name)
                    if not name.endswith(("_e164", "_region", "_sms_invalid_reason")):
                        names.append(name.removesuffix("_raw"))
            for prefix in ("phone", "mobile_phone"):
                if f"{prefix}_raw" in row.values:
                    setattr(contact, f"{prefix}_unreachable", False)
                    changed_fields.add(f"{prefix}_unreachable")
            if row.properties:
                names += [k for k, v in row.properties.items() if contact.properties.get(k) != v]
                contact.properties = {**contact.properties, **row.properties}
                changed_fields.add("properties")
            contact.updated_at = now
            batch.append(contact)
            if names:
                changes[pk] = names
        Contact.objects.bulk_update(batch, sorted(changed_fields), batch_size=1000)
    if changes:
        announce(contacts_changed, account_id=account.pk, changes=changes)


def _consent_record(
    account: Account, contact_import: ContactImport, outcome: _Outcome, by_phone: dict[str, int]
) -> int:
    """Subscribe the file's SMS phones to the attested type (consent writes the ledger)."""
    pairs: list[tuple[int, str]] = []
    for pk, row in outcome.created + outcome.updated:
        pairs.extend((pk, phone) for phone in row.sms_phones())
    for pk, row in outcome.skipped:
        # The contact kept its own values: only phones it already has are attested.
        pairs.extend((pk, phone) for phone in row.sms_phones() if by_phone.get(phone) == pk)
    attestation = Attestation(
        subscription_type_id=contact_import.consent_subscription_type_id,
        attested_by=AttestedBy.IMPORT,
        actor=contact_import.created_by,
        evidence=contact_import.consent_source,
        data={"import": contact_import.public_id, "file": contact_import.original_filename},
    )
    return subscriptions().attested_subscribe(
        account=account,
        attestation=attestation,
        pairs=pairs,
        new_contact_ids={pk for pk, _ in outcome.created},
    )
