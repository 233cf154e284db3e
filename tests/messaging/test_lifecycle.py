"""A message's life is recorded with who moved it, and its page shows that history."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from messaging.models import MessageEvent, OutboundStatus, SendingSettings, SmsMessage
from messaging.services import lifecycle, rules
from tests.conftest import client_for
from tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db
Kind = MessageEvent.Kind
NOON_NEW_YORK = dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)


def history(message: SmsMessage) -> list[tuple[str, str | None]]:
    events = MessageEvent.objects.filter(message=message).order_by("at", "pk")
    return [(e.kind, e.user.email if e.user else None) for e in events]


def schedule_form(sending) -> dict:
    return {
        "include_lists": [sending.audience.public_id],
        "sender": sending.sender.public_id,
        "schedule_kind": "at",
        "send_at": "2026-06-02T09:00",
        "include_contacts": "",
        "exclude_contacts": "",
    }


def test_scheduling_and_cancelling_from_the_pages_are_recorded_with_who_did_them(sending):
    sending.tenant.account.time_zone = "America/New_York"
    sending.tenant.account.save()
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        sending.contact("Ana", phone="+12125552001")
        message = sending.message(sender=None)
        bob, alice = client_for(sending.tenant.bob), client_for(sending.tenant.alice)
        url = reverse("messaging:send", args=[message.public_id])
        bob.post(url, schedule_form(sending))
        bob.post(reverse("messaging:send_confirm", args=[message.public_id]))
        alice.post(reverse("messaging:send_cancel", args=[message.public_id]))
        page = bob.get(url).content.decode()
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.CANCELLED
    assert history(message) == [
        (Kind.SCHEDULED, sending.tenant.bob.email),
        (Kind.CANCELLED, sending.tenant.alice.email),
    ]
    section = page[page.index('id="message-history"') :]
    # Newest first, in the account's zone (noon UTC-4), with the user's name.
    assert section.index("Cancelled") < section.index("Scheduled")
    assert "Jun 1, 2026 12:00" in section
    assert "(America/New_York)" in section
    assert str(sending.tenant.alice) in section and str(sending.tenant.bob) in section


def test_pause_and_resume_record_the_user_and_refuse_the_wrong_state(sending):
    message = sending.message(status=SmsMessage.Status.SENDING)
    with pytest.raises(ValidationError, match="Only a paused message"):
        lifecycle.message_resume(account=sending.account, message=message, user=None)
    lifecycle.message_pause(account=sending.account, message=message, user=sending.tenant.bob)
    with pytest.raises(ValidationError, match="Only a message that is sending"):
        lifecycle.message_pause(account=sending.account, message=message, user=sending.tenant.bob)
    lifecycle.message_resume(account=sending.account, message=message, user=sending.tenant.alice)
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENDING
    assert history(message) == [
        (Kind.PAUSED, sending.tenant.bob.email),
        (Kind.RESUMED, sending.tenant.alice.email),
    ]


def test_the_app_starts_and_finishes_sends_itself_and_says_so(sending):
    contact = sending.contact("Ana", phone="+12125552001")
    scheduled = sending.message(status=SmsMessage.Status.SCHEDULED)
    row = OutboundMessageFactory(
        account=sending.account,
        message=scheduled,
        contact=contact,
        to_phone=contact.phone_e164,
        status="queued",
    )
    lifecycle.messages_progress()
    scheduled.refresh_from_db()
    assert scheduled.status == SmsMessage.Status.SENDING
    assert scheduled.started_at is not None
    # Not finished while its fan-out is still being written, whatever its rows say.
    lifecycle.messages_progress()
    assert history(scheduled) == [(Kind.STARTED, None)]
    SmsMessage.objects.filter(pk=scheduled.pk).update(fanout_completed_at=dt.datetime.now(dt.UTC))
    row.status = OutboundStatus.DELIVERED
    row.save()
    assert lifecycle.messages_progress() == 1
    scheduled.refresh_from_db()
    assert scheduled.status == SmsMessage.Status.SENT
    assert history(scheduled) == [(Kind.STARTED, None), (Kind.COMPLETED, None)]
    results = client_for(sending.tenant.bob).get(
        reverse("analytics:message", args=[scheduled.public_id])
    )
    section = results.content.decode().split('id="message-history"')[1]
    assert "Finished sending" in section and "smsapp, automatically" in section


def test_deleting_with_results_keeps_the_record_under_the_messages_name(sending):
    message = sending.message(status=SmsMessage.Status.SENT, name="Spring sale")
    bob = client_for(sending.tenant.bob)
    url = reverse("messaging:delete_with_results", args=[message.public_id])
    bob.post(url, {"confirm_name": "Spring sale"})
    assert not SmsMessage.objects.filter(pk=message.pk).exists()
    event = MessageEvent.objects.get(account=sending.account, kind=Kind.DELETED)
    assert (event.message_id, event.message_name, event.user) == (
        None,
        "Spring sale",
        sending.tenant.bob,
    )


def test_a_sent_message_is_deleted_only_once_its_texts_stop_counting_toward_the_cap(sending):
    """The cap counts texts: deleting a send's texts the day it went out would let the next
    send reach its contacts over the cap."""
    sending.account.time_zone = "America/New_York"
    sending.account.save(update_fields=["time_zone"])
    SendingSettings.objects.update_or_create(account=sending.account, defaults={"frequency_cap": 1})
    contact = sending.contact("Ana", phone="+12125552001")
    message = sending.message(status=SmsMessage.Status.SENDING, name="Spring sale")
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        OutboundMessageFactory(
            account=sending.account,
            message=message,
            contact=contact,
            to_phone=contact.phone_e164,
            status=OutboundStatus.DELIVERED,
            sent_at=NOON_NEW_YORK,
        )
        SmsMessage.objects.filter(pk=message.pk).update(fanout_completed_at=NOON_NEW_YORK)
        assert lifecycle.messages_progress() == 1
    bob = client_for(sending.tenant.bob)
    url = reverse("messaging:delete_with_results", args=[message.public_id])
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(hours=23), tick=False):
        page = bob.get(url).content.decode()
        assert 'id="delete-not-yet"' in page and 'id="delete-form"' not in page
        assert 'id="archive-instead"' in page
        assert "Jun 2, 2026, 12:00 EDT" in page
        response = bob.post(url, {"confirm_name": "Spring sale"}, follow=True)
        assert "can be deleted from Jun 2, 2026, 12:00 EDT" in response.content.decode()
        assert SmsMessage.objects.filter(pk=message.pk).exists()
        assert message.outbound.count() == 1
        assert contact.pk in rules.contacts_at_frequency_cap(
            account=sending.account, now=timezone.now()
        )
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(hours=24, minutes=1), tick=False):
        assert 'id="delete-form"' in bob.get(url).content.decode()
        bob.post(url, {"confirm_name": "Spring sale"})
    assert not SmsMessage.objects.filter(pk=message.pk).exists()


def test_a_draft_that_never_went_out_is_the_only_kind_deleted_without_its_results(sending):
    sent = sending.message(status=SmsMessage.Status.SENT)
    with pytest.raises(ValidationError, match="Only a draft"):
        lifecycle.draft_delete(account=sending.account, message=sent, user=None)
    sending_now = sending.message(status=SmsMessage.Status.SENDING)
    with pytest.raises(ValidationError, match="can't be deleted"):
        lifecycle.message_delete_with_results(
            account=sending.account, message=sending_now, user=None
        )
    assert SmsMessage.objects.filter(pk__in=[sent.pk, sending_now.pk]).count() == 2
    assert not MessageEvent.objects.exists()
