"""Building a sent message with deliveries, clicks and an opt-out, the way production does:
fan-out, dispatch through the emulator, Twilio's callbacks, short-link fetches, a STOP."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.conf import settings

from consent.models import ConsentState
from messaging import links
from messaging.models import OutboundMessage, SmsMessage
from messaging.ratelimit import SenderRateLimiter
from messaging.services import delivery, dispatch
from messaging.services.audience import recipients
from messaging.services.fanout import message_fanout, plan_for

NOON_NEW_YORK = dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Safari/604.1"
BODY = "Hi {{ contact.first_name }}, new arrivals: https://shop.example.com/new?ref=sms"


def send(sending, message: SmsMessage) -> None:
    """Fan out and dispatch everything through the emulator."""
    # Fan-out writes only for a message being sent.
    SmsMessage.objects.filter(pk=message.pk).update(status=SmsMessage.Status.SENDING)
    message.refresh_from_db()
    message_fanout(message=message, recipients=recipients(message), plan=plan_for(message))
    dispatch.sender_dispatch(
        sender_id=sending.sender.pk, time_budget=20, limiter=SenderRateLimiter(redis_url="")
    )


def callback(row: OutboundMessage, status: str, error_code: int | None = None) -> None:
    delivery.status_callback_record(
        message_sid=row.twilio_sid,
        status=status,
        error_code=error_code,
        account_sid=settings.TWILIO_ACCOUNT_SID,
    )
    delivery.status_callbacks_apply()


def short_codes(row: OutboundMessage) -> list[str]:
    return [link.rsplit("/", 1)[1] for link in links.links_in(row.body)]


def click(client, row: OutboundMessage, *, user_agent: str = IPHONE, position: int = 0):
    response = client.get(
        f"/{short_codes(row)[position]}",
        HTTP_HOST=settings.PUBLIC_LINK_DOMAIN,
        HTTP_USER_AGENT=user_agent,
    )
    assert response.status_code == 302
    return response


def stop(sending, phone: str) -> None:
    from consent import services as consent_services

    consent_services.phone_consent_set(
        account=sending.account,
        phone_e164=phone,
        subscription_types=[sending.subscription_type],
        status=ConsentState.UNSUBSCRIBED,
        source="keyword",
        evidence="STOP",
    )


def campaign_with_results(
    sending, client, *, name="Spring sale", phones=None, not_sent_phone="+12125550199"
):
    """Five recipients and one not sent: Ann and Bo delivered, Cy undelivered (30003), Di
    failed, Ed delivered and opted out; Ann clicked twice, Bo once, a preview fetched once."""
    phones = phones or {
        "Ann": "+12125550101",
        "Bo": "+12125550102",
        "Cy": "+12125550103",
        "Di": "+12125550104",
        "Ed": "+12125550105",
    }
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        contacts = {n: sending.contact(n, phone=p) for n, p in phones.items()}
        if not_sent_phone:
            sending.contact("Nia", phone=not_sent_phone, subscribed=False)
        message = sending.message(body=BODY, name=name)
        send(sending, message)
        rows = {
            r.contact.first_name: r
            for r in OutboundMessage.objects.filter(message=message).select_related("contact")
        }
        for n in ("Ann", "Bo", "Ed"):
            callback(rows[n], "sent")
            callback(rows[n], "delivered")
        callback(rows["Cy"], "undelivered", 30003)
        callback(rows["Di"], "failed", 30007)
        click(client, rows["Ann"])
        click(client, rows["Ann"])
        click(client, rows["Bo"])
        click(client, rows["Bo"], user_agent="facebookexternalhit/1.1 Facebot Twitterbot/1.0")
        stop(sending, phones["Ed"])
    return message, rows, contacts
