"""Fan-out, dispatch through the emulator, and what comes back."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from consent.models import ConsentLedgerEntry, ConsentState, ConsentStatus
from messaging.models import OutboundMessage, OutboundStatus, SmsMessage
from messaging.ratelimit import SenderRateLimiter
from messaging.services import dispatch, lifecycle, reconcile
from messaging.services import sending as sending_service
from messaging.services.audience import recipients
from messaging.services.fanout import message_fanout, plan_for
from messaging.tasks import message_fanout_task
from tests.factories import ContactFactory, OutboundMessageFactory

pytestmark = pytest.mark.django_db

NOON_NEW_YORK = dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)


def fanout(message: SmsMessage) -> int:
    SmsMessage.objects.filter(pk=message.pk, status=SmsMessage.Status.DRAFT).update(
        status=SmsMessage.Status.SENDING
    )
    message.refresh_from_db()
    return message_fanout(message=message, recipients=recipients(message), plan=plan_for(message))


def outcome_by_name(message: SmsMessage) -> dict[str, tuple[str, str]]:
    return {
        row.contact.first_name: (row.status, row.not_sent_reason or row.to_phone)
        for row in OutboundMessage.objects.filter(message=message).select_related("contact")
    }


def send_all(sending) -> int:
    return dispatch.sender_dispatch(
        sender_id=sending.sender.pk, time_budget=20, limiter=SenderRateLimiter(redis_url="")
    )


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_fanout_chooses_phones_and_keeps_reasons(sending):
    sending.contact("Mia", mobile_phone="+12125550101", phone="+12125550102")
    sending.contact("Pat", phone="+12125550103")
    sending.contact("Uma", phone="+12125550104", subscribed=False)
    sending.contact("Ned", phone="+12125550105", subscribed=None)
    sending.contact("Vic", phone="+13405550106")  # US Virgin Islands: never over 10DLC
    sending.contact("Max", phone="+12125550107", marketing_contact=False)
    # An import told to keep duplicates can leave two contacts on one phone.
    twin = ContactFactory(account=sending.account, first_name="Twin", phone_e164="+12125550103")
    sending.audience_add(twin)
    sending.subscribe("+12125550103")
    sending.contact("Outsider", phone="+12125550109", in_list=False)
    message = sending.message()

    assert fanout(message) == 7
    assert outcome_by_name(message) == {
        "Mia": (OutboundStatus.PENDING, "+12125550101"),
        "Pat": (OutboundStatus.PENDING, "+12125550103"),
        "Uma": (OutboundStatus.NOT_SENT, "opted_out"),
        "Ned": (OutboundStatus.NOT_SENT, "not_subscribed"),
        "Vic": (OutboundStatus.NOT_SENT, "invalid_phone"),
        "Max": (OutboundStatus.NOT_SENT, "not_marketing_contact"),
        "Twin": (OutboundStatus.NOT_SENT, "duplicate_phone"),
    }
    mia = OutboundMessage.objects.get(message=message, contact__first_name="Mia")
    assert mia.body == "Hi Mia!\nReply STOP to opt out"
    assert (mia.segments, mia.encoding) == (1, "GSM-7")


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_running_the_fanout_twice_creates_nothing_new(sending):
    for i in range(5):
        sending.contact(f"C{i}", phone=f"+1212555020{i}")
    message = sending.message()
    assert fanout(message) == 5
    assert fanout(message) == 0
    assert OutboundMessage.objects.filter(message=message).count() == 5


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_each_body_is_rendered_and_counted_exactly(sending):
    sending.contact("Zoë 😀", phone="+12125550301")
    sending.contact("Al", phone="+12125550302")
    message = sending.message(
        body="Hello {{ contact.first_name }} " + "x" * 130, append_opt_out=False
    )
    fanout(message)
    rows = {r.contact.first_name: r for r in OutboundMessage.objects.filter(message=message)}
    assert (rows["Zoë 😀"].encoding, rows["Zoë 😀"].segments) == ("UCS-2", 3)
    assert (rows["Al"].encoding, rows["Al"].segments) == ("GSM-7", 1)


@time_machine.travel(dt.datetime(2026, 6, 2, 3, 0, tzinfo=dt.UTC), tick=False)
def test_quiet_hours_defer_to_the_recipients_next_morning(sending):
    # 23:00 in New York, 20:00 in Los Angeles: both outside 08:00-20:00.
    sending.contact("Nyla", phone="+12125550401")
    sending.contact("Lana", phone="+13105550402")
    sending.contact("Hana", phone="+18085550403", time_zone="Pacific/Honolulu")  # 17:00 there
    message = sending.message()
    fanout(message)
    rows = {r.contact.first_name: r for r in OutboundMessage.objects.filter(message=message)}
    assert rows["Nyla"].due_at == dt.datetime(2026, 6, 2, 12, 0, tzinfo=dt.UTC)
    assert rows["Lana"].due_at == dt.datetime(2026, 6, 2, 15, 0, tzinfo=dt.UTC)
    assert rows["Nyla"].deferred_reason == "quiet_hours"
    assert rows["Hana"].due_at == timezone.now()
    assert rows["Hana"].deferred_reason == ""


@time_machine.travel(NOON_NEW_YORK, tick=False)
def test_scheduling_in_each_contacts_time_zone(sending):
    sending.contact("Nyla", phone="+12125550501")
    sending.contact("Lana", phone="+13105550502")
    message = sending.message(
        schedule_kind=SmsMessage.ScheduleKind.CONTACT_TIME_ZONE,
        # 10:00 wall-clock time on June 2nd (the stored value's UTC reading is the wall time).
        local_send_at=dt.datetime(2026, 6, 2, 10, 0, tzinfo=dt.UTC),
    )
    fanout(message)
    rows = {r.contact.first_name: r for r in OutboundMessage.objects.filter(message=message)}
    assert rows["Nyla"].due_at == dt.datetime(2026, 6, 2, 14, 0, tzinfo=dt.UTC)
    assert rows["Lana"].due_at == dt.datetime(2026, 6, 2, 17, 0, tzinfo=dt.UTC)


def test_dispatch_sends_each_due_message_once_through_twilio(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        for i in range(20):
            sending.contact(f"C{i}", phone=f"+1212555{600 + i:04d}")
        message = sending.message()
        fanout(message)
        message.status = SmsMessage.Status.SENDING
        message.save()
        assert send_all(sending) == 20
        assert send_all(sending) == 0
    rows = OutboundMessage.objects.filter(message=message)
    assert set(rows.values_list("status", flat=True)) <= {"queued", "sent", "delivered"}
    assert rows.exclude(twilio_sid=None).count() == 20
    creates = emulator.state.creates_by_recipient
    assert sorted(creates.values()) == [1] * 20


def test_a_stop_recorded_after_fanout_wins_at_claim_time(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        stopper = sending.contact("Stella", phone="+12125550701")
        sending.contact("Sam", phone="+12125550702")
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        ConsentStatus.objects.filter(contact=stopper).update(status=ConsentState.UNSUBSCRIBED)
        assert send_all(sending) == 1
    assert outcome_by_name(message)["Stella"] == (OutboundStatus.NOT_SENT, "opted_out")
    assert "+12125550701" not in emulator.state.creates_by_recipient


def test_frequency_cap_defers_rather_than_drops(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        busy = sending.contact("Busy", phone="+12125550801")
        for n in range(3):
            OutboundMessageFactory(
                account=sending.account,
                contact=busy,
                sender=sending.sender,
                to_phone="+12125550801",
                status=OutboundStatus.DELIVERED,
                sent_at=timezone.now() - dt.timedelta(hours=n + 1),
            )
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        send_all(sending)
    row = OutboundMessage.objects.get(message=message)
    assert (row.status, row.deferred_reason) == (OutboundStatus.PENDING, "frequency_cap")
    # The oldest of the three was sent 3 hours ago: the slot opens 21 hours from now.
    expected = NOON_NEW_YORK + dt.timedelta(hours=21)
    assert abs(row.due_at - expected) < dt.timedelta(seconds=5)


def test_unsubscribed_at_twilio_fails_and_records_a_carrier_opt_out(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        sending.contact("Una", phone="+12125551610")
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        send_all(sending)
    row = OutboundMessage.objects.get(message=message)
    assert (row.status, row.error_code) == (OutboundStatus.FAILED, 21610)
    entry = ConsentLedgerEntry.objects.get(phone_e164="+12125551610", source="carrier")
    assert entry.new_status == ConsentState.UNSUBSCRIBED


def test_invalid_number_at_twilio_marks_the_phone_invalid(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        contact = sending.contact("Ivy", phone="+12125551614")
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        send_all(sending)
    contact.refresh_from_db()
    assert contact.phone_sms_invalid_reason == "rejected_by_twilio"
    assert OutboundMessage.objects.get(message=message).status == OutboundStatus.FAILED


def test_a_busy_twilio_is_retried_later_without_a_duplicate(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        sending.contact("Rita", phone="+12125551429")  # 429 on the first attempt only
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        send_all(sending)
        row = OutboundMessage.objects.get(message=message)
        assert (row.status, row.deferred_reason) == (OutboundStatus.PENDING, "retry")
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(minutes=1), tick=True):
        send_all(sending)
    row.refresh_from_db()
    assert row.twilio_sid
    assert emulator.state.creates_by_recipient["+12125551429"] == 1


def test_a_lost_answer_is_reconciled_not_resent(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        sending.contact("Lou", phone="+12125550504")  # Twilio creates it, the answer is lost
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        send_all(sending)
        row = OutboundMessage.objects.get(message=message)
        assert (row.status, row.twilio_sid) == (OutboundStatus.CLAIMED, None)
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(minutes=10), tick=True):
        assert reconcile.claimed_reconcile() == {"adopted": 1, "requeued": 0, "given_up": 0}
        send_all(sending)
    row.refresh_from_db()
    assert row.twilio_sid.startswith("SM")
    assert emulator.state.creates_by_recipient["+12125550504"] == 1


def test_a_stranded_claim_that_never_reached_twilio_is_sent_once(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        sending.contact("Kim", phone="+12125550901")
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        # A dispatcher claims the row and dies before calling Twilio.
        assert len(dispatch.claim_due(sender_id=sending.sender.pk)) == 1
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(minutes=10), tick=True):
        assert reconcile.claimed_reconcile() == {"adopted": 0, "requeued": 1, "given_up": 0}
        assert send_all(sending) == 1
    assert emulator.state.creates_by_recipient["+12125550901"] == 1


def test_paused_messages_wait_and_resume(sending, emulator):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        sending.contact("Pia", phone="+12125551001")
        message = sending.message(status=SmsMessage.Status.SENDING)
        fanout(message)
        message = lifecycle.message_pause(
            account=sending.account, message=message, user=sending.tenant.bob
        )
        assert send_all(sending) == 0
        lifecycle.message_resume(account=sending.account, message=message, user=sending.tenant.bob)
        assert send_all(sending) == 1


def test_send_now_through_the_task_pipeline(sending, emulator, django_capture_on_commit_callbacks):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        sending.contact("Ava", phone="+12125551101")
        sending.contact("Bo", phone="+12125551102", subscribed=False)
        message = sending.message()
        with django_capture_on_commit_callbacks(execute=True):
            sending_service.message_send(
                account=sending.account, message=message, user=sending.tenant.alice
            )
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT
    assert emulator.state.creates_by_recipient == {"+12125551101": 1}
    assert outcome_by_name(message)["Bo"] == (OutboundStatus.NOT_SENT, "opted_out")


def test_review_blocks_an_empty_audience_and_counts_segments(sending):
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        message = sending.message()
        review = sending_review(sending, message)
        assert "No one in this audience can receive the message." in review.errors
        sending.contact("Ann", phone="+12125551201")
        sending.contact("Ben", phone="+12125551202", subscribed=False)
        review = sending_review(sending, message)
    assert review.errors == []
    assert (review.sendable, review.not_sendable, review.segments_total) == (1, 1, 1)
    assert review.reasons == [{"reason": "opted_out", "label": "Opted out", "count": 1}]


def sending_review(sending_fixture, message):
    return sending_service.message_review(account=sending_fixture.account, message=message)


def test_cancelling_a_scheduled_send_withdraws_it(
    sending, emulator, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        sending.contact("Cy", phone="+12125551301")
        message = sending.message(
            schedule_kind=SmsMessage.ScheduleKind.AT,
            scheduled_at=NOON_NEW_YORK + dt.timedelta(days=1),
        )
        with django_capture_on_commit_callbacks(execute=True):
            sending_service.message_send(
                account=sending.account, message=message, user=sending.tenant.alice
            )
        # Its audience is read shortly before it is due.
        with django_capture_on_commit_callbacks(execute=True):
            sending_service.scheduled_fanouts_start(now=NOON_NEW_YORK + dt.timedelta(days=1))
        assert OutboundMessage.objects.get(message=message).status == OutboundStatus.PENDING
        lifecycle.message_cancel(account=sending.account, message=message, user=sending.tenant.bob)
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(days=2), tick=True):
        assert send_all(sending) == 0
    assert OutboundMessage.objects.get(message=message).status == OutboundStatus.CANCELLED
    assert emulator.state.creates_by_recipient == {}


def test_message_fanout_task_ignores_drafts(sending):
    sending.contact("Dee", phone="+12125551401")
    message = sending.message()
    assert message_fanout_task(message.pk) == 0
    assert not OutboundMessage.objects.filter(message=message).exists()


def test_the_audience_is_read_in_slices_with_lists_included_and_excluded(sending):
    from contacts import services as contact_services

    shoe_size = contact_services.contact_property_create(
        account=sending.account, label="Shoe size", type="number"
    )
    on_list = [sending.contact(f"L{i}", phone=f"+1212555060{i}") for i in range(7)]
    direct = sending.contact("Direct", phone="+12125550610", in_list=False)
    acme = [
        sending.contact(f"Acme{i}", phone=f"+1212555062{i}", in_list=False, company_name="Acme")
        for i in range(3)
    ]
    blocked = contact_services.contact_list_create(account=sending.account, name="Blocked")
    contact_services.contact_list_add(
        account=sending.account, contact_list=blocked, contact_ids=[on_list[1].pk, on_list[5].pk]
    )
    acme_list = contact_services.contact_list_create(
        account=sending.account,
        name="Acme people",
        kind="active",
        rules={
            "match": "all",
            "conditions": [{"field": "company_name", "op": "eq", "value": "Acme"}],
        },
    )
    contact_services.contact_update(
        account=sending.account, contact=on_list[0], data={"properties": {shoe_size.key: "9"}}
    )
    message = sending.message(body=f'Size {{{{ contact.{shoe_size.key} | default: "?" }}}}')
    message.include_lists.add(acme_list)
    message.include_contacts.add(direct)
    message.exclude_lists.add(blocked)
    message.exclude_contacts.add(acme[2])

    batches = list(recipients(message, batch_size=2))

    assert all(len(batch) <= 2 for batch in batches)
    got = [r.contact_id for batch in batches for r in batch]
    expected = {c.pk for c in on_list + [direct] + acme[:2]} - {on_list[1].pk, on_list[5].pk}
    assert sorted(got) == sorted(expected)  # each once, in slices, nobody excluded
    values = {r.contact_id: r.values for batch in batches for r in batch}
    assert values[on_list[0].pk][shoe_size.key] == 9
