"""One-to-one texts: inbox replies (sent while the user waits) and keyword answers (queued, so
the inbound webhook answers Twilio at once whatever happens to the answer)."""

from __future__ import annotations

import datetime as dt
import logging
from functools import cache

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Account
from consent import selectors as consent_selectors
from messaging import segments
from messaging.metrics import sends_count
from messaging.models import OutboundMessage, OutboundStatus
from messaging.ratelimit import SenderRateLimiter, next_carrier_day
from registration.models import PhoneNumber
from registration.selectors import twilio_credentials
from twilio_gateway import messages as twilio_messages
from twilio_gateway.errors import PermanentSendError, TransientSendError

logger = logging.getLogger(__name__)

# A text Twilio couldn't take waits this long; then the dispatcher sends it like any due row.
RETRY_AFTER = dt.timedelta(seconds=30)


def _row_create(
    *,
    account: Account,
    sender: PhoneNumber,
    to_phone: str,
    body: str,
    contact,
    kind: str,
    status: str,
) -> OutboundMessage:
    estimate = segments.estimate(body)
    now = timezone.now()
    claimed = status == OutboundStatus.CLAIMED
    return OutboundMessage.objects.create(
        account=account,
        contact=contact,
        sender=sender,
        kind=kind,
        to_phone=to_phone,
        body=body,
        segments=estimate.segments,
        encoding=estimate.encoding,
        status=status,
        due_at=now,
        claimed_at=now if claimed else None,
        attempts=1 if claimed else 0,
        created_at=now,
    )


@cache
def _limiter() -> SenderRateLimiter:
    return SenderRateLimiter()


def _claimed_send(row: OutboundMessage) -> PermanentSendError | None:
    """Send a row we hold (status claimed) and record what Twilio said. A permanent refusal is
    recorded on the row and returned, not raised: callers decide whom to tell.

    A one-to-one text takes its turn in the sender's rate and counts against its carrier day
    like a campaign's, so a reply in the middle of a send at full rate doesn't push a second
    over the limit; past the daily cap it waits for the next carrier day, still pending.
    """
    sender = row.sender
    now = timezone.now()
    if not _limiter().take_daily(sender.e164, cap=sender.tmobile_daily_cap, now=now):
        OutboundMessage.objects.filter(pk=row.pk, status=OutboundStatus.CLAIMED).update(
            status=OutboundStatus.PENDING,
            claimed_at=None,
            deferred_reason="daily_cap",
            due_at=next_carrier_day(now),
        )
        return None
    _limiter().wait_for_slot(sender.e164, per_second=sender.messages_per_second)
    try:
        with _limiter().on_the_wire(sender.e164, per_second=sender.messages_per_second):
            sent = twilio_messages.message_send(
                credentials=twilio_credentials(sender.account),
                to=row.to_phone,
                body=row.body,
                from_=None if sender.messaging_service_sid else sender.e164,
                messaging_service_sid=sender.messaging_service_sid or None,
                status_callback=twilio_messages.status_callback_url(),
            )
    except PermanentSendError as error:
        OutboundMessage.objects.filter(pk=row.pk).update(
            status=OutboundStatus.FAILED, error_code=error.code, status_updated_at=timezone.now()
        )
        return error
    except TransientSendError as error:
        if not error.outcome_unknown:
            OutboundMessage.objects.filter(pk=row.pk, status=OutboundStatus.CLAIMED).update(
                status=OutboundStatus.PENDING,
                claimed_at=None,
                deferred_reason="retry",
                due_at=timezone.now() + RETRY_AFTER,
            )
        # Otherwise Twilio may have it: it stays claimed for the reconciler, never resent blindly.
        logger.warning("one-to-one text %s: %s; left to the dispatcher", row.pk, error)
        return None
    now = timezone.now()
    OutboundMessage.objects.filter(pk=row.pk, twilio_sid__isnull=True).update(
        twilio_sid=sent.sid,
        status=sent.status or OutboundStatus.QUEUED,
        sent_at=now,
        status_updated_at=now,
    )
    sends_count([row])
    return None


def reply_send(
    *,
    account: Account,
    sender: PhoneNumber,
    to_phone: str,
    body: str,
    contact=None,
    respect_consent: bool = True,
    kind: str = OutboundMessage.Kind.REPLY,
) -> OutboundMessage:
    """Send one text now, while the user waits. Refused to a phone that opted out (unless
    `respect_consent` is False) and when Twilio refuses it for good (ValidationError; the
    failed row stays, so the thread shows it). A temporary Twilio error returns the row pending
    (the dispatcher retries it) or claimed (Twilio may have it; the reconciler settles it)."""
    if not body.strip():
        raise ValidationError("Write a message first.")
    if respect_consent and consent_selectors.phones_opted_out(account=account, phones=[to_phone]):
        raise ValidationError(f"{to_phone} has opted out; it can't be texted.")
    row = _row_create(
        account=account,
        sender=sender,
        to_phone=to_phone,
        body=body,
        contact=contact,
        kind=kind,
        status=OutboundStatus.CLAIMED,
    )
    refusal = _claimed_send(row)
    if refusal is not None:
        raise ValidationError(f"Twilio refused the text: {refusal.message}")
    row.refresh_from_db()
    return row


def keyword_answer_queue(
    *, account: Account, sender: PhoneNumber, to_phone: str, body: str, contact=None
) -> OutboundMessage:
    """Record the answer to a keyword (a custom reply, a short-code opt-in confirmation) as a
    pending one-to-one text and send it once the caller's transaction commits.

    The row is the outbox: if the task is lost, the dispatcher finds the row due and sends it.
    Consent isn't checked: the person just texted the keyword this answers.
    """
    row = _row_create(
        account=account,
        sender=sender,
        to_phone=to_phone,
        body=body,
        contact=contact,
        kind=OutboundMessage.Kind.REPLY,
        status=OutboundStatus.PENDING,
    )
    from messaging.tasks import reply_send_task  # tasks import services

    row_id = row.pk
    # robust: a broker that is down must not fail the webhook; the dispatcher has the row.
    transaction.on_commit(lambda: reply_send_task.delay(row_id), robust=True)
    return row


def queued_reply_send(*, outbound_id: int) -> OutboundMessage | None:
    """Send a queued one-to-one text if it is still waiting; None when the dispatcher (or an
    earlier run of this task) already took it. A refusal is recorded on the row and logged."""
    claimed = OutboundMessage.objects.filter(
        pk=outbound_id, kind=OutboundMessage.Kind.REPLY, status=OutboundStatus.PENDING
    ).update(status=OutboundStatus.CLAIMED, claimed_at=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    row = OutboundMessage.objects.select_related("sender", "sender__account").get(pk=outbound_id)
    refusal = _claimed_send(row)
    if refusal is not None:
        logger.warning(
            "one-to-one text %s to %s refused by Twilio: %s",
            row.pk,
            row.to_phone,
            refusal,
            extra={"account_id": row.account_id, "outbound_id": row.pk},
        )
    row.refresh_from_db()
    return row
