"""Who a message goes to, which phone is used, and why anyone is not sent (DESIGN.md, step 2).

A contact is sendable when it is a marketing contact, has a phone valid for SMS that is not known
to be unreachable, and that phone is subscribed to the message's subscription type. The mobile
phone is used when it qualifies, else the phone. Everyone else is kept with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import OuterRef, Q, QuerySet, Subquery

from consent import selectors as consent_selectors
from consent.models import ConsentState
from contacts import selectors as contact_selectors
from contacts.models import Contact
from messaging import tokens
from messaging.models import SmsMessage
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

# Read per recipient, in this order (tuples, not dicts: a million of them are read per send).
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
    # Each phone's consent for the message's subscription type (annotated, see `_batches`).
    "phone_consent",
    "mobile_phone_consent",
)
(
    _ID,
    _FIRST_NAME,
    _LAST_NAME,
    _EMAIL,
    _COMPANY_NAME,
    _TIME_ZONE,
    _MARKETING,
    _PHONE,
    _PHONE_INVALID,
    _PHONE_UNREACHABLE,
    _MOBILE,
    _MOBILE_INVALID,
    _MOBILE_UNREACHABLE,
    _PHONE_CONSENT,
    _MOBILE_CONSENT,
    _PROPERTIES,
) = range(len(CONTACT_FIELDS) + 1)
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

    if id_range is None:
        # One `IN (a UNION ALL b ...)`: PostgreSQL reads the included ids first and looks each
        # contact up by key, so a small audience costs as little in a huge account. ORed `IN`s
        # would check every contact of the account against each list.
        included = [message.include_contacts.values("pk").order_by()]
        included += [
            contact_selectors.contact_list_member_ids(contact_list).order_by()
            for contact_list in message.include_lists.all()
        ]
        include = Q(pk__in=included[0].union(*included[1:], all=True))
    else:
        include = Q(pk__in=message.include_contacts.values("pk"))
        for contact_list in message.include_lists.all():
            include |= members(contact_list)
    queryset = bounded(Contact.objects.filter(account=message.account)).filter(include)
    queryset = queryset.exclude(pk__in=message.exclude_contacts.values("pk"))
    for contact_list in message.exclude_lists.all():
        queryset = queryset.exclude(members(contact_list))
    return queryset


def _consent_of(message: SmsMessage, phone_field: str) -> Subquery:
    return consent_selectors.consent_state_of(
        subscription_type_id=message.subscription_type_id,
        contact=OuterRef("pk"),
        phone=OuterRef(phone_field),
    )


def _rows(
    message: SmsMessage, fields: tuple[str, ...], id_range: tuple[int, int | None] | None = None
) -> QuerySet:
    """The audience's rows in primary-key order, each contact with its phones' consent (two
    index probes per row in the same statement)."""
    return (
        audience_queryset(message, id_range=id_range)
        .annotate(
            phone_consent=_consent_of(message, "phone_e164"),
            mobile_phone_consent=_consent_of(message, "mobile_phone_e164"),
        )
        .order_by("pk")
        .values_list(*fields)
    )


def _batches(message: SmsMessage, size: int, fields: tuple[str, ...]) -> Iterator[list[tuple]]:
    """The audience in primary-key order, at most `size` contacts a batch.

    An audience of up to `size` contacts (a draft for a few people, a test list) is read in
    one statement. A larger one is read one slice of the account's contacts at a time: each
    slice ends at the id `size` contacts further on in the account (an index walk), so a batch
    holds at most `size` recipients and costs the same at any depth. Slicing a small audience
    that way would cost two statements per `size` contacts of the whole account, for nothing.
    """
    first = list(_rows(message, fields)[: size + 1])
    if len(first) <= size:
        if first:
            yield first
        return
    account_ids = Contact.objects.filter(account=message.account).order_by("pk")
    lo = 0
    while True:
        ends = list(account_ids.filter(pk__gt=lo).values_list("pk", flat=True)[size - 1 : size])
        hi = ends[0] if ends else None
        batch = list(_rows(message, fields, id_range=(lo, hi)))
        if batch:
            yield batch
        if hi is None:
            return
        lo = hi


def _choose_phone(contact: tuple) -> tuple[str, str]:
    """(phone, "") when sendable, else (best phone or "", reason)."""
    if not contact[_MARKETING]:
        return "", "not_marketing_contact"
    mobile, phone = contact[_MOBILE], contact[_PHONE]
    if not mobile and not phone:
        return "", "no_phone"
    reasons = []
    for e164, invalid, unreachable, state in (
        (mobile, contact[_MOBILE_INVALID], contact[_MOBILE_UNREACHABLE], contact[_MOBILE_CONSENT]),
        (phone, contact[_PHONE_INVALID], contact[_PHONE_UNREACHABLE], contact[_PHONE_CONSENT]),
    ):
        if not e164:
            continue
        if invalid:
            reasons.append("invalid_phone")
        elif unreachable:
            reasons.append("unreachable")
        elif state == ConsentState.SUBSCRIBED:
            return e164, ""
        else:
            reasons.append("opted_out" if state == ConsentState.UNSUBSCRIBED else "not_subscribed")
    # Report the most telling reason: an opt-out beats "not subscribed" beats a bad number.
    for reason in ("opted_out", "not_subscribed", "unreachable", "invalid_phone"):
        if reason in reasons:
            return mobile or phone, reason
    return mobile or phone, "invalid_phone"


def _token_values(contact: tuple, with_properties: bool) -> dict:
    """As `contacts.selectors.contact_token_values` has them (the preview's), from the row."""
    values = dict(contact[_PROPERTIES] or {}) if with_properties else {}
    values.update(
        first_name=contact[_FIRST_NAME],
        last_name=contact[_LAST_NAME],
        email=contact[_EMAIL],
        company_name=contact[_COMPANY_NAME],
        time_zone=contact[_TIME_ZONE],
        phone=contact[_PHONE],
        mobile_phone=contact[_MOBILE],
    )
    return values


def _fields(message: SmsMessage) -> tuple[tuple[str, ...], bool]:
    custom = {name for name, _ in tokens.tokens_in(message.body)} - BUILT_IN_TOKENS
    return (CONTACT_FIELDS + ("properties",) if custom else CONTACT_FIELDS), bool(custom)


def _recipient(contact: tuple, with_properties: bool) -> Recipient:
    phone, reason = _choose_phone(contact)
    return Recipient(
        contact_id=contact[_ID],
        phone_e164=phone,
        not_sent_reason=reason,
        time_zone=contact[_TIME_ZONE],
        values=_token_values(contact, with_properties),
    )


def recipients(message: SmsMessage, *, batch_size: int = BATCH_SIZE) -> Iterator[list[Recipient]]:
    """The audience as Recipient batches, consent read in the same statement as the contacts."""
    fields, custom = _fields(message)
    for batch in _batches(message, batch_size, fields):
        yield [_recipient(contact, custom) for contact in batch]


def recipients_first(message: SmsMessage, *, limit: int) -> list[Recipient]:
    """The audience's first `limit` recipients (primary-key order), in one statement."""
    fields, custom = _fields(message)
    return [_recipient(contact, custom) for contact in _rows(message, fields)[:limit]]
