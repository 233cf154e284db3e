"""A scheduled send resolves its audience shortly before it is due, not when it is scheduled,
and the review writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from messaging.models import MessageLink, OutboundMessage, OutboundStatus, SmsMessage
from messaging.services import fanout, lifecycle
from messaging.services import sending as sending_service
from messaging.services.audience import recipients

pytestmark = pytest.mark.django_db

NOON_NEW_YORK = dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)


def schedule(sending, message, capture) -> SmsMessage:
    with capture(execute=True):
        sending_service.message_send(
            account=sending.account, message=message, user=sending.tenant.alice
        )
    message.refresh_from_db()
    return message


def start_due(capture, now: dt.datetime) -> int:
    with capture(execute=True):
        return sending_service.scheduled_fanouts_start(now=now)


def test_a_contact_who_joins_the_list_after_scheduling_gets_the_text(
    sending, django_capture_on_commit_callbacks
):
    tomorrow = NOON_NEW_YORK + dt.timedelta(days=1)
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        sending.contact("Ann", phone="+12125551501")
        message = schedule(
            sending,
            sending.message(schedule_kind=SmsMessage.ScheduleKind.AT, scheduled_at=tomorrow),
            django_capture_on_commit_callbacks,
        )
        assert message.status == SmsMessage.Status.SCHEDULED
        assert message.fanout_starts_at == tomorrow - fanout.FANOUT_LEAD
        assert not OutboundMessage.objects.filter(message=message).exists()
        # Nothing is due yet: beat's sweep starts nothing.
        assert start_due(django_capture_on_commit_callbacks, NOON_NEW_YORK) == 0

    # Between scheduling and sending, Ben joins the list and Ann opts out.
    sending.contact("Ben", phone="+12125551502")
    sending.subscribe("+12125551501", subscribed=False)

    almost = tomorrow - dt.timedelta(minutes=10)
    with time_machine.travel(almost, tick=False):
        assert start_due(django_capture_on_commit_callbacks, almost) == 1
        assert start_due(django_capture_on_commit_callbacks, almost) == 0  # started once
    rows = {
        row.contact.first_name: (row.status, row.not_sent_reason, row.due_at)
        for row in OutboundMessage.objects.filter(message=message).select_related("contact")
    }
    assert rows == {
        "Ann": (OutboundStatus.NOT_SENT, "opted_out", almost),
        "Ben": (OutboundStatus.PENDING, "", tomorrow),
    }
    message.refresh_from_db()
    assert message.fanout_completed_at is not None


def test_in_each_contacts_time_zone_the_audience_is_read_before_the_earliest_zone(
    sending, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        sending.contact("Kai", phone="+12125551601", time_zone="Pacific/Kiritimati")
        local_nine = dt.datetime(2026, 6, 3, 9, 0, tzinfo=dt.UTC)  # the wall time, as stored
        message = schedule(
            sending,
            sending.message(
                schedule_kind=SmsMessage.ScheduleKind.CONTACT_TIME_ZONE, local_send_at=local_nine
            ),
            django_capture_on_commit_callbacks,
        )
    # 09:00 at UTC+14 is 19:00 UTC the day before: the fan-out starts before that.
    kiritimati_nine = dt.datetime(2026, 6, 2, 19, 0, tzinfo=dt.UTC)
    assert message.fanout_starts_at == kiritimati_nine - fanout.FANOUT_LEAD
    with time_machine.travel(message.fanout_starts_at, tick=False):
        assert start_due(django_capture_on_commit_callbacks, message.fanout_starts_at) == 1
    row = OutboundMessage.objects.get(message=message)
    assert (row.status, row.due_at) == (OutboundStatus.PENDING, kiritimati_nine)


def test_a_fanout_that_lost_its_worker_is_started_again(
    sending, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        sending.contact("Cy", phone="+12125551701")
        message = sending.message(
            schedule_kind=SmsMessage.ScheduleKind.AT,
            scheduled_at=NOON_NEW_YORK + dt.timedelta(hours=2),
        )
        with django_capture_on_commit_callbacks(execute=False):  # the worker never runs it
            sending_service.message_send(
                account=sending.account, message=message, user=sending.tenant.alice
            )
    due = NOON_NEW_YORK + dt.timedelta(hours=2) - fanout.FANOUT_LEAD
    with django_capture_on_commit_callbacks(execute=False):
        assert sending_service.scheduled_fanouts_start(now=due) == 1
    assert start_due(django_capture_on_commit_callbacks, due + dt.timedelta(minutes=1)) == 0
    later = due + sending_service.FANOUT_STALLED_AFTER + dt.timedelta(minutes=1)
    assert start_due(django_capture_on_commit_callbacks, later) == 1
    assert OutboundMessage.objects.filter(message=message).count() == 1


def test_taking_a_schedule_back_stops_a_fanout_in_progress(sending):
    """The marketer changes a scheduled send while its audience is being written: what was
    written is withdrawn and no later batch lands for the draft (to go out with the old body)."""
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        for n in range(4):
            sending.contact(f"P{n}", phone=f"+1212555180{n}")
        message = sending.message(
            schedule_kind=SmsMessage.ScheduleKind.AT,
            scheduled_at=NOON_NEW_YORK + dt.timedelta(minutes=5),
            status=SmsMessage.Status.SCHEDULED,
        )

        def batches_with_a_change_between():
            for n, batch in enumerate(recipients(message, batch_size=2)):
                if n == 1:
                    lifecycle.message_unschedule(
                        account=sending.account, message=message, user=sending.tenant.bob
                    )
                yield batch

        created = fanout.message_fanout(
            message=message,
            recipients=batches_with_a_change_between(),
            plan=fanout.plan_for(message),
        )
    assert created == 2
    assert not OutboundMessage.objects.filter(message=message).exists()
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.DRAFT


def test_the_review_writes_nothing_and_a_send_takes_the_links_as_last_edited(
    sending, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        sending.contact("Dee", phone="+12125551901")
        message = sending.message(body="Sale at https://shop.example.com/old today")
        sending_service.message_review(account=sending.account, message=message)
        assert not MessageLink.objects.filter(message=message).exists()

        # Scheduled, taken back, edited and sent: the short link goes to the new page.
        message.schedule_kind = SmsMessage.ScheduleKind.AT
        message.scheduled_at = NOON_NEW_YORK + dt.timedelta(days=1)
        message.save()
        schedule(sending, message, django_capture_on_commit_callbacks)
        assert list(MessageLink.objects.filter(message=message).values_list("url", flat=True)) == [
            "https://shop.example.com/old"
        ]
        lifecycle.message_unschedule(
            account=sending.account, message=message, user=sending.tenant.bob
        )
        message.refresh_from_db()
        message.body = "Sale at https://shop.example.com/new today"
        message.schedule_kind = SmsMessage.ScheduleKind.NOW
        message.save()
        schedule(sending, message, django_capture_on_commit_callbacks)
    assert list(MessageLink.objects.filter(message=message).values_list("url", flat=True)) == [
        "https://shop.example.com/new"
    ]
    assert OutboundMessage.objects.filter(message=message).count() == 1


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_audience_is_read_ahead_on_its_own_connection(sending):
    """The fan-out task's path: the next batch is read by another thread while this one is
    written; every recipient is written once, and a stop leaves no reader behind."""
    import threading

    for n in range(7):
        sending.contact(f"R{n}", phone=f"+1212555190{n}")
    message = sending.message(status=SmsMessage.Status.SENDING)
    message.refresh_from_db()
    readers = []

    def batches():
        for batch in recipients(message, batch_size=2):
            readers.append(threading.current_thread().name)
            yield batch

    with time_machine.travel(NOON_NEW_YORK, tick=False):
        created = fanout.message_fanout(
            message=message, recipients=batches(), plan=fanout.plan_for(message)
        )
    assert created == 7 == OutboundMessage.objects.filter(message=message).count()
    assert set(readers) == {"fanout-read-ahead"}

    # Cancelled while being written: the fan-out stops and its reader thread ends.
    stopped = sending.message(name="Stopped", status=SmsMessage.Status.SENDING)
    stopped.refresh_from_db()

    def cancelled_after_one():
        for n, batch in enumerate(recipients(stopped, batch_size=2)):
            if n == 1:
                SmsMessage.objects.filter(pk=stopped.pk).update(status=SmsMessage.Status.CANCELLED)
            yield batch

    with time_machine.travel(NOON_NEW_YORK, tick=False):
        fanout.message_fanout(
            message=stopped, recipients=cancelled_after_one(), plan=fanout.plan_for(stopped)
        )
    assert OutboundMessage.objects.filter(message=stopped).count() < 7
    assert not any(t.name == "fanout-read-ahead" for t in threading.enumerate())
