"""CSV import of contacts: upload and check, map columns, then a worker run.

The run, step by step:

1. Claim the import (queued -> running) with a conditional update; a second delivery of the
   task finds nothing to claim.
2. Read every row, check it, and keep the good ones in memory (import_rows.py). Bad rows go to
   the report with their reason. Progress (processed/total) is committed every PROGRESS_EVERY
   rows.
3. In one transaction: match existing contacts, insert, update, add to the list, record consent,
   store the summary and the report (import_save.py). A crash before the commit leaves nothing
   half-imported; the sweeper requeues the import and it runs again.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.errors import FieldConflict
from accounts.inputs import text_storable
from accounts.jobs import JobStatus, job_claim, job_heartbeat, job_run, jobs_requeue_stranded
from accounts.models import Account, User
from contacts.csvfiles import MAX_ROWS, csv_inspect, csv_row_count, csv_rows
from contacts.models import ContactImport, ContactList, ContactProperty, DuplicatePolicy, ListKind
from contacts.services.import_mapping import mapping_clean, mapping_suggest
from contacts.services.import_rows import ImportRow, Report, RowReader, RowRejected
from contacts.services.import_save import import_save
from contacts.services.lists import contact_list_create
from contacts.subscriptions import subscription_type_exists

PROGRESS_EVERY = 5000


@transaction.atomic
def contact_import_create(*, account: Account, created_by: User, uploaded_file) -> ContactImport:
    """Check an uploaded CSV and keep it, ready for mapping. Bad files raise ValidationError."""
    inspection = csv_inspect(uploaded_file, size=uploaded_file.size)
    uploaded_file.seek(0)
    contact_import = ContactImport(
        account=account,
        created_by=created_by,
        original_filename=text_storable(uploaded_file.name or "contacts.csv")[:255],
        headers=inspection.headers,
        delimiter=inspection.delimiter,
        mapping=mapping_suggest(account, inspection.headers),
    )
    contact_import.file.save(f"{contact_import.public_id}.csv", uploaded_file, save=False)
    contact_import.save()
    return contact_import


def contact_import_create_and_start(
    *, account: Account, created_by: User, uploaded_file, mapping: dict[str, str] | None, **options
) -> ContactImport:
    """Upload and start in one step (the API). ``mapping`` None takes the suggested one;
    ``options`` are contact_import_start's.

    Options the request or the account refuse raise (ValidationError, FieldConflict) and leave
    nothing behind. What only the file can tell (not a CSV, no rows, columns the mapping
    doesn't fit) makes a failed import that says why, as a run that fails does: the upload was
    taken, the import failed. The stored file, which no rollback removes, is deleted then."""
    errors, conflicts = _options_problems(account, **_options_named(options))
    if errors:
        raise ValidationError(errors)
    if conflicts:
        raise FieldConflict(conflicts, code="import_options")
    contact_import = None
    try:
        with transaction.atomic():
            contact_import = contact_import_create(
                account=account, created_by=created_by, uploaded_file=uploaded_file
            )
            return contact_import_start(
                account=account,
                contact_import=contact_import,
                mapping=mapping if mapping is not None else contact_import.mapping,
                started_by=created_by,
                **options,
            )
    except ValidationError as exc:
        if contact_import is not None and contact_import.file:
            contact_import.file.delete(save=False)
        if isinstance(exc, FieldConflict):
            raise
        return ContactImport.objects.create(
            account=account,
            created_by=created_by,
            status=JobStatus.FAILED,
            original_filename=text_storable(uploaded_file.name or "contacts.csv")[:255],
            error=text_storable(" ".join(exc.messages)),
            finished_at=timezone.now(),
        )
    except BaseException:
        if contact_import is not None and contact_import.file:
            contact_import.file.delete(save=False)
        raise


def _options_named(options: dict) -> dict:
    return {
        name: options[name]
        for name in (
            "duplicate_policy",
            "add_to_list",
            "consent_subscription_type_id",
            "consent_source",
            "consent_confirmed",
        )
        if name in options
    }


def contact_import_preview(contact_import: ContactImport) -> list[list[str]]:
    """The first rows of the stored file, for the mapping page."""
    rows = []
    with contact_import.file.open("rb") as fileobj:
        for _, cells in csv_rows(fileobj, delimiter=contact_import.delimiter):
            rows.append(cells)
            if len(rows) >= 5:
                break
    return rows


def import_options_from(data: Mapping) -> dict:
    """contact_import_start's options from the mapping page's form or the API's input, which
    name them alike (the list apart: the caller looks it up in the account)."""
    return {
        "duplicate_policy": data["duplicate_policy"],
        "new_list_name": data["new_list_name"],
        "consent_subscription_type_id": data["consent_subscription_type"],
        "consent_source": data["consent_source"],
        "consent_confirmed": data["consent_confirmed"],
    }


def _options_problems(
    account: Account,
    *,
    duplicate_policy: str = DuplicatePolicy.SKIP,
    add_to_list: ContactList | None = None,
    consent_subscription_type_id: str = "",
    consent_source: str = "",
    consent_confirmed: bool = False,
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """What is wrong with the import's options (duplicates, list, attested consent): errors in
    them, and conflicts with what the account has (an active list, a subscription type it
    hasn't)."""
    errors: dict[str, list[str]] = {}
    conflicts: dict[str, list[str]] = {}
    if duplicate_policy not in DuplicatePolicy.values:
        errors["duplicate_policy"] = ["Choose how to handle duplicates."]
    if add_to_list is not None and (
        add_to_list.account_id != account.pk or add_to_list.kind != ListKind.STATIC
    ):
        conflicts["add_to_list"] = ["Contacts can only be added to one of your static lists."]
    if consent_subscription_type_id:
        if not subscription_type_exists(
            account=account, subscription_type_id=consent_subscription_type_id
        ):
            conflicts["consent_subscription_type"] = ["That subscription type doesn't exist."]
        if not consent_confirmed:
            errors["consent_confirmed"] = [
                "Confirm that every contact in the file gave express written consent to receive "
                "these messages."
            ]
        if not consent_source.strip():
            errors["consent_source"] = [
                "Say where and how these contacts gave consent (e.g. “Checkout opt-in box, "
                "web store, 2025”); it goes into the consent ledger."
            ]
    return errors, conflicts


@transaction.atomic
def contact_import_start(
    *,
    account: Account,
    contact_import: ContactImport,
    mapping: dict[str, str],
    duplicate_policy: str = DuplicatePolicy.SKIP,
    add_to_list: ContactList | None = None,
    new_list_name: str = "",
    consent_subscription_type_id: str = "",
    consent_source: str = "",
    consent_confirmed: bool = False,
    started_by: User | None = None,
) -> ContactImport:
    """Validate the mapping and options, then queue the run (after commit)."""
    from contacts.tasks import contact_import_run_task  # tasks import services

    contact_import = ContactImport.objects.select_for_update().get(
        pk=contact_import.pk, account=account
    )
    if contact_import.status != JobStatus.UPLOADED:
        raise ValidationError("This import has already been started.")
    cleaned, used, mapping_errors = mapping_clean(account, contact_import.headers, mapping)
    if consent_subscription_type_id and not {"phone", "mobile_phone"} & used:
        mapping_errors.append(
            "Consent is for phone numbers: map a column to Phone or Mobile phone."
        )
    errors = {"mapping": mapping_errors} if mapping_errors else {}
    option_errors, conflicts = _options_problems(
        account,
        duplicate_policy=duplicate_policy,
        add_to_list=add_to_list,
        consent_subscription_type_id=consent_subscription_type_id,
        consent_source=consent_source,
        consent_confirmed=consent_confirmed,
    )
    errors |= option_errors | conflicts
    if errors:
        raise ValidationError(errors)
    if new_list_name.strip() and add_to_list is None:
        add_to_list = contact_list_create(
            account=account, name=new_list_name, kind=ListKind.STATIC, created_by=started_by
        )
    contact_import.mapping = cleaned
    contact_import.duplicate_policy = duplicate_policy
    contact_import.add_to_list = add_to_list
    contact_import.consent_subscription_type_id = consent_subscription_type_id
    contact_import.consent_source = consent_source.strip() if consent_subscription_type_id else ""
    contact_import.status = JobStatus.QUEUED
    contact_import.save()
    import_id, account_id = contact_import.pk, account.pk
    transaction.on_commit(lambda: contact_import_run_task.delay(account_id, import_id))
    return contact_import


def contact_import_run(*, account: Account, contact_import: ContactImport) -> None:
    """Run a queued import (see the module docstring). Safe to call twice."""
    imports = ContactImport.objects.filter(pk=contact_import.pk, account=account)
    contact_import = job_claim(imports.select_related("account", "created_by"))
    if contact_import is None:
        return
    job_run(
        contact_import,
        lambda: _run(account, contact_import),
        internal_error="The import stopped because of an internal error, and nothing was saved. "
        "Try again; if it happens again, contact support with the import id.",
    )


def _run(account: Account, contact_import: ContactImport) -> None:
    definitions = {p.key: p for p in ContactProperty.objects.filter(account=account)}
    missing = [
        target
        for target in contact_import.mapping.values()
        if target.startswith("property:") and target.split(":", 1)[1] not in definitions
    ]
    if missing:
        raise ValidationError(
            f"The property {missing[0].split(':', 1)[1]} was deleted after the mapping was made."
        )
    reader = RowReader(contact_import, definitions)
    report = Report(contact_import.headers)
    dedupe = contact_import.duplicate_policy != DuplicatePolicy.CREATE
    good: list[ImportRow] = []
    seen: dict[str, int] = {}
    processed = 0
    with contact_import.file.open("rb") as fileobj:
        try:
            total = csv_row_count(fileobj, delimiter=contact_import.delimiter)
            if total > MAX_ROWS:
                raise ValidationError(
                    f"The file has {total:,} rows; the limit is {MAX_ROWS:,}. Split it into "
                    "smaller files."
                )
            job_heartbeat(contact_import, total=total)
            for line, cells in csv_rows(fileobj, delimiter=contact_import.delimiter):
                processed += 1
                if processed % PROGRESS_EVERY == 0:
                    job_heartbeat(contact_import, processed=processed)
                try:
                    row = reader.read(line, cells)
                except RowRejected as exc:
                    report.reject(line, cells, str(exc))
                    continue
                if dedupe:
                    keys = [*row.phones(), row.values.get("email", "")]
                    first = next((seen[k] for k in keys if k and k in seen), None)
                    if first is not None:
                        report.reject(
                            line, cells, f"Same phone or email as line {first} of this file."
                        )
                        continue
                    for key in keys:
                        if key:
                            seen[key] = line
                good.append(row)
        except csv.Error as exc:
            raise ValidationError(
                f"The file can't be read as CSV after line {processed + 1}: {exc}. An unclosed "
                'quote (") is the usual cause.'
            ) from None
    job_heartbeat(contact_import, processed=processed, status=JobStatus.SAVING)
    with transaction.atomic():
        import_save(account, contact_import, good, report)


def contact_imports_sweep() -> int:
    """Requeue imports a crash stranded (accounts.jobs). Returns how many were requeued."""
    from contacts.tasks import contact_import_run_task

    return jobs_requeue_stranded(ContactImport, task_for=lambda _: contact_import_run_task)
