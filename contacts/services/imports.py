"""CSV import of contacts: upload and check, map columns, then a worker run.

The run, step by step:

1. Claim the import (queued -> running) with a conditional update; a second delivery of the
   task finds nothing to claim.
2. Read every row, check it, and keep the good ones in memory. Bad rows go to the report with
   their reason. Progress (processed/total) is committed every PROGRESS_EVERY rows.
3. In one transaction: match existing contacts by phone or email, insert the new ones (COPY on
   PostgreSQL), update or skip the matches, add everyone to the chosen list, record consent for
   an attested subscription type, and store the summary and the report. A crash before the
   commit leaves nothing half-imported; the sweeper requeues the import and it runs again.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.bulk import any_of, public_ids_new, rows_insert
from accounts.exports import SafeCsvWriter
from accounts.jobs import (
    JobStatus,
    job_claim,
    job_fail,
    job_finish,
    job_heartbeat,
    jobs_requeue_stranded,
)
from accounts.models import Account, User
from contacts.csvfiles import (
    MAX_ROWS,
    cell_is_formula,
    csv_inspect,
    csv_row_count,
    csv_rows,
)
from contacts.models import (
    Contact,
    ContactImport,
    ContactList,
    ContactProperty,
    DuplicatePolicy,
    ListKind,
)
from contacts.phones import phone_check
from contacts.selectors import contact_import_last_mapping, header_key
from contacts.services.lists import contact_list_add, contact_list_create
from contacts.services.properties import property_value_clean
from contacts.signals import announce, contacts_changed, contacts_created
from contacts.subscriptions import AttestedBy, subscription_type_exists, subscriptions

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 5000
LOOKUP_CHUNK = 5000

CORE_TARGETS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "mobile_phone": "Mobile phone",
    "time_zone": "Time zone",
    "company_name": "Company name",
    "marketing_contact": "Marketing contact",
}
TEXT_LIMITS = {"first_name": 150, "last_name": 150, "company_name": 200, "email": 254}
HEADER_GUESSES = {
    "firstname": "first_name",
    "first": "first_name",
    "givenname": "first_name",
    "lastname": "last_name",
    "last": "last_name",
    "surname": "last_name",
    "familyname": "last_name",
    "email": "email",
    "emailaddress": "email",
    "mail": "email",
    "phone": "phone",
    "phonenumber": "phone",
    "telephone": "phone",
    "tel": "phone",
    "mobile": "mobile_phone",
    "mobilephone": "mobile_phone",
    "mobilephonenumber": "mobile_phone",
    "mobilenumber": "mobile_phone",
    "cell": "mobile_phone",
    "cellphone": "mobile_phone",
    "timezone": "time_zone",
    "company": "company_name",
    "companyname": "company_name",
    "organization": "company_name",
    "marketingcontact": "marketing_contact",
}
# Addresses this plain shape are valid for Django too; anything else gets Django's full check.
# (Django's validator costs ~15 us a call through its lazy regexes: a second per 100,000 rows.)
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


def email_is_valid(email: str) -> bool:
    if len(email) <= 254 and _PLAIN_EMAIL.fullmatch(email):
        return True
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


TRUE_WORDS = frozenset({"yes", "y", "true", "1", "x"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})
TIME_ZONES = frozenset(zoneinfo.available_timezones())


def import_targets(account: Account) -> list[tuple[str, str]]:
    """What a column can be mapped to: contact fields, then the account's properties."""
    targets = list(CORE_TARGETS.items())
    for prop in ContactProperty.objects.filter(account=account).order_by("label"):
        targets.append((f"property:{prop.key}", prop.label))
    return targets


def mapping_suggest(account: Account, headers: list[str]) -> dict[str, str]:
    """A first mapping: the account's last mapping for the same header, else a guess."""
    remembered = contact_import_last_mapping(account=account)
    valid = {value for value, _ in import_targets(account)}
    properties = {}
    for prop in ContactProperty.objects.filter(account=account):
        properties[header_key(prop.key)] = f"property:{prop.key}"
        properties[header_key(prop.label)] = f"property:{prop.key}"
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = header_key(header)
        target = remembered.get(key) or HEADER_GUESSES.get(key) or properties.get(key) or ""
        if target not in valid or target in used:
            target = ""
        if target:
            used.add(target)
        mapping[header] = target
    return mapping


@transaction.atomic
def contact_import_create(*, account: Account, created_by: User, uploaded_file) -> ContactImport:
    """Check an uploaded CSV and keep it, ready for mapping. Bad files raise ValidationError."""
    inspection = csv_inspect(uploaded_file, size=uploaded_file.size)
    uploaded_file.seek(0)
    contact_import = ContactImport(
        account=account,
        created_by=created_by,
        original_filename=(uploaded_file.name or "contacts.csv")[:255],
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
    """Upload and start in one step (the API). A refused mapping or option leaves nothing
    behind: the transaction drops the row, and the stored file, which no rollback removes, is
    deleted. ``mapping`` None takes the suggested one; ``options`` are contact_import_start's."""
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
    except BaseException:
        if contact_import is not None and contact_import.file:
            contact_import.file.delete(save=False)
        raise


def contact_import_preview(contact_import: ContactImport) -> list[list[str]]:
    """The first rows of the stored file, for the mapping page."""
    rows = []
    with contact_import.file.open("rb") as fileobj:
        for _, cells in csv_rows(fileobj, delimiter=contact_import.delimiter):
            rows.append(cells)
            if len(rows) >= 5:
                break
    return rows


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
    errors: dict[str, list[str]] = {}
    valid_targets = {value: label for value, label in import_targets(account)}
    cleaned: dict[str, str] = {}
    used: dict[str, str] = {}
    for header in contact_import.headers:
        target = (mapping or {}).get(header, "") or ""
        if target and target not in valid_targets:
            errors.setdefault("mapping", []).append(f"“{header}”: unknown property “{target}”.")
            continue
        if target and target in used:
            errors.setdefault("mapping", []).append(
                f"“{used[target]}” and “{header}” are both mapped to {valid_targets[target]}; "
                "map each property once."
            )
            continue
        if target:
            used[target] = header
        cleaned[header] = target
    unknown_headers = set(mapping or {}) - set(contact_import.headers)
    if unknown_headers:
        errors.setdefault("mapping", []).append(
            f"The file has no column named {', '.join(sorted(unknown_headers))}."
        )
    if not {"email", "phone", "mobile_phone"} & set(used):
        errors.setdefault("mapping", []).append(
            "Map at least one column to Phone, Mobile phone or Email: contacts are matched and "
            "reached by them."
        )
    if duplicate_policy not in DuplicatePolicy.values:
        errors["duplicate_policy"] = ["Choose how to handle duplicates."]
    if add_to_list is not None and (
        add_to_list.account_id != account.pk or add_to_list.kind != ListKind.STATIC
    ):
        errors["add_to_list"] = ["Contacts can only be added to one of your static lists."]
    if consent_subscription_type_id:
        if not subscription_type_exists(
            account=account, subscription_type_id=consent_subscription_type_id
        ):
            errors["consent_subscription_type"] = ["That subscription type doesn't exist."]
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
        if not {"phone", "mobile_phone"} & set(used):
            errors.setdefault("mapping", []).append(
                "Consent is for phone numbers: map a column to Phone or Mobile phone."
            )
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


class RowRejected(Exception):
    pass


@dataclass
class ImportRow:
    line: int
    cells: list[str]
    values: dict
    properties: dict = field(default_factory=dict)

    def phones(self) -> list[str]:
        return [
            self.values[f"{p}_e164"]
            for p in ("phone", "mobile_phone")
            if self.values.get(f"{p}_e164")
        ]

    def sms_phones(self) -> list[str]:
        return [
            self.values[f"{p}_e164"]
            for p in ("mobile_phone", "phone")
            if self.values.get(f"{p}_e164") and not self.values.get(f"{p}_sms_invalid_reason")
        ]


class RowReader:
    """Turns the cells of one row into contact values, or raises RowRejected with the reason."""

    def __init__(self, contact_import: ContactImport, definitions: dict[str, ContactProperty]):
        self.headers = contact_import.headers
        self.region = contact_import.account.default_region or "US"
        self.plan = [
            (position, header, target)
            for position, header in enumerate(self.headers)
            if (target := contact_import.mapping.get(header))
        ]
        self.definitions = definitions

    def read(self, line: int, cells: list[str]) -> ImportRow:
        if len(cells) > len(self.headers) and any(c.strip() for c in cells[len(self.headers) :]):
            raise RowRejected(
                f"The row has {len(cells)} cells but the header has {len(self.headers)} "
                "columns: check for an unquoted comma."
            )
        values: dict = {}
        properties: dict = {}
        for position, header, target in self.plan:
            cell = cells[position].strip() if position < len(cells) else ""
            if not cell:
                continue
            # Before the phone columns too: an unparseable phone is kept as typed, so a formula
            # there would be stored and shown (and exported) like any other text.
            if cell_is_formula(cell):
                raise RowRejected(
                    f"{header}: “{cell[:30]}” starts with '{cell[0]}', which a spreadsheet "
                    "would run as a formula."
                )
            if target in ("phone", "mobile_phone"):
                if len(cell) > 64:
                    raise RowRejected(f"{header}: longer than 64 characters.")
                check = phone_check(cell, self.region)
                values[f"{target}_raw"] = cell
                values[f"{target}_e164"] = check.e164
                values[f"{target}_region"] = check.region
                values[f"{target}_sms_invalid_reason"] = check.reason
                continue
            if target.startswith("property:"):
                definition = self.definitions[target.split(":", 1)[1]]
                try:
                    value = property_value_clean(definition, cell)
                except ValueError as exc:
                    raise RowRejected(f"{header}: {exc}") from None
                if value is not None:
                    properties[definition.key] = value
            elif target == "email":
                email = cell.lower()
                if not email_is_valid(email):
                    raise RowRejected(f"{header}: “{cell[:60]}” is not an email address.")
                values["email"] = email
            elif target == "time_zone":
                if cell not in TIME_ZONES:
                    raise RowRejected(
                        f"{header}: “{cell[:40]}” is not a time zone; use names like "
                        "America/New_York."
                    )
                values["time_zone"] = cell
            elif target == "marketing_contact":
                word = cell.lower()
                if word not in TRUE_WORDS | FALSE_WORDS:
                    raise RowRejected(f"{header}: “{cell[:20]}” is neither yes nor no.")
                values["marketing_contact"] = word in TRUE_WORDS
            else:
                limit = TEXT_LIMITS[target]
                if len(cell) > limit:
                    raise RowRejected(f"{header}: longer than {limit} characters.")
                values[target] = cell
        if not (values.get("email") or values.get("phone_raw") or values.get("mobile_phone_raw")):
            raise RowRejected("No phone, mobile phone or email: a contact needs one of them.")
        return ImportRow(line=line, cells=cells, values=values, properties=properties)


_QUOTED = re.compile(r"“[^”]*”")
_LINE_NUMBER = re.compile(r"line \d+")


class Report:
    """The rows that were not imported, with why; every cell is neutralised."""

    def __init__(self, headers: list[str]):
        self.buffer = io.StringIO()
        self.writer = SafeCsvWriter(self.buffer)
        self.writer.writerow(["Line", "Outcome", "Reason", *headers])
        self.reasons: Counter = Counter()
        self.rejected = 0
        self.skipped = 0

    def reject(self, line: int, cells: list[str], reason: str) -> None:
        self.rejected += 1
        # Grouped without the row's own values: "Email: “…” is not an email address."
        self.reasons[_QUOTED.sub("“…”", _LINE_NUMBER.sub("line …", reason))] += 1
        self.writer.writerow([line, "rejected", reason, *cells])

    def skip(self, line: int, cells: list[str], reason: str) -> None:
        self.skipped += 1
        self.writer.writerow([line, "skipped", reason, *cells])


def contact_import_run(*, account: Account, contact_import: ContactImport) -> None:
    """Run a queued import (see the module docstring). Safe to call twice."""
    if not job_claim(ContactImport.objects.filter(pk=contact_import.pk, account=account)):
        return
    contact_import = ContactImport.objects.select_related("account", "created_by").get(
        pk=contact_import.pk, account=account
    )
    try:
        _run(account, contact_import)
    except ValidationError as exc:
        job_fail(contact_import, " ".join(exc.messages))
    except Exception:
        logger.exception("import %s failed", contact_import.public_id)
        job_fail(
            contact_import,
            "The import stopped because of an internal error, and nothing was saved. Try again; "
            "if it happens again, contact support with the import id.",
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
        _save(account, contact_import, good, report)


@dataclass
class _Outcome:
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


CONTACT_COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "phone_raw",
    "phone_e164",
    "phone_region",
    "phone_sms_invalid_reason",
    "mobile_phone_raw",
    "mobile_phone_e164",
    "mobile_phone_region",
    "mobile_phone_sms_invalid_reason",
    "time_zone",
    "company_name",
)
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


def _save(
    account: Account, contact_import: ContactImport, rows: list[ImportRow], report: Report
) -> None:
    outcome = _Outcome()
    by_phone: dict[str, int] = {}
    by_email: dict[str, int] = {}
    policy = contact_import.duplicate_policy
    if policy != DuplicatePolicy.CREATE:
        by_phone, by_email = _existing_matches(account, rows)
    claimed_by: dict[int, int] = {}
    fresh: list[ImportRow] = []
    for row in rows:
        existing = next((by_phone[p] for p in row.phones() if p in by_phone), None)
        if existing is None and row.values.get("email"):
            existing = by_email.get(row.values["email"])
        if existing is None:
            fresh.append(row)
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

    # New contacts. Each gets its own microsecond so the newest-first order keeps file order
    # and keyset pages never meet long runs of equal timestamps.
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
    outcome.created = list(zip(ids, fresh, strict=True))
    if ids:
        announce(contacts_created, account_id=account.pk, contact_ids=list(ids))

    if outcome.updated:
        _update_existing(account, contact_import, outcome.updated)
    if outcome.skipped:
        public_ids = dict(
            Contact.objects.filter(pk__in=[pk for pk, _ in outcome.skipped]).values_list(
                "pk", "public_id"
            )
        )
        for pk, row in outcome.skipped:
            report.skip(
                row.line,
                row.cells,
                f"Matches existing contact {public_ids.get(pk, '')} (same phone or email); "
                "left unchanged.",
            )

    if contact_import.add_to_list_id:
        contact_list = ContactList.objects.get(pk=contact_import.add_to_list_id, account=account)
        contact_list_add(account=account, contact_list=contact_list, contact_ids=ids, new=True)
        contact_list_add(
            account=account,
            contact_list=contact_list,
            contact_ids=[pk for pk, _ in outcome.updated + outcome.skipped],
        )

    subscribed = 0
    if contact_import.consent_subscription_type_id:
        subscribed = _consent_record(account, contact_import, outcome, by_phone)

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
    return subscriptions().attested_subscribe(
        account=account,
        subscription_type_id=contact_import.consent_subscription_type_id,
        pairs=pairs,
        attested_by=AttestedBy.IMPORT,
        actor=contact_import.created_by,
        evidence=contact_import.consent_source,
        data={"import": contact_import.public_id, "file": contact_import.original_filename},
        new_contact_ids={pk for pk, _ in outcome.created},
    )


def contact_imports_sweep() -> int:
    """Requeue imports a crash stranded (accounts.jobs). Returns how many were requeued."""
    from contacts.tasks import contact_import_run_task

    return jobs_requeue_stranded(ContactImport, task_for=lambda _: contact_import_run_task)
