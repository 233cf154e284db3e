"""What must stop a text a dispatcher already holds: a STOP or a pause arriving while the row
waits for its rate-limiter slot, the end of the run's time budget; and consent for the
one-to-one replies the dispatcher retries for the inbox."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
import time_machine
from django.conf import settings

from messaging.models import OutboundMessage, OutboundStatus, SmsMessage
from messaging.ratelimit import SenderRateLimiter, slot_spacing
from messaging.services import dispatch, inbound, lifecycle
from messaging.services.replies import reply_send
from registration.models import PhoneNumber
from tests.factories import OutboundMessageFactory
from tests.messaging.test_sending import NOON_NEW_YORK, fanout, send_all

pytestmark = pytest.mark.django_db


class StepLimiter(SenderRateLimiter):
    """A rate limiter on a clock of its own: sleeping moves the clock to the moment instead of
    waiting, so minutes of sending at 1 text a second take milliseconds. `on_wait(n)` runs once
    the dispatcher has reserved its n-th wave of slots, that is while those rows are claimed
    and waiting behind the limiter. `sent_at` is the clock's moment of each call to Twilio."""

    def __init__(self, on_wait=None):
        super().__init__(redis_url="")
        self.now = 1000.0
        self.started = self.now
        self.next_free = self.now
        self.waits = 0
        self.on_wait = on_wait
        self.sent_at: list[float] = []

    def clock(self) -> float:
        return self.now

    def reserve_slots(self, sender_key, *, per_second, burst=1, count=1):
        spacing = slot_spacing(per_second)
        first = max(self.now, self.next_free)
        self.next_free = first + spacing * count
        self.waits += 1
        if self.on_wait is not None:
            self.on_wait(self.waits)
        return [first + spacing * n for n in range(count)]

    def sleep_until(self, moment: float) -> None:
        # Sleeping moves this clock on, as it moves the real one: a dispatcher that waits for
        # a moment must find it has come.
        self.now = max(self.now, moment)

    @contextmanager
    def on_the_wire(self, sender_key, *, per_second):
        # The slots above are the whole rate here; the wire window counts real answers
        # (tests/messaging/test_dispatch_rate.py).
        self.sent_at.append(self.now)
        yield


def one_per_second(sending) -> None:
    sending.sender.messages_per_second = 1  # the default of a new number
    sending.sender.save(update_fields=["messages_per_second"])


def bodies_to(emulator, phone: str) -> list[str]:
    return [m["body"] for m in emulator.state.messages.values() if m["to"] == phone]


def test_a_stop_while_a_claimed_text_waits_for_its_slot_stops_that_text(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        one_per_second(sending)
        for n in range(3):
            sending.contact(f"C{n}", phone=f"+1212555{7100 + n:04d}")
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        stopper = "+12125557101"

        def stop_while_waiting(waits: int) -> None:
            if waits == 2:  # C1's wave: its row is claimed, its slot not yet used
                row = OutboundMessage.objects.get(message=message, to_phone=stopper)
                assert row.status == OutboundStatus.CLAIMED
                inbound.inbound_receive(
                    account_sid=settings.TWILIO_ACCOUNT_SID,
                    message_sid="SM" + "e" * 32,
                    from_phone=stopper,
                    to_phone=sending.sender.e164,
                    body="STOP",
                )

        dispatch.sender_dispatch(
            sender_id=sending.sender.pk,
            time_budget=50,
            limiter=StepLimiter(stop_while_waiting),
        )
    row = OutboundMessage.objects.get(message=message, to_phone=stopper)
    assert (row.status, row.not_sent_reason) == (OutboundStatus.NOT_SENT, "opted_out")
    assert not any("Hi C1" in body for body in bodies_to(emulator, stopper))
    assert emulator.state.creates_by_recipient["+12125557100"] == 1
    assert emulator.state.creates_by_recipient["+12125557102"] == 1


def test_pausing_holds_the_texts_a_dispatcher_already_claimed(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        one_per_second(sending)
        for n in range(10):
            sending.contact(f"P{n}", phone=f"+1212555{7200 + n:04d}")
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)

        def pause_on_the_third(waits: int) -> None:
            if waits == 3:
                lifecycle.message_pause(
                    account=sending.account, message=message, user=sending.tenant.bob
                )

        sent = dispatch.sender_dispatch(
            sender_id=sending.sender.pk, time_budget=50, limiter=StepLimiter(pause_on_the_third)
        )
        assert sent == 2
        rows = OutboundMessage.objects.filter(message=message)
        # Back to waiting as if never claimed: not "sending", and no attempt counted.
        assert rows.filter(status=OutboundStatus.PENDING, claimed_at=None, attempts=0).count() == 8
        message.refresh_from_db()
        lifecycle.message_resume(account=sending.account, message=message, user=sending.tenant.bob)
        assert send_all(sending) == 8
    assert sorted(emulator.state.creates_by_recipient.values()) == [1] * 10


def test_at_one_text_a_second_a_run_claims_only_what_its_budget_can_send(sending, emulator):
    """A 200-row claim at 1/s needs 200 s: the 50 s run was killed at its 90 s time limit with
    the rest stuck "sending" until the reconciler. Now it claims what 50 s can send."""
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        one_per_second(sending)
        message = sending.texts_due_now(80)
        limiter = StepLimiter()
        sent = dispatch.sender_dispatch(
            sender_id=sending.sender.pk, time_budget=30, limiter=limiter
        )
    assert sent == 30
    assert limiter.now - limiter.started <= 30
    rows = OutboundMessage.objects.filter(message=message)
    assert not rows.filter(status=OutboundStatus.CLAIMED).exists()
    assert rows.filter(status=OutboundStatus.PENDING, claimed_at=None, attempts=0).count() == 50


def test_a_reply_a_busy_twilio_left_pending_is_not_sent_after_a_stop(sending, emulator):
    phone = "+12125551429"  # the emulator answers 429 to its first attempt only
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        contact = sending.contact("Rey", phone=phone)
        row = reply_send(
            account=sending.account,
            sender=sending.sender,
            to_phone=phone,
            body="Sure, see you Monday",
            contact=contact,
        )
        assert row.status == OutboundStatus.PENDING
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(minutes=1), tick=True):
        sending.subscribe(phone, subscribed=False)  # STOP
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(minutes=10), tick=True):
        send_all(sending)
    row.refresh_from_db()
    assert (row.status, row.not_sent_reason) == (OutboundStatus.NOT_SENT, "opted_out")
    assert emulator.state.creates_by_recipient[phone] == 0


def test_the_answer_to_a_stop_still_goes_out_when_the_dispatcher_sends_it(sending, emulator):
    phone = "+12125557301"
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        contact = sending.contact("Sol", phone=phone)
        sending.subscribe(phone, subscribed=False)
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(seconds=1), tick=True):
        # The keyword's answer, written after the opt-out, waiting for the dispatcher.
        answer = OutboundMessageFactory(
            account=sending.account,
            contact=contact,
            sender=sending.sender,
            kind=OutboundMessage.Kind.REPLY,
            to_phone=phone,
            body="You are unsubscribed and will receive no further messages.",
        )
        assert send_all(sending) == 1
    answer.refresh_from_db()
    assert answer.twilio_sid
    assert emulator.state.creates_by_recipient[phone] == 1


def test_a_stall_of_the_sending_loop_under_a_second_costs_no_texts(sending, emulator):
    """The loop that reserves slots also claims rows and writes SIDs, which a database loaded
    by an import can hold up for most of a second. Slots held a second ahead keep the rate."""
    PhoneNumber.objects.filter(pk=sending.sender.pk).update(messages_per_second=20)
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        message = sending.texts_due_now(80)

        def stall(waits: int) -> None:
            if waits == 20:  # mid-send, with the next second's waves reserved
                limiter.now += 0.7

        limiter = StepLimiter(stall)
        sent = dispatch.sender_dispatch(
            sender_id=sending.sender.pk, time_budget=30, limiter=limiter
        )
    assert sent == 80
    assert OutboundMessage.objects.filter(message=message, twilio_sid__isnull=False).count() == 80
    # 80 texts at 20 a second take 79 slots; without slots held ahead the stall adds its 0.7 s.
    assert limiter.now - limiter.started < 79 * slot_spacing(20) + 0.2
