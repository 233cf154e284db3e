"""Automated messages: the texts workflows send. Apps above messaging queue them here rather
than writing messaging's tables: each text is rendered, given its opt-out line and short links,
counted and scheduled (quiet hours) exactly as a campaign's fan-out does it, and dispatch then
sends it like any campaign text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from accounts.models import Account, User
from consent.models import SubscriptionType
from messaging.models import OutboundMessage, SmsMessage
from messaging.services import fanout
from messaging.services.fanout import Recipient
from registration.models import PhoneNumber

__all__ = [
    "Recipient",
    "automated_message_close",
    "automated_message_create",
    "automated_texts_queue",
]


def automated_message_create(
    *,
    account: Account,
    name: str,
    subscription_type: SubscriptionType,
    body: str,
    append_opt_out: bool,
    sender: PhoneNumber,
    owner: User,
    now: dt.datetime,
) -> SmsMessage:
    """The message an automation's texts are filed (and counted in analytics) under: never a
    draft a marketer edits, it is sending from the start."""
    return SmsMessage.objects.create(
        account=account,
        name=name[:200],
        subscription_type=subscription_type,
        status=SmsMessage.Status.SENDING,
        schedule_kind=SmsMessage.ScheduleKind.AUTOMATED,
        started_at=now,
        body=body,
        append_opt_out=append_opt_out,
        sender=sender,
        owner=owner,
    )


def automated_message_close(*, message_id: int, now: dt.datetime) -> None:
    """No more texts will be queued under the message: it turns sent once they went out."""
    SmsMessage.objects.filter(pk=message_id, fanout_completed_at__isnull=True).update(
        fanout_completed_at=now
    )


def automated_texts_queue(
    *, message: SmsMessage, texts: Sequence[Recipient], now: dt.datetime
) -> list[int | None]:
    """Queue one text of the message per recipient; returns each one's outbound row id, or
    None for a contact the message already has a text for (queued earlier or twice here)."""
    contact_ids = {text.contact_id for text in texts if text.contact_id}
    taken = set(
        OutboundMessage.objects.filter(message=message, contact_id__in=contact_ids).values_list(
            "contact_id", flat=True
        )
    )
    new: list[Recipient] = []
    positions: list[int | None] = []
    for text in texts:
        if text.contact_id and text.contact_id in taken:
            positions.append(None)
            continue
        if text.contact_id:
            taken.add(text.contact_id)
        positions.append(len(new))
        new.append(text)
    if not new:
        return [None] * len(texts)
    plan = fanout.plan_for(message, now=now)
    ids = fanout.ids_reserve(len(new))
    fanout.rows_write(list(fanout.outbound_rows(plan, new, ids=ids)), with_ids=True)
    return [None if position is None else ids[position] for position in positions]
