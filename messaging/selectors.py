"""Reads for the composer and the messages list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, DateTimeField, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from accounts.models import Account, Membership, User
from consent import selectors as consent_selectors
from contacts import selectors as contact_selectors
from contacts.models import Contact
from messaging import links, segments, tokens
from messaging.models import (
    Campaign,
    LinkClick,
    MessageEvent,
    MessageProperty,
    OutboundMessage,
    SmsMessage,
    TestPhone,
)
from registration.models import PhoneNumber

# The tabs of the messages list -> the statuses they hold (archived is its own tab).
LIST_TABS: dict[str, tuple[str, ...]] = {
    "draft": (SmsMessage.Status.DRAFT,),
    "scheduled": (SmsMessage.Status.SCHEDULED,),
    "sending": (SmsMessage.Status.SENDING, SmsMessage.Status.PAUSED),
    "sent": (SmsMessage.Status.SENT,),
    # Cancelled before it went out: nothing of it was sent.
    "cancelled": (SmsMessage.Status.CANCELLED,),
}
LIST_TAB_LABELS = {
    "": "All",
    "draft": "Drafts",
    "scheduled": "Scheduled",
    "sending": "Sending",
    "sent": "Sent",
    "cancelled": "Cancelled",
    "archived": "Archived",
}

# Stand-ins for "no time" so that a message not scheduled (or not sent) sorts after the others
# either way, and so that the API's cursor pages have a value to continue from.
_NEVER_EARLY = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
_NEVER_LATE = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


def _at(*fields: str, missing: dt.datetime):
    return Coalesce(*fields, Value(missing, output_field=DateTimeField()))


# sort -> (the key messages are ordered by, descending?). The key is annotated as
# `list_sort_key`, so the page and the API's cursor pagination order by the same thing.
_LIST_SORT_KEYS = {
    "-updated": (lambda: F("updated_at"), True),
    "updated": (lambda: F("updated_at"), False),
    "-created": (lambda: F("created_at"), True),
    "created": (lambda: F("created_at"), False),
    "name": (lambda: F("name"), False),
    "-name": (lambda: F("name"), True),
    # When it goes out: the date and time set (for "in each contact's time zone", the local
    # time it goes out at); soonest first, messages without a schedule last.
    "scheduled": (lambda: _at("scheduled_at", "local_send_at", missing=_NEVER_LATE), False),
    "-scheduled": (lambda: _at("scheduled_at", "local_send_at", missing=_NEVER_EARLY), True),
    # When sending began; never sent last.
    "-sent": (lambda: _at("started_at", missing=_NEVER_EARLY), True),
    "sent": (lambda: _at("started_at", missing=_NEVER_LATE), False),
}
LIST_SORTS = tuple(_LIST_SORT_KEYS)
LIST_SORT_LABELS = {
    "-updated": "Last updated",
    "-created": "Newest",
    "created": "Oldest",
    "name": "Name A-Z",
    "-name": "Name Z-A",
    "scheduled": "Scheduled: soonest",
    "-scheduled": "Scheduled: latest",
    "-sent": "Sent: newest",
    "sent": "Sent: oldest",
}


def list_ordering(sort: str) -> tuple[str, str]:
    """The ordering of a messages_list() queryset, as the API's cursor paginator takes it."""
    _, descending = _LIST_SORT_KEYS.get(sort, _LIST_SORT_KEYS["-updated"])
    return ("-list_sort_key", "-pk") if descending else ("list_sort_key", "pk")


# How a message goes out -> the schedule kinds that mean it (the messages list's filter).
SEND_METHODS: dict[str, tuple[str, tuple[str, ...]]] = {
    "regular": ("Regular", (SmsMessage.ScheduleKind.NOW, SmsMessage.ScheduleKind.AT)),
    "contact_tz": (
        "Scheduled in contacts' time zones",
        (SmsMessage.ScheduleKind.CONTACT_TIME_ZONE,),
    ),
    "automated": ("Automated by a workflow", (SmsMessage.ScheduleKind.AUTOMATED,)),
}


def messages_list(
    *,
    account: Account,
    tab: str = "",
    q: str = "",
    sort: str = "-updated",
    campaign: str = "",
    method: str = "",
    owner: str = "",
) -> QuerySet[SmsMessage]:
    """The account's messages in one tab (all but archived when none), searched by name,
    filtered by campaign (public id), send method (SEND_METHODS) and owner (membership id), and
    sorted (LIST_SORTS: updated, created, name, scheduled or sent time; "-" for descending)."""
    queryset = SmsMessage.objects.filter(account=account).select_related("campaign", "owner")
    if tab == "archived":
        queryset = queryset.filter(archived_at__isnull=False)
    else:
        queryset = queryset.filter(archived_at__isnull=True)
        if tab in LIST_TABS:
            queryset = queryset.filter(status__in=LIST_TABS[tab])
    q = (q or "").strip()[:200]
    if q:
        queryset = queryset.filter(name__icontains=q)
    if campaign:
        queryset = queryset.filter(campaign__public_id=campaign)
    if method in SEND_METHODS:
        queryset = queryset.filter(schedule_kind__in=SEND_METHODS[method][1])
    if owner:
        # By membership, so only users of this account can be named.
        queryset = queryset.filter(
            owner__memberships__account=account, owner__memberships__public_id=owner
        )
    key, _ = _LIST_SORT_KEYS.get(sort, _LIST_SORT_KEYS["-updated"])
    return queryset.annotate(list_sort_key=key()).order_by(*list_ordering(sort))


def message_owners(*, account: Account) -> QuerySet[Membership]:
    """The account's members, for the messages list's "by user" filter."""
    return Membership.objects.filter(account=account).select_related("user").order_by("user__email")


def personalization_fields(*, account: Account) -> list[tuple[str, str]]:
    """(key, label) of every contact property a token may name: built-in fields, then the
    account's own properties."""
    fields = {**contact_selectors.TEXT_FIELDS, **contact_selectors.PHONE_FIELDS}
    for prop in contact_selectors.contact_properties(account=account):
        fields.setdefault(prop.key, prop.label)
    return list(fields.items())


def token_values(contact: Contact | None) -> dict[str, object]:
    """What tokens render with: the contact's values, or nothing (so every default shows)."""
    return contact_selectors.contact_token_values(contact) if contact is not None else {}


def contact_for_preview(*, account: Account, public_id: str) -> Contact | None:
    if not public_id:
        return None
    return Contact.objects.filter(account=account, public_id=public_id).first()


def contacts_for_picker(*, account: Account, q: str, limit: int = 20) -> list[Contact]:
    """Contacts whose name, email or phone starts with `q`, for the preview's contact picker."""
    queryset = Contact.objects.filter(account=account)
    if q.strip():
        queryset = queryset.filter(contact_selectors.search_q(account, q))
    return list(queryset.order_by("-created_at", "-pk")[:limit])


def contact_picker_label(contact: Contact) -> str:
    """How a contact reads in a picker: name, email and phone, whichever it has."""
    parts = [str(contact), contact.email, contact.mobile_phone_e164 or contact.phone_e164]
    return " · ".join(dict.fromkeys(part for part in parts if part))


def contact_picker_options(*, account: Account, text: str) -> list[dict]:
    """The picker's chosen items for a comma-separated value: contacts by id with their
    labels, anything else (a typed email or number) as typed."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    known = {c.public_id: c for c in Contact.objects.filter(account=account, public_id__in=parts)}
    return [
        {"value": part, "text": contact_picker_label(known[part]) if part in known else part}
        for part in parts
    ]


def sender_for(*, account: Account, message: SmsMessage | None = None) -> PhoneNumber | None:
    """The number a message (or a test send) goes out from: the message's own while it is
    active, else the account's first active number."""
    if (
        message is not None
        and message.sender_id
        and message.sender.status == PhoneNumber.Status.ACTIVE
    ):
        return message.sender
    return (
        PhoneNumber.objects.filter(account=account, status=PhoneNumber.Status.ACTIVE)
        .order_by("created_at", "pk")
        .first()
    )


def senders(*, account: Account) -> QuerySet[PhoneNumber]:
    return PhoneNumber.objects.filter(account=account, status=PhoneNumber.Status.ACTIVE).order_by(
        "created_at", "pk"
    )


@dataclass(frozen=True)
class Preview:
    """A body as one recipient gets it, and what it costs.

    `text` is what the recipient reads (links as typed until short links exist); `counted_text`
    has each link replaced by a string as long as its short link, and `estimate` is of that.
    """

    text: str
    counted_text: str
    estimate: segments.SegmentEstimate
    links: int
    short_link_length: int
    values: Mapping[str, object]


def preview_build(
    *,
    body: str,
    append_opt_out: bool,
    values: Mapping[str, object],
    link_placeholder: str,
    unknown_values: bool = False,
) -> Preview:
    """Append the opt-out line, number the links fan-out shortens, render tokens, then count
    with those links at short-link length.

    The links are found in the body as written, as fan-out finds them (links.links_number):
    a link holding a token, and any past the 16th, goes out as typed and counts as rendered.
    """
    template, found = links.links_number(
        tokens.body_with_opt_out(body, append_opt_out=append_opt_out),
        limit=links.MAX_SHORT_LINKS,
    )
    rendered = tokens.render(template, values)
    placeholders = [link_placeholder] * len(found)
    counted = links.markers_fill(rendered, placeholders)
    # With no contact chosen, the estimate counts a token without a default as a value of
    # typical length (tokens.UNKNOWN_VALUE_LENGTH) rather than as nothing; `counted_text`
    # stays the text as it would go out with those values (a test send's).
    estimated = (
        links.markers_fill(tokens.render_for_estimate(template), placeholders)
        if unknown_values
        else counted
    )
    return Preview(
        text=links.markers_fill(rendered, found),
        counted_text=counted,
        estimate=segments.estimate(estimated),
        links=len(found),
        short_link_length=len(link_placeholder),
        values=values,
    )


def message_preview(
    *,
    account: Account,
    body: str,
    append_opt_out: bool = True,
    contact: Contact | None = None,
    sender: PhoneNumber | None = None,
    user: User | None = None,
) -> Preview:
    """The body rendered for `contact` (or with every default) and its exact segment count;
    `user` is the sender user (the message's owner) whose tokens it fills, with the account's."""
    body = tokens.message_tokens_fill(body, tokens.message_token_values(account=account, user=user))
    return preview_build(
        body=body,
        append_opt_out=append_opt_out,
        values=token_values(contact),
        link_placeholder=links.short_link_placeholder(account, sender=sender),
        unknown_values=contact is None,
    )


def test_phones(*, account: Account, user: User) -> QuerySet[TestPhone]:
    return TestPhone.objects.filter(account=account, user=user).order_by("created_at", "pk")


def test_phones_verified(*, account: Account) -> QuerySet[TestPhone]:
    """Every teammate's verified test phone: test sends may go to any of them."""
    return (
        TestPhone.objects.filter(account=account, verified_at__isnull=False)
        .select_related("user")
        .order_by("user__email", "phone_e164")
    )


def message_texts_and_clicks(*, message: SmsMessage) -> tuple[int, int]:
    """What deleting a message that went out takes with it: its texts (one per recipient) and
    the clicks on their links (people's, not link previews'). Counted from the rows themselves,
    on the message's indexes: the confirmation page asks once."""
    texts = OutboundMessage.objects.filter(message=message).count()
    clicks = LinkClick.objects.filter(message=message, is_bot=False).count()
    return texts, clicks


def message_properties(*, account: Account) -> QuerySet[MessageProperty]:
    return MessageProperty.objects.filter(account=account).order_by("-required", "label")


def campaigns(*, account: Account) -> QuerySet[Campaign]:
    return Campaign.objects.filter(account=account).order_by("name")


def subscription_types(*, account: Account):
    return consent_selectors.subscription_types(account=account)


def message_counts_by_tab(*, account: Account) -> dict[str, int]:
    """How many messages each tab of the list holds, in one query."""
    live = Q(archived_at__isnull=True)
    counts = {"": Count("pk", filter=live), "archived": Count("pk", filter=~live)}
    for tab, statuses in LIST_TABS.items():
        counts[tab] = Count("pk", filter=live & Q(status__in=statuses))
    aggregated = SmsMessage.objects.filter(account=account).aggregate(
        **{f"tab_{key}": value for key, value in counts.items()}
    )
    return {key: aggregated[f"tab_{key}"] for key in counts}


def message_history(*, message: SmsMessage) -> list[MessageEvent]:
    """Who sent, scheduled, paused, resumed, cancelled or archived the message, newest first."""
    return list(message.events.select_related("user").order_by("-at", "-pk"))
