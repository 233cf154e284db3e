"""One-to-one texts: inbox replies and keyword answers, sent right away through the gateway."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from consent.models import ConsentState, ConsentStatus
from messaging import segments, twilio_gateway
from messaging.models import OutboundMessage, OutboundStatus
from messaging.services.dispatch import credentials_for
from registration.models import PhoneNumber
from smsapp.models import Account


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
    """Send one text now. Refused to a phone that opted out (keyword answers excepted)."""
    if not body.strip():
        raise ValidationError("Write a message first.")
    if (
        respect_consent
        and ConsentStatus.objects.filter(
            account=account, phone_e164=to_phone, status=ConsentState.UNSUBSCRIBED
        ).exists()
    ):
        raise ValidationError(f"{to_phone} has opted out; it can't be texted.")
    estimate = segments.estimate(body)
    row = OutboundMessage.objects.create(
        account=account,
        contact=contact,
        sender=sender,
        kind=kind,
        to_phone=to_phone,
        body=body,
        segments=estimate.segments,
        encoding=estimate.encoding,
        status=OutboundStatus.CLAIMED,
        claimed_at=timezone.now(),
        attempts=1,
    )
    creds = credentials_for(sender)
    try:
        sent = twilio_gateway.message_send(
            account_sid=creds.account_sid,
            auth_token=creds.auth_token,
            to=to_phone,
            body=body,
            from_=None if sender.messaging_service_sid else sender.e164,
            messaging_service_sid=sender.messaging_service_sid or None,
            status_callback=twilio_gateway.status_callback_url(),
        )
    except twilio_gateway.PermanentSendError as error:
        OutboundMessage.objects.filter(pk=row.pk).update(
            status=OutboundStatus.FAILED, error_code=error.code
        )
        raise ValidationError(f"Twilio refused the text: {error.message}") from error
    except twilio_gateway.TransientSendError as error:
        if not error.outcome_unknown:
            OutboundMessage.objects.filter(pk=row.pk).update(
                status=OutboundStatus.PENDING, claimed_at=None
            )
        # Otherwise it stays claimed and the reconciler settles it; either way no double send.
        row.refresh_from_db()
        return row
    OutboundMessage.objects.filter(pk=row.pk, twilio_sid__isnull=True).update(
        twilio_sid=sent.sid, status=sent.status or OutboundStatus.QUEUED, sent_at=timezone.now()
    )
    row.refresh_from_db()
    return row
