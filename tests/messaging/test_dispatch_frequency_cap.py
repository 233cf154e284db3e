"""The frequency cap at the moment of sending, across the account's numbers and campaigns: a
worker process holds a claim at 1 msg/s while another number's campaign reaches one of its
contacts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from messaging.models import OutboundMessage, OutboundStatus, SmsMessage
from messaging.ratelimit import SenderRateLimiter
from messaging.services import dispatch
from registration.models import PhoneNumber
from tests.conftest import daytime_zone, emulated_texts, enqueue, worker
from tests.factories import OutboundMessageFactory, PhoneNumberFactory
from twilio_emulator.testing import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

BUSY = "+12085552999"
# The texts claimed ahead of the busy contact's: at 1 msg/s its slot comes this many seconds
# after the first, time enough for the other number to reach it first.
AHEAD = 6


def row(sending, *, message, sender, contact, phone: str, **fields) -> OutboundMessage:
    return OutboundMessageFactory(
        account=sending.account,
        message=message,
        contact=contact,
        sender=sender,
        to_phone=phone,
        body=f"{message.name}. Reply STOP to opt out",
        segments=1,
        encoding="GSM-7",
        **fields,
    )


def test_a_claimed_text_whose_slot_comes_after_the_contact_reached_the_cap_is_deferred(
    sending, emulator, redis_server
):
    # Recipients where it is about noon (the worker runs on the real clock; area code 208
    # spans two zones, so the account's zone decides).
    sending.account.time_zone = daytime_zone()
    sending.account.save(update_fields=["time_zone"])
    slow = sending.sender
    PhoneNumber.objects.filter(pk=slow.pk).update(messages_per_second=1)
    fast = PhoneNumberFactory(
        account=sending.account,
        e164="+14155550101",
        status=PhoneNumber.Status.ACTIVE,
        messages_per_second=500,
        tmobile_daily_cap=100_000,
    )
    busy = sending.contact("Busy", phone=BUSY)
    now = timezone.now()
    for hours in (1, 2):  # two marketing texts today already: one more fits under the cap of 3
        row(
            sending,
            message=sending.message(name=f"Sale {hours}", status=SmsMessage.Status.SENT),
            sender=slow,
            contact=busy,
            phone=BUSY,
            status=OutboundStatus.DELIVERED,
            sent_at=now - dt.timedelta(hours=hours),
            twilio_sid=f"SM{hours:032d}",
        )
    flash = sending.message(name="Flash sale", status=SmsMessage.Status.SENDING)
    for n in range(AHEAD):
        phone = f"+1208555{n + 2000:04d}"
        row(
            sending,
            message=flash,
            sender=slow,
            contact=sending.contact(f"Early {n}", phone=phone),
            phone=phone,
            due_at=now - dt.timedelta(minutes=1),
        )
    claimed_late = row(sending, message=flash, sender=slow, contact=busy, phone=BUSY, due_at=now)
    other = sending.message(name="Other number's news", status=SmsMessage.Status.SENDING)
    row(sending, message=other, sender=fast, contact=busy, phone=BUSY, due_at=now)

    process = worker(emulator, redis_server["url"])
    try:
        enqueue(redis_server["url"], "messaging.tasks.sender_dispatch_task", slow.pk)
        # The slow number's run has claimed every row, the busy contact's among them.
        wait_until(lambda: emulated_texts(emulator), timeout=60, interval=0.1)
        assert OutboundMessage.objects.get(pk=claimed_late.pk).status == OutboundStatus.CLAIMED
        # Meanwhile the other number's campaign reaches the busy contact: its 3rd text today.
        dispatch.sender_dispatch(
            sender_id=fast.pk, time_budget=5, limiter=SenderRateLimiter(redis_server["url"])
        )
        assert [t["from"] for t in emulated_texts(emulator, to=BUSY)] == [fast.e164]
        wait_until(
            lambda: (
                OutboundMessage.objects.get(pk=claimed_late.pk).status != OutboundStatus.CLAIMED
            ),
            timeout=60,
            interval=0.1,
        )
        wait_until(lambda: len(emulated_texts(emulator)) >= AHEAD + 1, timeout=30, interval=0.1)
    finally:
        process.terminate()
        process.wait()

    # The 4th text never went: it waits for the cap to open, 24 hours after the oldest.
    assert [t["from"] for t in emulated_texts(emulator, to=BUSY)] == [fast.e164]
    claimed_late.refresh_from_db()
    assert (claimed_late.status, claimed_late.deferred_reason, claimed_late.sent_at) == (
        OutboundStatus.PENDING,
        "frequency_cap",
        None,
    )
    opens = now - dt.timedelta(hours=2) + dt.timedelta(hours=24)
    assert abs(claimed_late.due_at - opens) < dt.timedelta(seconds=5)
    # Everyone else got the flash sale.
    assert len(emulated_texts(emulator)) == AHEAD + 1
