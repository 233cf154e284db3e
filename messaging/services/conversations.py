"""Conversations: one thread per contact and number, texts both ways in order."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Account
from consent.models import KeywordKind
from contacts.models import Contact
from messaging.models import InboundMessage, OutboundMessage, OutboundStatus
from registration.models import PhoneNumber


@dataclass(frozen=True)
class ThreadSummary:
    contact: Contact
    number: PhoneNumber
    last_at: object
    last_body: str
    unread: int


def _conversational(inbound: QuerySet[InboundMessage]) -> QuerySet[InboundMessage]:
    """Texts a person on our side should read. A keyword (STOP, START, HELP or a custom one) was
    answered and acted on automatically when it arrived, so it needs nobody."""
    return inbound.exclude(keyword_kind__in=KeywordKind.values)


def threads(*, account: Account, limit: int = 100) -> list[ThreadSummary]:
    """Threads with a reply in them, newest first, with unread counts.

    Only conversational texts open a thread, order it, give its last message and count as
    unread; keyword texts stay in the thread's history (`thread_entries`) and on the contact's
    timeline, but a STOP alone doesn't put a thread in the inbox.
    """
    conversational = _conversational(
        InboundMessage.objects.filter(account=account, contact__isnull=False)
    )
    last_body = (
        conversational.filter(contact_id=OuterRef("contact_id"), to_phone=OuterRef("to_phone"))
        .order_by("-received_at", "-id")
        .values("body")[:1]
    )
    grouped = list(
        conversational.values("contact_id", "to_phone")
        .annotate(
            last_at=Max("received_at"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
            last_body=Subquery(last_body),
        )
        .order_by("-last_at")[:limit]
    )
    contacts = Contact.objects.filter(account=account).in_bulk([g["contact_id"] for g in grouped])
    numbers = {n.e164: n for n in PhoneNumber.objects.filter(account=account)}
    result = []
    for group in grouped:
        number = numbers.get(group["to_phone"])
        contact = contacts.get(group["contact_id"])
        if number is None or contact is None:
            continue
        result.append(
            ThreadSummary(contact, number, group["last_at"], group["last_body"], group["unread"])
        )
    return result


@dataclass(frozen=True)
class ThreadEntry:
    direction: str  # "in" or "out"
    body: str
    at: object
    status: str
    kind: str
    # Where an outbound text came from: "Campaign: Spring sale", "Workflow: Welcome: text 1",
    # "One-to-one"; for an inbound one, "Reply" or the keyword it was ("Opt-out keyword").
    label: str = ""
    # The status key ("pending", "claimed", "failed"...) and, where it isn't plain sailing, why.
    state: str = ""
    detail: str = ""
    detail_url: str = ""


def _label(row: OutboundMessage) -> str:
    kind = row.get_kind_display()
    return f"{kind}: {row.message.name}" if row.message_id else kind


def _inbound_label(row: InboundMessage) -> str:
    if row.keyword_kind in KeywordKind.values:
        return f"{KeywordKind(row.keyword_kind).label} keyword"
    if row.flagged_for_review:
        return "Reply, flagged for review"
    return "Reply"


def _outbound_entry(row: OutboundMessage) -> ThreadEntry:
    """An outbound text with the state it is really in: a reply Twilio didn't take yet says so
    rather than passing for sent."""
    status, detail, detail_url = row.get_status_display(), "", ""
    if row.status == OutboundStatus.PENDING:
        if row.deferred_reason == "retry" or row.attempts:
            status = "Queued to retry"
            detail = "Twilio had a temporary problem; it is retried automatically."
        else:
            status = "Queued"
    elif row.status == OutboundStatus.CLAIMED:
        detail = "Handed to Twilio; waiting for its answer."
    elif row.status in (OutboundStatus.FAILED, OutboundStatus.UNDELIVERED) and row.error_code:
        detail = f"Twilio error {row.error_code}"
        detail_url = f"https://www.twilio.com/docs/api/errors/{row.error_code}"
    elif row.status == OutboundStatus.NOT_SENT and row.not_sent_reason:
        detail = row.not_sent_reason.replace("_", " ").capitalize()
    return ThreadEntry(
        "out",
        row.body,
        row.sent_at or row.created_at,
        status,
        row.kind,
        _label(row),
        state=row.status,
        detail=detail,
        detail_url=detail_url,
    )


def thread_entries(*, account: Account, contact: Contact, number: PhoneNumber) -> list[ThreadEntry]:
    """Texts both ways in order: campaign, workflow and one-to-one texts, each with its
    delivery status, and everything the contact sent, keywords included.

    One-to-one texts show whatever their state (queued for a retry, sending, failed): someone
    typed them here and must see what became of them. Campaign and workflow texts show once
    they went to Twilio; one still waiting is a scheduled send, not part of the conversation.
    """
    inbound = InboundMessage.objects.filter(account=account, contact=contact, to_phone=number.e164)
    outbound = (
        OutboundMessage.objects.filter(account=account, contact=contact, sender=number)
        .exclude(
            ~Q(kind=OutboundMessage.Kind.REPLY),
            status__in=(OutboundStatus.NOT_SENT, OutboundStatus.PENDING, OutboundStatus.CANCELLED),
        )
        .select_related("message")
    )
    entries = chain(
        (
            ThreadEntry(
                "in",
                m.body,
                m.received_at,
                "received",
                m.keyword_kind if m.keyword_kind in KeywordKind.values else "reply",
                _inbound_label(m),
                state="received",
            )
            for m in inbound
        ),
        (_outbound_entry(m) for m in outbound),
    )
    return sorted(entries, key=lambda e: e.at)


def thread_mark_read(*, account: Account, contact: Contact, number: PhoneNumber) -> int:
    return InboundMessage.objects.filter(
        account=account, contact=contact, to_phone=number.e164, read_at__isnull=True
    ).update(read_at=timezone.now())


def thread_phone(*, account: Account, contact: Contact, number: PhoneNumber) -> str:
    """The contact's phone the thread runs on: the one they last texted from."""
    last = (
        InboundMessage.objects.filter(account=account, contact=contact, to_phone=number.e164)
        .order_by("-received_at")
        .values_list("from_phone", flat=True)
        .first()
    )
    return last or contact.mobile_phone_e164 or contact.phone_e164
