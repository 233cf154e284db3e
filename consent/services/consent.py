"""Changing consent: one contact, one phone account-wide, or many pairs at once.

Everything goes through `consent_bulk_set`, which is set-based (a few queries per 5,000 pairs)
so a 100,000-row import with consent costs seconds, and which writes, for every actual change,
the status row and a ledger entry. No change, no rows. The contact timeline reads consent
changes from the ledger (see `consent_timeline`), so they are not written twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import dateformat, timezone

from accounts.bulk import any_of, public_ids_new, rows_insert
from accounts.errors import FieldConflict
from accounts.models import Account, User
from consent.models import (
    PERSONAL_OPT_OUT_SOURCES,
    ConsentLedgerEntry,
    ConsentSource,
    ConsentState,
    ConsentStatus,
    KeywordKind,
    KeywordRule,
    SubscriptionType,
)
from contacts.models import Contact

CHUNK = 5000

STATUS_FIELDS = (
    "account_id",
    "contact_id",
    "phone_e164",
    "subscription_type_id",
    "status",
    "source",
    "updated_at",
)
LEDGER_FIELDS = (
    "account_id",
    "public_id",
    "contact_id",
    "contact_public_id",
    "contact_label",
    "phone_e164",
    "subscription_type_id",
    "previous_status",
    "new_status",
    "source",
    "actor_id",
    "actor_label",
    "message_sid",
    "evidence",
    "ip_address",
    "data",
    "occurred_at",
)


@dataclass
class BulkConsentResult:
    changed: int = 0
    unchanged: int = 0
    # Subscribes refused because the person opted out themselves (keyword or carrier).
    kept_opted_out: int = 0

    def add(self, other: BulkConsentResult) -> None:
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.kept_opted_out += other.kept_opted_out


def _phones_opted_out_personally(
    account: Account, subscription_type: SubscriptionType, phones: Iterable[str]
) -> set[str]:
    """Phones whose latest ledger entry for the type is an opt-out the person made (a STOP
    or a carrier's report), whichever contact it was on, deleted contacts included.

    Two small queries whatever the number of phones: the account's personal opt-outs come
    from a partial index (they are few next to its contacts), and only those phones are
    checked for a later change.
    """
    wanted = set(phones)
    candidates = wanted & set(
        ConsentLedgerEntry.objects.filter(
            account=account,
            subscription_type=subscription_type,
            new_status=ConsentState.UNSUBSCRIBED,
            source__in=PERSONAL_OPT_OUT_SOURCES,
        ).values_list("phone_e164", flat=True)
    )
    if not candidates:
        return set()
    latest = (
        ConsentLedgerEntry.objects.filter(account=account, subscription_type=subscription_type)
        .filter(any_of("phone_e164", candidates))
        .values("phone_e164")
        .annotate(last=Max("id"))
        .values("last")
    )
    return set(
        ConsentLedgerEntry.objects.filter(
            pk__in=latest,
            new_status=ConsentState.UNSUBSCRIBED,
            source__in=PERSONAL_OPT_OUT_SOURCES,
        ).values_list("phone_e164", flat=True)
    )


def consent_bulk_set(
    *,
    account: Account,
    subscription_type: SubscriptionType,
    pairs: Sequence[tuple[int, str]],
    status: str,
    source: str,
    actor: User | None = None,
    evidence: str = "",
    ip_address: str | None = None,
    message_sid: str = "",
    data: dict | None = None,
    respect_personal_opt_outs: bool = True,
    new_contact_ids: set[int] | frozenset[int] = frozenset(),
    occurred_at: datetime.datetime | None = None,
) -> BulkConsentResult:
    """Set (contact id, E.164 phone) pairs to `status` for a subscription type.

    Subscribing skips phones the person opted out of themselves unless
    `respect_personal_opt_outs` is False (the person's own keyword opt-in).
    `new_contact_ids` are contacts created in this transaction: they have no status to read.
    """
    if subscription_type.account_id != account.pk:
        raise ValueError("The subscription type belongs to another account.")
    if status not in (ConsentState.SUBSCRIBED, ConsentState.UNSUBSCRIBED):
        raise ValueError(f"Can't set consent to {status!r}.")
    if source not in ConsentSource.values:
        raise ValueError(f"Unknown consent source {source!r}.")
    pairs = list(dict.fromkeys((int(c), p) for c, p in pairs if p))
    result = BulkConsentResult()
    blocked: set[str] = set()
    if status == ConsentState.SUBSCRIBED and respect_personal_opt_outs:
        blocked = _phones_opted_out_personally(
            account, subscription_type, {phone for _, phone in pairs}
        )
    with transaction.atomic():
        for start in range(0, len(pairs), CHUNK):
            result.add(
                _set_chunk(
                    account=account,
                    subscription_type=subscription_type,
                    pairs=pairs[start : start + CHUNK],
                    status=status,
                    source=source,
                    actor=actor,
                    evidence=evidence,
                    ip_address=ip_address,
                    message_sid=message_sid,
                    data=data or {},
                    blocked=blocked,
                    new_contact_ids=new_contact_ids,
                    now=occurred_at or timezone.now(),
                )
            )
    return result


def _contacts_labelled(account: Account, contact_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Contact id -> (public id, name or email), as the ledger keeps them for after a contact is
    deleted; ValueError when a contact isn't the account's."""
    contacts = {
        pk: (public_id, f"{first} {last}".strip() or email)
        for pk, public_id, first, last, email in Contact.objects.filter(account=account)
        .filter(any_of("id", contact_ids))
        .values_list("pk", "public_id", "first_name", "last_name", "email")
    }
    if len(contacts) != len(contact_ids):
        raise ValueError("Some contacts don't belong to this account.")
    return contacts


def _statuses_now(
    subscription_type: SubscriptionType, contact_ids: list[int]
) -> dict[tuple[int, str], tuple[int, str]]:
    """(contact id, phone) -> (status row id, status) for the contacts' recorded statuses."""
    if not contact_ids:
        return {}
    rows = (
        ConsentStatus.objects.filter(subscription_type=subscription_type)
        .filter(any_of("contact_id", contact_ids))
        .values_list("contact_id", "phone_e164", "pk", "status")
    )
    return {(cid, phone): (pk, state) for cid, phone, pk, state in rows}


def _set_chunk(
    *,
    account: Account,
    subscription_type: SubscriptionType,
    pairs: list[tuple[int, str]],
    status: str,
    source: str,
    actor: User | None,
    evidence: str,
    ip_address: str | None,
    message_sid: str,
    data: dict,
    blocked: set[str],
    new_contact_ids: set[int] | frozenset[int],
    now: datetime.datetime,
) -> BulkConsentResult:
    result = BulkConsentResult()
    contact_ids = {cid for cid, _ in pairs}
    contacts = _contacts_labelled(account, contact_ids)
    known = [cid for cid in contact_ids if cid not in new_contact_ids]
    current = _statuses_now(subscription_type, known)
    to_update: list[int] = []
    status_rows: list[tuple] = []
    ledger_rows: list[tuple] = []
    actor_label = actor.email if actor is not None else ""
    ledger_public_ids = iter(public_ids_new("cle", len(pairs)))
    for cid, phone in pairs:
        status_pk, previous = current.get((cid, phone), (None, ConsentState.NOT_SPECIFIED))
        if previous == status:
            result.unchanged += 1
            continue
        if phone in blocked:
            result.kept_opted_out += 1
            continue
        if status_pk is not None:
            to_update.append(status_pk)
        else:
            status_rows.append((account.pk, cid, phone, subscription_type.pk, status, source, now))
        public_id, label = contacts[cid]
        ledger_public_id = next(ledger_public_ids)
        ledger_rows.append(
            (
                account.pk,
                ledger_public_id,
                cid,
                public_id,
                label[:300],
                phone,
                subscription_type.pk,
                previous,
                status,
                source,
                actor.pk if actor is not None else None,
                actor_label,
                message_sid,
                evidence,
                ip_address,
                data,
                now,
            )
        )
        result.changed += 1
    if to_update:
        ConsentStatus.objects.filter(any_of("id", to_update)).update(
            status=status, source=source, updated_at=now
        )
    rows_insert(ConsentStatus, STATUS_FIELDS, status_rows, return_ids=False)
    rows_insert(ConsentLedgerEntry, LEDGER_FIELDS, ledger_rows, return_ids=False)
    return result


def _contact_phones(contact: Contact, status: str) -> list[str]:
    if status == ConsentState.SUBSCRIBED:
        return contact.sms_phones
    phones = [p for p in (contact.mobile_phone_e164, contact.phone_e164) if p]
    return list(dict.fromkeys(phones))


@transaction.atomic
def contact_consent_set(
    *,
    account: Account,
    contact: Contact,
    subscription_type: SubscriptionType,
    status: str,
    actor: User | None,
    source: str = ConsentSource.MANUAL,
    evidence: str = "",
    consent_confirmed: bool = False,
    ip_address: str | None = None,
    phone_e164: str = "",
) -> BulkConsentResult:
    """A person on our side opts a contact in or out (page or API), on one phone or all of its
    phones. Opting in needs `consent_confirmed`: the user states that express, verifiable
    consent was obtained, and is refused, changing nothing, on a phone whose latest opt-out the
    person made themselves (a STOP or the carrier's 21610): only their opt-in keyword undoes it."""
    if contact.account_id != account.pk or subscription_type.account_id != account.pk:
        raise ValueError("Contact and subscription type must belong to the account.")
    if status == ConsentState.SUBSCRIBED and not consent_confirmed:
        raise ValidationError(
            {
                "consent_confirmed": "Confirm that this contact gave express, verifiable consent "
                "to receive these text messages."
            }
        )
    phones = _contact_phones(contact, status)
    if phone_e164:
        if phone_e164 not in phones:
            reason = (
                "isn't one of this contact's phones that can receive SMS"
                if status == ConsentState.SUBSCRIBED
                else "isn't one of this contact's phones"
            )
            raise FieldConflict({"phone": f"{phone_e164} {reason}."}, code="phone")
        phones = [phone_e164]
    if not phones:
        # What the contact's phones are now: a conflict, not a wrong request.
        if status == ConsentState.SUBSCRIBED:
            raise FieldConflict(
                {
                    "phone": "This contact has no phone that can receive SMS, so it can't be "
                    "opted in."
                },
                code="phone",
            )
        raise FieldConflict({"phone": "This contact has no phone number."}, code="phone")
    if status == ConsentState.SUBSCRIBED:
        _personal_opt_outs_refuse(account, subscription_type, phones)
    return consent_bulk_set(
        account=account,
        subscription_type=subscription_type,
        pairs=[(contact.pk, phone) for phone in phones],
        status=status,
        source=source,
        actor=actor,
        evidence=evidence.strip(),
        ip_address=ip_address,
    )


def personal_opt_out_reason(entry: ConsentLedgerEntry, opt_in_words: Sequence[str]) -> str:
    """Why a phone can't be opted in by us, and what the person can do, in a marketer's words."""
    when = dateformat.format(timezone.localtime(entry.occurred_at), "M j, Y")
    if entry.source == ConsentSource.KEYWORD:
        word = (entry.data or {}).get("keyword") or "STOP"
        how = f"texted {word} on {when}"
    else:
        code = (entry.data or {}).get("error_code") or "21610"
        how = f"replied STOP to one of your numbers (carrier error {code} on {when})"
    words = list(opt_in_words) or ["START"]
    others = f" (or {', '.join(words[1:])})" if len(words) > 1 else ""
    return (
        f"{entry.phone_e164} {how}. Only the person can opt back in, by texting {words[0]}"
        f"{others} to your number; a manual or API opt-in can't override their opt-out."
    )


def _personal_opt_outs_refuse(
    account: Account, subscription_type: SubscriptionType, phones: Sequence[str]
) -> None:
    """A STOP is the person's own decision: someone on our side can't undo it for them (bulk
    and import opt-ins skip such phones; for one contact the user is told why)."""
    blocked = _phones_opted_out_personally(account, subscription_type, phones)
    if not blocked:
        return
    # START first: it is the word people know.
    opt_in_words = sorted(
        KeywordRule.objects.filter(account=account, kind=KeywordKind.OPT_IN).values_list(
            "word", flat=True
        ),
        key=lambda word: (word != "START", word),
    )
    reasons = []
    for phone in sorted(blocked):
        entry = (
            ConsentLedgerEntry.objects.filter(
                account=account, subscription_type=subscription_type, phone_e164=phone
            )
            .order_by("-id")
            .first()
        )
        reasons.append(personal_opt_out_reason(entry, opt_in_words))
    raise FieldConflict({"phone": reasons}, code="personal_opt_out")


def contact_opt_in(**kwargs) -> BulkConsentResult:
    """`contact_consent_set` with status subscribed; same keyword arguments."""
    return contact_consent_set(status=ConsentState.SUBSCRIBED, **kwargs)


def contact_opt_out(**kwargs) -> BulkConsentResult:
    """`contact_consent_set` with status unsubscribed; same keyword arguments."""
    return contact_consent_set(status=ConsentState.UNSUBSCRIBED, **kwargs)


def contacts_with_phone(account: Account, phone_e164: str) -> list[int]:
    """Every contact that has this number now, or had consent recorded on it."""
    ids = set(
        Contact.objects.filter(account=account)
        .filter(Q(phone_e164=phone_e164) | Q(mobile_phone_e164=phone_e164))
        .values_list("pk", flat=True)
    )
    ids.update(
        ConsentStatus.objects.filter(account=account, phone_e164=phone_e164).values_list(
            "contact_id", flat=True
        )
    )
    return sorted(ids)


@transaction.atomic
def phone_consent_set(
    *,
    account: Account,
    phone_e164: str,
    subscription_types: Sequence[SubscriptionType],
    status: str,
    source: str,
    message_sid: str = "",
    evidence: str = "",
    data: dict | None = None,
    ip_address: str | None = None,
) -> BulkConsentResult:
    """Set consent for a number across the account: every contact with it, each given type.

    This is how a keyword or a carrier error acts: an opt-out is account-wide for the
    subscription type, whichever of our numbers the STOP reached.
    """
    contact_ids = contacts_with_phone(account, phone_e164)
    result = BulkConsentResult()
    for subscription_type in subscription_types:
        result.add(
            consent_bulk_set(
                account=account,
                subscription_type=subscription_type,
                pairs=[(cid, phone_e164) for cid in contact_ids],
                status=status,
                source=source,
                message_sid=message_sid,
                evidence=evidence,
                data=data,
                ip_address=ip_address,
                respect_personal_opt_outs=False,
            )
        )
    return result


@transaction.atomic
def consent_carrier_opt_out(
    *, account: Account, phone_e164: str, error_code: int | str, message_sid: str = ""
) -> BulkConsentResult:
    """Twilio answered 21610 (the recipient replied STOP to this sender) or a carrier reported an
    opt-out: unsubscribe the number from every subscription type of the account."""
    return phone_consent_set(
        account=account,
        phone_e164=phone_e164,
        subscription_types=list(SubscriptionType.objects.filter(account=account)),
        status=ConsentState.UNSUBSCRIBED,
        source=ConsentSource.CARRIER,
        message_sid=message_sid,
        evidence=f"Twilio error {error_code}",
        data={"error_code": str(error_code)},
    )
