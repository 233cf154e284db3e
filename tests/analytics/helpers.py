"""Building a sent message with deliveries, clicks and an opt-out, the way production does:
fan-out, dispatch through the emulator, Twilio's callbacks, short-link fetches, a STOP."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings

from consent import services as consent_services
from consent.models import ConsentLedgerEntry, ConsentSource, ConsentState
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


# 03:30 UTC on June 2 is still June 1 in New York: days are the account's.
LATE_EVENING_NEW_YORK = dt.datetime(2026, 6, 2, 3, 30, tzinfo=dt.UTC)


def keyword(sending, phone: str, word: str, sid: str) -> None:
    consent_services.inbound_keyword_apply(
        account=sending.account,
        phone_e164=phone,
        body=word,
        received_by_number=sending.sender.e164,
        message_sid=sid,
    )


def consent_history(sending) -> list:
    """A month of consent changes from every source, over three days."""
    account = sending.account
    account.time_zone = "America/New_York"
    account.save(update_fields=["time_zone"])
    contacts = [
        sending.contact(f"C{i}", mobile_phone=f"+1415555{1000 + i}", subscribed=None)
        for i in range(6)
    ]
    with time_machine.travel(LATE_EVENING_NEW_YORK, tick=False):
        consent_services.consent_bulk_set(
            account=account,
            subscription_type=sending.subscription_type,
            pairs=[(c.pk, c.mobile_phone_e164) for c in contacts[:4]],
            status=ConsentState.SUBSCRIBED,
            source=ConsentSource.IMPORT,
        )
        consent_services.consent_bulk_set(
            account=account,
            subscription_type=sending.subscription_type,
            pairs=[(contacts[4].pk, contacts[4].mobile_phone_e164)],
            status=ConsentState.SUBSCRIBED,
            source=ConsentSource.BULK,
            data={"reformat": "prf_x"},
        )
    with time_machine.travel(LATE_EVENING_NEW_YORK + dt.timedelta(hours=12), tick=False):
        keyword(sending, contacts[0].mobile_phone_e164, "STOP", "SM" + "1" * 32)
        keyword(sending, contacts[1].mobile_phone_e164, "quit", "SM" + "2" * 32)
        consent_services.consent_carrier_opt_out(
            account=account, phone_e164=contacts[2].mobile_phone_e164, error_code=21610
        )
    with time_machine.travel(LATE_EVENING_NEW_YORK + dt.timedelta(days=1, hours=12), tick=False):
        keyword(sending, contacts[0].mobile_phone_e164, "START", "SM" + "3" * 32)
        consent_services.contact_opt_in(
            account=account,
            contact=contacts[5],
            subscription_type=sending.subscription_type,
            actor=sending.tenant.alice,
            consent_confirmed=True,
        )
    return contacts


def ledger_counts(account) -> Counter:
    """Straight from the ledger: (day, source, keyword, direction) -> entries."""
    zone = ZoneInfo(account.time_zone)
    counts: Counter = Counter()
    for entry in ConsentLedgerEntry.objects.filter(account=account):
        source = "reformat" if "reformat" in entry.data else entry.source
        word = entry.data.get("keyword", "") if entry.source == ConsentSource.KEYWORD else ""
        direction = "opt_in" if entry.new_status == ConsentState.SUBSCRIBED else "opt_out"
        counts[(entry.occurred_at.astimezone(zone).date(), source, word, direction)] += 1
    return counts
