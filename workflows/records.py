"""The record types a workflow can enroll. Contacts now; another type (companies, deals) is added
by writing a RecordType for it and calling `register` (its app's events then call
`workflows.services.enroll.records_enroll` through a receiver, as contacts' do).

A record type answers what the engine asks of a record: its property values (tokens and
branches), the phone to text for a recipient property, the contact the text is filed under,
its time zone, a label and a link for the action log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import reverse

from accounts.models import Account
from contacts import selectors as contact_selectors
from contacts.models import Contact, PropertyType
from contacts.phones import phone_check
from workflows.models import TriggerType


@dataclass(frozen=True)
class RecordPhone:
    """The phone a record's text goes to, or why it has none that can be texted."""

    phone_e164: str  # "" when there is none
    reason: str  # why it can't be texted ("" when it can): a messaging not-sent reason
    contact_id: int | None
    # Consent is kept per (contact, phone) for a contact's own phones. A phone held in some
    # other property (an assistant's) belongs to someone else: the phone's own consent counts,
    # whichever contact it was given on.
    consent_of_phone: bool = False


class RecordType:
    key: str = ""
    label: str = ""
    triggers: tuple[str, ...] = ()

    def load(self, account: Account, ids: Iterable[int]) -> dict[int, object]:
        raise NotImplementedError

    def properties(self, account: Account) -> list[tuple[str, str]]:
        """(key, label) of what tokens and branches may read."""
        raise NotImplementedError

    def phone_properties(self, account: Account) -> list[tuple[str, str]]:
        raise NotImplementedError

    def values(self, record) -> dict[str, object]:
        raise NotImplementedError

    def recipient(self, account: Account, record, phone_property: str) -> RecordPhone:
        raise NotImplementedError

    def time_zone(self, record) -> str:
        return ""

    def record_label(self, record) -> str:
        return str(record)[:200]

    def url(self, public_id: str) -> str:
        return ""

    def public_ids(self, account: Account, ids: Iterable[int]) -> dict[int, str]:
        raise NotImplementedError

    def id_for(self, account: Account, public_id: str) -> int | None:
        raise NotImplementedError


class ContactRecords(RecordType):
    key = "contact"
    label = "Contacts"
    triggers = tuple(TriggerType.values)

    def load(self, account: Account, ids: Iterable[int]) -> dict[int, Contact]:
        return contact_selectors.contacts_by_ids(account=account, contact_ids=list(ids)).in_bulk()

    def properties(self, account: Account) -> list[tuple[str, str]]:
        fields = {**contact_selectors.TEXT_FIELDS, **contact_selectors.PHONE_FIELDS}
        for prop in contact_selectors.contact_properties(account=account):
            fields.setdefault(prop.key, prop.label)
        return list(fields.items())

    def phone_properties(self, account: Account) -> list[tuple[str, str]]:
        # Contacts have no phone property type: a custom text property holding phone numbers
        # (e.g. "Assistant's phone") may be chosen and is parsed when the text goes out.
        choices = [("mobile_phone", "Mobile phone"), ("phone", "Phone")]
        for prop in contact_selectors.contact_properties(account=account):
            if prop.type == PropertyType.TEXT:
                choices.append((prop.key, f"{prop.label} (custom)"))
        return choices

    def values(self, record: Contact) -> dict[str, object]:
        return contact_selectors.contact_token_values(record)

    def recipient(self, account: Account, record: Contact, phone_property: str) -> RecordPhone:
        if not record.marketing_contact:
            return RecordPhone("", "not_marketing_contact", record.pk)
        if phone_property in ("mobile_phone", "phone"):
            e164 = getattr(record, f"{phone_property}_e164")
            invalid = getattr(record, f"{phone_property}_sms_invalid_reason")
            unreachable = getattr(record, f"{phone_property}_unreachable")
            raw = getattr(record, f"{phone_property}_raw")
        else:
            raw = str((record.properties or {}).get(phone_property) or "")
            check = phone_check(raw, account.default_region or "US")
            e164, invalid, unreachable = check.e164, check.reason, False
        if not raw.strip():
            return RecordPhone("", "no_phone", record.pk)
        if invalid:
            return RecordPhone(e164, "invalid_phone", record.pk)
        if unreachable:
            return RecordPhone(e164, "unreachable", record.pk)
        return RecordPhone(
            e164, "", record.pk, consent_of_phone=phone_property not in ("mobile_phone", "phone")
        )

    def time_zone(self, record: Contact) -> str:
        return record.time_zone

    def record_label(self, record: Contact) -> str:
        return str(record)[:200]

    def url(self, public_id: str) -> str:
        return reverse("contacts:detail", args=[public_id])

    def public_ids(self, account: Account, ids: Iterable[int]) -> dict[int, str]:
        return dict(
            contact_selectors.contacts_by_ids(account=account, contact_ids=list(ids)).values_list(
                "pk", "public_id"
            )
        )

    def id_for(self, account: Account, public_id: str) -> int | None:
        return (
            Contact.objects.filter(account=account, public_id=public_id)
            .values_list("pk", flat=True)
            .first()
        )


REGISTRY: dict[str, RecordType] = {}


def register(record_type: RecordType) -> RecordType:
    REGISTRY[record_type.key] = record_type
    return record_type


register(ContactRecords())
