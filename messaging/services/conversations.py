"""Conversations: one thread per contact and number, texts both ways in order."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

from django.db.models import Count, Max, Q
from django.utils import timezone

from contacts.models import Contact
from messaging.models import InboundMessage, OutboundMessage, OutboundStatus
from registration.models import PhoneNumber
from smsapp.models import Account


@dataclass(frozen=True)
class ThreadSummary:
    contact: Contact
    number: PhoneNumber
    last_at: object
    last_body: str
    unread: int


def threads(*, account: Account, limit: int = 100) -> list[ThreadSummary]:
    """Threads with a reply in them, newest first, with unread counts."""
    grouped = (
        InboundMessage.objects.filter(account=account, contact__isnull=False)
        .values("contact_id", "to_phone")
        .annotate(last_at=Max("received_at"), unread=Count("id", filter=Q(read_at__isnull=True)))
        .order_by("-last_at")[:limit]
    )
    grouped = list(grouped)
    contacts = Contact.objects.in_bulk([g["contact_id"] for g in grouped])
    numbers = {n.e164: n for n in PhoneNumber.objects.filter(account=account)}
    result = []
    for group in grouped:
        number = numbers.get(group["to_phone"])
        contact = contacts.get(group["contact_id"])
        if number is None or contact is None:
            continue
        last = InboundMessage.objects.filter(
            account=account, contact=contact, to_phone=number.e164
        ).latest("received_at")
        result.append(ThreadSummary(contact, number, group["last_at"], last.body, group["unread"]))
    return result


@dataclass(frozen=True)
class ThreadEntry:
    direction: str  # "in" or "out"
    body: str
    at: object
    status: str
    kind: str
    # Where an outbound text came from: "Campaign: Spring sale", "Workflow: Welcome: text 1",
    # "One-to-one".
    label: str = ""


def _label(row: OutboundMessage) -> str:
    kind = row.get_kind_display()
    return f"{kind}: {row.message.name}" if row.message_id else kind


def thread_entries(*, account: Account, contact: Contact, number: PhoneNumber) -> list[ThreadEntry]:
    """Texts both ways in order: campaign, workflow and one-to-one texts, each with its
    delivery status, and the contact's replies."""
    inbound = InboundMessage.objects.filter(account=account, contact=contact, to_phone=number.e164)
    outbound = (
        OutboundMessage.objects.filter(account=account, contact=contact, sender=number)
        .exclude(
            status__in=(OutboundStatus.NOT_SENT, OutboundStatus.PENDING, OutboundStatus.CANCELLED)
        )
        .select_related("message")
    )
    entries = chain(
        (ThreadEntry("in", m.body, m.received_at, "received", "reply", "Reply") for m in inbound),
        (
            ThreadEntry(
                "out",
                m.body,
                m.sent_at or m.created_at,
                m.get_status_display(),
                m.kind,
                _label(m),
            )
            for m in outbound
        ),
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
