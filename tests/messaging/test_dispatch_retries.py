"""Texts that never settle: Twilio refusing for hours, and status callbacks that never came."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache

from messaging.models import OutboundMessage, OutboundStatus, SmsMessage
from messaging.services import dispatch, reconcile
from tests.messaging.test_sending import NOON_NEW_YORK, fanout, send_all
from twilio_emulator.testing import wait_until

pytestmark = pytest.mark.django_db


def test_a_twilio_that_stays_busy_is_given_up_after_eight_attempts(sending, emulator):
    phone = "+12125550429"  # the emulator answers 429 to every attempt
    moment = NOON_NEW_YORK
    with time_machine.travel(moment, tick=True):
        sending.contact("Bea", phone=phone)
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
    moment += dt.timedelta(seconds=1)
    waits = []
    for _ in range(dispatch.MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=True):
            send_all(sending)
        row = OutboundMessage.objects.get(message=message)
        if row.status != OutboundStatus.PENDING:
            break
        assert row.deferred_reason == "retry"
        waits.append(round((row.due_at - moment).total_seconds() / 30))
        moment = row.due_at + dt.timedelta(seconds=1)
    assert waits == [1, 2, 4, 8, 16, 32, 64]  # 30 s doubling, about an hour in all
    assert (row.status, row.not_sent_reason, row.error_code) == (
        OutboundStatus.NOT_SENT,
        "retries_exhausted",
        20429,
    )
    assert emulator.state.attempts_by_recipient[phone] == dispatch.MAX_ATTEMPTS
    # And it is done: later runs leave it alone.
    with time_machine.travel(moment + dt.timedelta(days=1), tick=True):
        assert send_all(sending) == 0
    assert emulator.state.attempts_by_recipient[phone] == dispatch.MAX_ATTEMPTS


def test_a_lost_status_callback_is_settled_from_twilio_after_an_hour(sending, emulator):
    cache.delete(reconcile.STALE_CURSOR_KEY)
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        sending.contact("Del", phone="+12125559001")
        gone = sending.contact("Una", phone="+12125550003")  # the carrier: 30003 unreachable
        sending.contact("Sam", phone="+12125559002")
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        assert send_all(sending) == 3
        # The emulator's carrier finishes each message; its callbacks go nowhere (port 9).
        wait_until(
            lambda: all(
                m["status"] in ("delivered", "undelivered")
                for m in emulator.state.messages.values()
            )
        )
        rows = {r.to_phone: r for r in OutboundMessage.objects.filter(message=message)}
        assert {r.status for r in rows.values()} == {OutboundStatus.QUEUED}
    # Sam's "sent" callback did come; Twilio answering with an older status must not undo it.
    OutboundMessage.objects.filter(pk=rows["+12125559002"].pk).update(status=OutboundStatus.SENT)
    with emulator.state.lock:
        emulator.state.messages[rows["+12125559002"].twilio_sid]["status"] = "sending"
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(minutes=30), tick=True):
        assert reconcile.stale_statuses_reconcile()["checked"] == 0  # not stale yet
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(hours=2), tick=True):
        outcome = reconcile.stale_statuses_reconcile(batch_size=1)
        assert outcome == {"checked": 3, "moved": 2, "unreachable": 0}
        # Asked once per hour at most, however often beat runs it.
        assert reconcile.stale_statuses_reconcile()["checked"] == 0
    statuses = dict(
        OutboundMessage.objects.filter(message=message).values_list("to_phone", "status")
    )
    assert statuses == {
        "+12125559001": OutboundStatus.DELIVERED,
        "+12125550003": OutboundStatus.UNDELIVERED,
        "+12125559002": OutboundStatus.SENT,
    }
    assert OutboundMessage.objects.get(to_phone="+12125550003").error_code == 30003
    gone.refresh_from_db()
    assert gone.phone_unreachable  # what the callback would have recorded
