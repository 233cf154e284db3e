"""Quiet hours hold at dispatch, not only at fan-out: whatever kept a marketing text waiting
(a pause, a cap, a retry, a crash, a long send), it reaches the recipient only 08:00-20:00
their time. New York in June is UTC-4: 20:00 there is 00:00 UTC, 08:00 is 12:00 UTC."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from messaging.models import OutboundMessage, OutboundStatus, SmsMessage
from messaging.services import dispatch, reconcile
from tests.factories import OutboundMessageFactory
from tests.messaging.test_dispatch_stops import StepLimiter, one_per_second
from tests.messaging.test_sending import NOON_NEW_YORK, fanout, send_all

pytestmark = pytest.mark.django_db


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


EIGHT_AM_NEW_YORK = utc(2026, 6, 2, 12, 0)  # the next opening after the evening of June 1st


def only_row(message) -> OutboundMessage:
    return OutboundMessage.objects.get(message=message)


def test_a_text_due_before_eight_pm_but_dispatched_after_waits_for_the_morning(sending, emulator):
    # Fanned out at 19:59 (due at once), then paused, resumed or simply reached at 20:05.
    with time_machine.travel(utc(2026, 6, 1, 23, 59), tick=False):
        sending.contact("Nia", phone="+12125558101")
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        assert only_row(message).due_at == timezone.now()
    with time_machine.travel(utc(2026, 6, 2, 0, 5), tick=True):
        assert send_all(sending) == 0
    row = only_row(message)
    assert (row.status, row.deferred_reason) == (OutboundStatus.PENDING, "quiet_hours")
    assert (row.due_at, row.claimed_at, row.attempts) == (EIGHT_AM_NEW_YORK, None, 0)
    assert emulator.state.creates_by_recipient == {}


def test_a_one_to_one_reply_is_not_held_by_quiet_hours(sending, emulator):
    with time_machine.travel(utc(2026, 6, 2, 3, 0), tick=True):  # 23:00 in New York
        contact = sending.contact("Ola", phone="+12125558102")
        OutboundMessageFactory(
            account=sending.account,
            contact=contact,
            sender=sending.sender,
            kind=OutboundMessage.Kind.REPLY,
            to_phone="+12125558102",
            body="Your order is ready",
        )
        assert send_all(sending) == 1


def test_a_send_running_past_eight_pm_stops_there(sending, emulator):
    with time_machine.travel(utc(2026, 6, 1, 23, 59, 50), tick=True) as traveller:
        one_per_second(sending)
        for n in range(6):
            sending.contact(f"L{n}", phone=f"+1212555{8200 + n:04d}")
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)

        def evening_falls(waits: int) -> None:
            if waits == 3:  # 1 text a second, a long list: 20:00 comes mid-run
                traveller.move_to(utc(2026, 6, 2, 0, 0, 1))

        sent = dispatch.sender_dispatch(
            sender_id=sending.sender.pk, time_budget=50, limiter=StepLimiter(evening_falls)
        )
    assert sent == 2
    waiting = OutboundMessage.objects.filter(message=message, status=OutboundStatus.PENDING)
    assert waiting.count() == 4
    assert set(waiting.values_list("due_at", "deferred_reason")) == {
        (EIGHT_AM_NEW_YORK, "quiet_hours")
    }
    assert sum(emulator.state.creates_by_recipient.values()) == 2


def test_the_daily_cap_defers_to_the_recipients_morning_not_midnight_pacific(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        sending.sender.tmobile_daily_cap = 1
        sending.sender.save(update_fields=["tmobile_daily_cap"])
        sending.contact("Ann", phone="+12125558301")
        sending.contact("Ben", phone="+12125558302")
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        assert send_all(sending) == 1
    row = OutboundMessage.objects.get(message=message, status=OutboundStatus.PENDING)
    # The carrier day turns at midnight Pacific, 03:00 in New York: too early for a text.
    assert (row.deferred_reason, row.due_at) == ("daily_cap", EIGHT_AM_NEW_YORK)


def test_the_frequency_cap_never_reopens_at_night(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        busy = sending.contact("Busy", phone="+12125558401")
        # Three texts since 23:10 last night: the cap reopens at 23:10 tonight.
        for minutes in (0, 60, 120):
            OutboundMessageFactory(
                account=sending.account,
                contact=busy,
                sender=sending.sender,
                to_phone="+12125558401",
                status=OutboundStatus.DELIVERED,
                sent_at=utc(2026, 6, 1, 3, 10) + dt.timedelta(minutes=minutes),
            )
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        send_all(sending)
    row = only_row(message)
    assert (row.deferred_reason, row.due_at) == ("frequency_cap", EIGHT_AM_NEW_YORK)


def test_a_retry_that_would_land_after_eight_pm_waits_for_the_morning(sending, emulator):
    with time_machine.travel(utc(2026, 6, 1, 23, 59, 50), tick=True):
        sending.contact("Rita", phone="+12125551429")  # 429 on the first attempt
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        send_all(sending)
    row = only_row(message)
    assert (row.deferred_reason, row.due_at) == ("retry", EIGHT_AM_NEW_YORK)


def test_a_stranded_claim_requeued_after_eight_pm_waits_for_the_morning(sending, emulator):
    with time_machine.travel(utc(2026, 6, 1, 23, 50), tick=True):
        sending.contact("Kai", phone="+12125558501")
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        assert len(dispatch.claim_due(sender_id=sending.sender.pk)) == 1  # and the worker dies
    with time_machine.travel(utc(2026, 6, 2, 0, 10), tick=True):
        assert reconcile.claimed_reconcile()["requeued"] == 1
        assert send_all(sending) == 0
    assert only_row(message).due_at == EIGHT_AM_NEW_YORK
    assert emulator.state.creates_by_recipient == {}
