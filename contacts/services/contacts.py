"""Creating, changing and deleting contacts."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.errors import FieldConflict
from accounts.models import Account, User
from contacts.csvfiles import cell_is_formula
from contacts.models import CONTACT_FIELDS, Contact, ContactProperty
from contacts.phones import PhoneIssue, phone_check
from contacts.services.properties import property_values_clean
from contacts.signals import announce, contacts_changed, contacts_created

# What contact_create and contact_update take.
SERVICE_FIELDS = (*CONTACT_FIELDS, "owner", "properties")
TEXT_LIMITS = {"first_name": 150, "last_name": 150, "company_name": 200, "email": 254}
PHONE_MAX = 64
TIME_ZONES = frozenset(zoneinfo.available_timezones())


def phone_columns(prefix: str, raw: str, region: str) -> dict[str, str]:
    """The four stored columns of one phone: as typed, E.164, region and SMS issue."""
    check = phone_check(raw, region)
    return {
        f"{prefix}_raw": (raw or "").strip(),
        f"{prefix}_e164": check.e164,
        f"{prefix}_region": check.region,
        f"{prefix}_sms_invalid_reason": check.reason,
    }


def _clean(
    *, account: Account, data: dict, errors: dict[str, str], conflicts: dict[str, str]
) -> dict:
    """Validate and normalise the given contact fields; errors are collected by field, and
    apart from them the values the account's properties as they are now refuse (a key it has no
    property for, a value of the wrong kind for its property)."""
    cleaned: dict = {}
    for name, limit in TEXT_LIMITS.items():
        if name in data:
            value = (data[name] or "").strip()
            if len(value) > limit:
                errors[name] = f"At most {limit} characters."
            cleaned[name] = value
    if "email" in cleaned:
        cleaned["email"] = cleaned["email"].lower()
        if cleaned["email"]:
            try:
                validate_email(cleaned["email"])
            except ValidationError:
                errors["email"] = f"“{cleaned['email']}” is not a valid email address."
    for prefix in ("phone", "mobile_phone"):
        if prefix in data:
            raw = (data[prefix] or "").strip()
            if len(raw) > PHONE_MAX:
                errors[prefix] = f"At most {PHONE_MAX} characters."
            cleaned.update(phone_columns(prefix, raw, account.default_region or "US"))
    if "time_zone" in data:
        zone = (data["time_zone"] or "").strip()
        if zone and zone not in TIME_ZONES:
            errors["time_zone"] = f"“{zone}” is not a time zone; use a name like America/Chicago."
        cleaned["time_zone"] = zone
    if "marketing_contact" in data:
        cleaned["marketing_contact"] = bool(data["marketing_contact"])
    if "owner" in data:
        owner = data["owner"]
        if owner is not None and not owner.memberships.filter(account=account).exists():
            errors["owner"] = "The owner must be a member of this account."
        cleaned["owner"] = owner
    if "properties" in data:
        definitions = {p.key: p for p in ContactProperty.objects.filter(account=account)}
        values, property_errors = property_values_clean(
            definitions=definitions, values=data["properties"] or {}
        )
        for key, message in property_errors.items():
            conflicts[f"properties.{key}"] = message
        cleaned["properties"] = values
    _formulas_refuse(data, errors)
    return cleaned


def _formulas_refuse(data: dict, errors: dict[str, str]) -> None:
    """The import's rule, for every way a contact is written: a value a spreadsheet would run
    as a formula (= + - @, tab, CR; numbers like +1 212 ... are fine) is refused, since exports
    and other tools would carry it to someone's spreadsheet."""
    typed = {name: data.get(name) for name in (*TEXT_LIMITS, "phone", "mobile_phone")}
    typed.update(
        {f"properties.{key}": value for key, value in (data.get("properties") or {}).items()}
    )
    for name, value in typed.items():
        if isinstance(value, str) and cell_is_formula(value.strip()) and name not in errors:
            text = value.strip()
            errors[name] = (
                f"“{text[:30]}” starts with “{text[0]}”, which a spreadsheet would run as a "
                "formula."
            )


def _duplicates_check(
    *, account: Account, cleaned: dict, conflicts: dict[str, str], exclude: Contact | None = None
) -> None:
    """Same phone or email as another contact of the account: the import's notion of duplicate."""
    others = Contact.objects.filter(account=account)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if cleaned.get("email"):
        other = others.filter(email=cleaned["email"]).first()
        if other:
            conflicts["email"] = f"{other} ({other.public_id}) already has this email."
    for prefix in ("phone", "mobile_phone"):
        e164 = cleaned.get(f"{prefix}_e164")
        if e164:
            other = others.filter(Q(phone_e164=e164) | Q(mobile_phone_e164=e164)).first()
            if other:
                conflicts[prefix] = f"{other} ({other.public_id}) already has this number."


def _refuse(
    *,
    account: Account,
    cleaned: dict,
    errors: dict[str, str],
    conflicts: dict[str, str],
    exclude: Contact | None = None,
) -> None:
    """ValidationError for values that are wrong in themselves; else FieldConflict (also a
    ValidationError, 409 in the API) for those the account's data refuses now: a property it
    doesn't have, or a phone or email another contact has."""
    if errors:
        raise ValidationError(errors)
    if conflicts:
        raise FieldConflict(conflicts, code="contact_properties")
    _duplicates_check(account=account, cleaned=cleaned, conflicts=conflicts, exclude=exclude)
    if conflicts:
        raise FieldConflict(conflicts, code="duplicate_contact")


@transaction.atomic
def contact_create(*, account: Account, owner: User | None = None, **fields) -> Contact:
    """A new contact. Fields are those of SERVICE_FIELDS; phones are parsed and judged for SMS."""
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown contact fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    conflicts: dict[str, str] = {}
    cleaned = _clean(
        account=account, data={**fields, "owner": owner}, errors=errors, conflicts=conflicts
    )
    identifiers = ("first_name", "last_name", "email", "phone_raw", "mobile_phone_raw")
    if not any(cleaned.get(name) for name in identifiers):
        errors.setdefault("__all__", "Give the contact at least a name, an email or a phone.")
    _refuse(account=account, cleaned=cleaned, errors=errors, conflicts=conflicts)
    if "properties" in cleaned:
        cleaned["properties"] = {k: v for k, v in cleaned["properties"].items() if v is not None}
    now = timezone.now()
    contact = Contact.objects.create(account=account, created_at=now, updated_at=now, **cleaned)
    announce(contacts_created, account_id=account.pk, contact_ids=[contact.pk])
    return contact


def _changed_names(contact: Contact, cleaned: dict, properties: dict | None) -> list[str]:
    """Which fields (by their SERVICE_FIELDS name) and property keys this update changes."""
    changed = []
    for name, value in cleaned.items():
        if name.endswith(("_e164", "_region", "_sms_invalid_reason")):
            continue
        field = name.removesuffix("_raw")
        current = getattr(contact, "owner_id" if name == "owner" else name)
        new = value.pk if name == "owner" and value is not None else value
        if current != new:
            changed.append(field)
    if properties is not None:
        old = contact.properties or {}
        changed += sorted(
            k for k in old.keys() | properties.keys() if old.get(k) != properties.get(k)
        )
    return changed


@transaction.atomic
def contact_update(*, account: Account, contact: Contact, data: dict) -> Contact:
    """Change the given fields (keys of SERVICE_FIELDS). `properties` merges: a key with an empty
    value is removed."""
    unknown = set(data) - set(SERVICE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown contact fields: {sorted(unknown)}")
    contact = Contact.objects.select_for_update().get(pk=contact.pk, account=account)
    errors: dict[str, str] = {}
    conflicts: dict[str, str] = {}
    cleaned = _clean(account=account, data=data, errors=errors, conflicts=conflicts)
    _refuse(account=account, cleaned=cleaned, errors=errors, conflicts=conflicts, exclude=contact)
    properties = None
    if "properties" in cleaned:
        merged = {**contact.properties, **cleaned.pop("properties")}
        properties = {k: v for k, v in merged.items() if v is not None}
    changed = _changed_names(contact, cleaned, properties)
    if properties is not None:
        contact.properties = properties
    for prefix in ("phone", "mobile_phone"):
        # A new number hasn't failed yet.
        if f"{prefix}_e164" in cleaned and cleaned[f"{prefix}_e164"] != getattr(
            contact, f"{prefix}_e164"
        ):
            setattr(contact, f"{prefix}_unreachable", False)
    for name, value in cleaned.items():
        setattr(contact, name, value)
    contact.updated_at = timezone.now()
    contact.save()
    if changed:
        announce(contacts_changed, account_id=account.pk, changes={contact.pk: changed})
    return contact


@transaction.atomic
def contact_delete(*, account: Account, contact: Contact) -> None:
    """Delete a contact. Its consent ledger entries stay (unlinked) as proof of consent."""
    Contact.objects.filter(pk=contact.pk, account=account).delete()


@transaction.atomic
def contact_for_phone_get_or_create(*, account: Account, phone_e164: str) -> tuple[Contact, bool]:
    """The contact that owns this number (its mobile phone first, then the oldest), or a new one.

    Used when a text arrives from a number: Twilio sends it in E.164.
    """
    existing = (
        Contact.objects.filter(account=account)
        .filter(Q(mobile_phone_e164=phone_e164) | Q(phone_e164=phone_e164))
        .order_by("created_at", "pk")
    )
    contacts = list(existing[:20])
    for contact in contacts:
        if contact.mobile_phone_e164 == phone_e164:
            return contact, False
    if contacts:
        return contacts[0], False
    now = timezone.now()
    contact = Contact.objects.create(
        account=account,
        created_at=now,
        updated_at=now,
        **phone_columns("mobile_phone", phone_e164, account.default_region or "US"),
    )
    announce(contacts_created, account_id=account.pk, contact_ids=[contact.pk])
    return contact, True


@transaction.atomic
def contact_phone_mark_invalid(
    *, account: Account, phone_e164: str, reason: str = PhoneIssue.REJECTED_BY_TWILIO
) -> int:
    """Twilio refused the number for good (21211, 21614): mark it not valid for SMS, with the
    reason, on every contact that has it. Returns how many phone fields were marked."""
    if reason not in PhoneIssue.values or reason == PhoneIssue.MISSING:
        raise ValueError(f"Unknown phone issue {reason!r}")
    now = timezone.now()
    marked = Contact.objects.filter(account=account, phone_e164=phone_e164).update(
        phone_sms_invalid_reason=reason, updated_at=now
    )
    marked += Contact.objects.filter(account=account, mobile_phone_e164=phone_e164).update(
        mobile_phone_sms_invalid_reason=reason, updated_at=now
    )
    return marked


@transaction.atomic
def contact_phone_mark_unreachable(*, account: Account, phone_e164: str) -> int:
    """A carrier said this number can't be reached (30003/30005/30006): flag it on every contact
    that has it, so fan-out leaves it out. Returns how many phone fields were flagged."""
    flagged = Contact.objects.filter(account=account, phone_e164=phone_e164).update(
        phone_unreachable=True, updated_at=timezone.now()
    )
    flagged += Contact.objects.filter(account=account, mobile_phone_e164=phone_e164).update(
        mobile_phone_unreachable=True, updated_at=timezone.now()
    )
    return flagged
