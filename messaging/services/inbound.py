"""Texts our numbers receive: keywords change consent at once; other replies go to the inbox."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from messaging.models import InboundMessage, OutboundMessage, OutboundStatus
from messaging.services.replies import keyword_answer_queue
from registration.models import PhoneNumber
from registration.selectors import twilio_credentials

logger = logging.getLogger(__name__)

# Sent after an inbound text is stored and committed, for apps that react to replies (workflows'
# keyword trigger); messaging can't import them. Payload: account_id, inbound_id, contact_id,
# body, keyword_kind. Receivers must stay cheap and hand work to the worker.
inbound_received = Signal()


def _announce(inbound: InboundMessage) -> None:
    def send() -> None:
        results = inbound_received.send_robust(
            sender=InboundMessage,
            account_id=inbound.account_id,
            inbound_id=inbound.pk,
            contact_id=inbound.contact_id,
            body=inbound.body,
            keyword_kind=inbound.keyword_kind,
        )
        for receiver, result in results:
            if isinstance(result, Exception):
                logger.error("inbound receiver %s failed", receiver, exc_info=result)

    transaction.on_commit(send)


def _number_for(account_sid: str, to_phone: str) -> PhoneNumber | None:
    number = PhoneNumber.objects.select_related("account").filter(e164=to_phone).first()
    if number is None:
        return None
    # A number answers only for the Twilio account it lives in: its account's subaccount, else
    # (the demo's numbers) the platform's. The platform's SID is no master key: Twilio names
    # the subaccount in callbacks for its numbers, so anything else is not this number's text.
    return number if account_sid == twilio_credentials(number.account).account_sid else None


def inbound_receive(
    *, account_sid: str, message_sid: str, from_phone: str, to_phone: str, body: str
) -> InboundMessage | None:
    """Store an inbound text once, apply its keyword, stop queued sends after an opt-out, and
    queue the keyword's answer, if it has one, to go out after commit."""
    from consent import services as consent_services

    if InboundMessage.objects.filter(message_sid=message_sid).exists():
        return None
    number = _number_for(account_sid, to_phone)
    if number is None:
        logger.info("inbound %s to unknown number %s: ignored", message_sid, to_phone)
        return None
    account = number.account
    try:
        with transaction.atomic():
            outcome = consent_services.inbound_keyword_apply(
                account=account,
                phone_e164=from_phone,
                body=body,
                received_by_number=to_phone,
                message_sid=message_sid,
            )
            if outcome.duplicate:
                return None
            inbound = InboundMessage.objects.create(
                account=account,
                message_sid=message_sid,
                contact=outcome.contact,
                from_phone=from_phone,
                to_phone=to_phone,
                body=body,
                keyword_kind=outcome.kind,
                flagged_for_review=outcome.kind == "flagged_for_review",
            )
            if outcome.kind == "opt_out":
                # The STOP wins over anything still waiting to go to that phone.
                OutboundMessage.objects.filter(
                    account=account,
                    to_phone=from_phone,
                    status=OutboundStatus.PENDING,
                    kind__in=OutboundMessage.MARKETING_KINDS,
                ).update(
                    status=OutboundStatus.NOT_SENT,
                    not_sent_reason="opted_out",
                    status_updated_at=timezone.now(),
                )
            if outcome.reply_text:
                # Queued, not sent here: Twilio waits on this request, and an answer Twilio
                # refuses must not fail it (a retried webhook is a duplicate and would never
                # answer). Written with the inbound row, so the answer can't be lost either.
                keyword_answer_queue(
                    account=account,
                    sender=number,
                    to_phone=from_phone,
                    body=outcome.reply_text,
                    contact=outcome.contact,
                )
    except IntegrityError:
        return None  # the same MessageSid raced in twice; the first one won
    _announce(inbound)
    return inbound
