"""Who a message goes to, which phone is used, and why anyone is not sent (DESIGN.md, step 2).

A contact is sendable when it is a marketing contact, has a phone valid for SMS that is not known
to be unreachable, and that phone is subscribed to the message's subscription type. The mobile
phone is used when it qualifies, else the phone. Everyone else is kept with the reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from django.db.models import Q, QuerySet

from consent.models import ConsentState, ConsentStatus
from contacts import selectors as contact_selectors
from contacts.models import Contact
from messaging import tokens
from messaging.models import OutboundMessage, SmsMessage
from messaging.services.fanout import Recipient

BATCH_SIZE = 5000

NOT_SENT_REASONS = {
    "not_marketing_contact": "Not a marketing contact",
    "no_phone": "No phone number",
    "invalid_phone": "Phone not valid for SMS",
    "unreachable": "Phone unreachable (carrier error)",
    "opted_out": "Opted out",
    "not_subscribed": "Not subscribed to this subscription type",
    "duplicate_phone": "Phone shared with another recipient",
    "retries_exhausted": "Twilio kept refusing it (busy or down); given up after 8 tries",
}

CONTACT_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "email",
    "company_name",
    "time_zone",
    "marketing_contact",
    "phone_e164",
    "phone_sms_invalid_reason",
    "phone_unreachable",
    "mobile_phone_e164",
    "mobile_phone_sms_invalid_reason",
    "mobile_phone_unreachable",
)
# What a token may name without reading the contact's custom properties (a JSON column that
# costs several times more to read than all the others together).
BUILT_IN_TOKENS = frozenset(
    {"first_name", "last_name", "email", "company_name", "time_zone", "phone", "mobile_phone"}
)


def audience_queryset(
    message: SmsMessage, *, id_range: tuple[int, int | None] | None = None
) -> QuerySet[Contact]:
    """The message's contacts: included lists and contacts, less excluded ones.

    With `id_range` (lo, hi], the range bounds every list's subquery as well as the outer
    query: PostgreSQL then reads only that slice of each list, where an unbounded `IN (list)`
    would hash the whole list again for every batch (quadratic over a million recipients).
    """

    def bounded(queryset: QuerySet[Contact]) -> QuerySet[Contact]:
        if id_range is None:
            return queryset
        lo, hi = id_range
        queryset = queryset.filter(pk__gt=lo)
        return queryset if hi is None else queryset.filter(pk__lte=hi)

    def members(contact_list) -> Q:
        return Q(pk__in=contact_selectors.contact_list_member_ids(contact_list, id_range=id_range))

    include = Q(pk__in=message.include_contacts.values("pk"))
    for contact_list in message.include_lists.all():
        include |= members(contact_list)
    queryset = bounded(Contact.objects.filter(account=message.account)).filter(include)
    queryset = queryset.exclude(pk__in=message.exclude_contacts.values("pk"))
    for contact_list in message.exclude_lists.all():
        queryset = queryset.exclude(members(contact_list))
    return queryset


def _batches(message: SmsMessage, size: int, fields: tuple[str, ...]) -> Iterator[list[dict]]:
    """The audience in primary-key order, one slice of the account's contacts at a time.

    Each slice ends at the id `size` contacts further on in the account (an index walk), so a
    batch holds at most `size` recipients and costs the same at any depth.
    """
    account_ids = Contact.objects.filter(account=message.account).order_by("pk")
    lo = 0
    while True:
        ends = list(account_ids.filter(pk__gt=lo).values_list("pk", flat=True)[size - 1 : size])
        hi = ends[0] if ends else None
        batch = list(audience_queryset(message, id_range=(lo, hi)).order_by("pk").values(*fields))
        if batch:
            yield batch
        if hi is None:
            return
        lo = hi


def _choose_phone(contact: dict, consent: dict[tuple[int, str], str]) -> tuple[str, str]:
    """(phone, "") when sendable, else (best phone or "", reason)."""
    if not contact["marketing_contact"]:
        return "", "not_marketing_contact"
    candidates = []
    for prefix in ("mobile_phone", "phone"):
        e164 = contact[f"{prefix}_e164"]
        if e164:
            candidates.append(
                (e164, contact[f"{prefix}_sms_invalid_reason"], contact[f"{prefix}_unreachable"])
            )
    if not candidates:
        return "", "no_phone"
    reasons = []
    for e164, invalid_reason, unreachable in candidates:
        if invalid_reason:
            reasons.append("invalid_phone")
            continue
        if unreachable:
            reasons.append("unreachable")
            continue
        state = consent.get((contact["id"], e164))
        if state == ConsentState.SUBSCRIBED:
            return e164, ""
        reasons.append("opted_out" if state == ConsentState.UNSUBSCRIBED else "not_subscribed")
    # Report the most telling reason: an opt-out beats "not subscribed" beats a bad number.
    for reason in ("opted_out", "not_subscribed", "unreachable", "invalid_phone"):
        if reason in reasons:
            return candidates[0][0], reason
    return candidates[0][0], "invalid_phone"


def _token_values(contact: dict) -> dict:
    values = dict(contact.get("properties") or {})
    for name in ("first_name", "last_name", "email", "company_name", "time_zone"):
        values[name] = contact[name]
    values["phone"] = contact["phone_e164"]
    values["mobile_phone"] = contact["mobile_phone_e164"]
    return values


def recipients(message: SmsMessage, *, batch_size: int = BATCH_SIZE) -> Iterator[list[Recipient]]:
    """The audience as Recipient batches, each consent-checked with one query."""
    custom = {name for name, _ in tokens.tokens_in(message.body)} - BUILT_IN_TOKENS
    fields = CONTACT_FIELDS + ("properties",) if custom else CONTACT_FIELDS
    for batch in _batches(message, batch_size, fields):
        consent = {
            (contact_id, phone): state
            for contact_id, phone, state in ConsentStatus.objects.filter(
                contact_id__in=[c["id"] for c in batch],
                subscription_type_id=message.subscription_type_id,
            ).values_list("contact_id", "phone_e164", "status")
        }
        result = []
        for contact in batch:
            phone, reason = _choose_phone(contact, consent)
            result.append(
                Recipient(
                    contact_id=contact["id"],
                    phone_e164=phone,
                    not_sent_reason=reason,
                    time_zone=contact["time_zone"],
                    values=_token_values(contact),
                )
            )
        yield result


def audience_summary(message: SmsMessage) -> dict:
    """Sendable count and not-sendable counts by reason, before anything is written."""
    reasons: Counter[str] = Counter()
    phones: set[str] = set()
    sendable = 0
    for batch in recipients(message):
        for recipient in batch:
            if recipient.not_sent_reason:
                reasons[recipient.not_sent_reason] += 1
            elif recipient.phone_e164 in phones:
                reasons["duplicate_phone"] += 1
            else:
                phones.add(recipient.phone_e164)
                sendable += 1
    return {
        "sendable": sendable,
        "not_sendable": sum(reasons.values()),
        "reasons": [
            {"reason": key, "label": NOT_SENT_REASONS[key], "count": count}
            for key, count in reasons.most_common()
        ],
    }


def phones_opted_out_now(rows: Iterable[OutboundMessage]) -> set[int]:
    """Ids of rows whose phone is unsubscribed right now for their message's subscription type."""
    rows = [r for r in rows if r.message_id]
    if not rows:
        return set()
    type_by_message = dict(
        SmsMessage.objects.filter(pk__in={r.message_id for r in rows}).values_list(
            "pk", "subscription_type_id"
        )
    )
    opted_out = set(
        ConsentStatus.objects.filter(
            account_id__in={r.account_id for r in rows},
            phone_e164__in={r.to_phone for r in rows},
            status=ConsentState.UNSUBSCRIBED,
        ).values_list("account_id", "phone_e164", "subscription_type_id")
    )
    return {
        r.id
        for r in rows
        if (r.account_id, r.to_phone, type_by_message.get(r.message_id)) in opted_out
    }


def frequency_caps(account_ids: set[int]) -> dict[int, int]:
    from messaging.models import SendingSettings

    caps = dict(
        SendingSettings.objects.filter(account_id__in=account_ids).values_list(
            "account_id", "frequency_cap"
        )
    )
    return {account_id: caps.get(account_id, 3) for account_id in account_ids}
