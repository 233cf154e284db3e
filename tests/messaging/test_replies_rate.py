"""One-to-one texts share the sender's rate and carrier day with its campaigns."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine

from messaging.models import OutboundStatus
from messaging.ratelimit import next_carrier_day
from messaging.services.replies import reply_send
from tests.messaging.test_sending import NOON_NEW_YORK, send_all

pytestmark = pytest.mark.django_db


def test_replies_in_quick_succession_go_out_at_the_senders_rate(sending, emulator):
    sending.sender.messages_per_second = 1
    sending.sender.save(update_fields=["messages_per_second"])
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        sent_at = []
        for phone in ("+12125557401", "+12125557402", "+12125557403"):
            row = reply_send(
                account=sending.account, sender=sending.sender, to_phone=phone, body="On my way"
            )
            sent_at.append(time.monotonic())
            assert row.status == OutboundStatus.QUEUED
    # One a second at most: three replies can't all reach Twilio within the first second.
    assert sent_at[2] - sent_at[0] >= 1.9
    assert sum(emulator.state.creates_by_recipient.values()) == 3


def test_a_reply_past_the_carrier_daily_cap_waits_for_the_next_carrier_day(sending, emulator):
    sending.sender.tmobile_daily_cap = 0
    sending.sender.save(update_fields=["tmobile_daily_cap"])
    phone = "+12125557410"
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        row = reply_send(
            account=sending.account, sender=sending.sender, to_phone=phone, body="Tomorrow works"
        )
    assert (row.status, row.deferred_reason) == (OutboundStatus.PENDING, "daily_cap")
    assert row.due_at == next_carrier_day(NOON_NEW_YORK)
    assert emulator.state.creates_by_recipient[phone] == 0

    sending.sender.tmobile_daily_cap = 2000
    sending.sender.save(update_fields=["tmobile_daily_cap"])
    with time_machine.travel(next_carrier_day(NOON_NEW_YORK) + dt.timedelta(hours=9), tick=True):
        assert send_all(sending) == 1
    row.refresh_from_db()
    assert row.twilio_sid
    assert emulator.state.creates_by_recipient[phone] == 1
