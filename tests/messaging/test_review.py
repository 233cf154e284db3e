"""The review before a send: counted on the page for small audiences, by the worker for large
ones (the page follows its progress), with what quiet hours, the frequency cap, missing time
zones and the registered use case mean for this send."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from messaging.models import OutboundStatus, SmsMessage
from messaging.services import sending as sending_service
from tests.conftest import client_for
from tests.factories import OutboundMessageFactory, UseCaseRegistrationFactory

pytestmark = pytest.mark.django_db

NOON_NEW_YORK = dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def large(monkeypatch):
    """Audiences of more than two count as large (the worker counts them)."""
    monkeypatch.setattr(sending_service, "REVIEW_INLINE_LIMIT", 2)
    cache.clear()
    yield
    cache.clear()


def review_of(sending, message, **kwargs):
    message.refresh_from_db()
    return sending_service.message_review(account=sending.account, message=message, **kwargs)


def test_a_large_audience_is_counted_by_the_worker_exactly_and_kept(sending, large):
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        for n in range(3):
            sending.contact(f"P{n}", phone=f"+1212555210{n}")
        sending.contact("Out", phone="+12125552109", subscribed=False)
        message = sending.message()
        # The eager worker of the tests counts it at once; a real one while the page polls.
        review = review_of(sending, message)
        assert (review.pending, review.sendable, review.not_sendable) == (False, 3, 1)
        assert review.segments_total == 3
        # Asked again, the count is the kept one: a contact added since isn't in it...
        sending.contact("Late", phone="+12125552108")
        assert review_of(sending, message).sendable == 3
        # ...until the message changes, which makes a new count.
        message.body = "Hello {{ contact.first_name }}!"
        message.save()
        assert review_of(sending, message).sendable == 4


def test_while_the_worker_counts_the_page_shows_progress_and_send_waits(sending, large):
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        for n in range(3):
            sending.contact(f"P{n}", phone=f"+1212555220{n}")
        message = sending.message(sender=sending.sender)
        message.refresh_from_db()
        key = sending_service._review_key(message)
        cache.set(f"{key}:counted", 2, 60)  # a worker is at it, two counted so far

        review = review_of(sending, message)
        assert (review.pending, review.counted, review.audience_size) == (True, 2, 3)
        with pytest.raises(ValidationError, match="still being counted"):
            sending_service.message_send(
                account=sending.account, message=message, user=sending.tenant.bob
            )
        bob = client_for(sending.tenant.bob)
        page = bob.get(reverse("messaging:send", args=[message.public_id]))
        assert b"Counting the recipients: 2 of about 3" in page.content
        assert b'hx-trigger="every 2s"' in page.content

        # The worker finishes; the panel it polls now shows the count and the send button.
        sending_service.message_review_count(message_id=message.pk, key=key)
        panel = bob.get(reverse("messaging:send_review", args=[message.public_id]))
    assert panel.context["review"].sendable == 3
    assert b'id="send-button"' in panel.content
    assert b"hx-trigger" not in panel.content


def test_a_count_for_a_message_changed_since_is_dropped(sending, large):
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        for n in range(3):
            sending.contact(f"P{n}", phone=f"+1212555230{n}")
        message = sending.message()
        stale_key = sending_service._review_key(message)
        message.body = "Changed {{ contact.first_name }}"
        message.save()
        sending_service.message_review_count(message_id=message.pk, key=stale_key)
    assert cache.get(stale_key) is None


def test_the_review_counts_what_the_frequency_cap_will_defer(sending):
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        busy = sending.contact("Busy", phone="+12125552301")
        sending.contact("Free", phone="+12125552302")
        earlier = sending.message(name="Earlier")
        for n in range(3):  # the default cap: 3 marketing texts in 24 hours
            OutboundMessageFactory(
                account=sending.account,
                message=earlier if n == 0 else sending.message(name=f"Earlier {n}"),
                contact=busy,
                sender=sending.sender,
                to_phone=busy.phone_e164,
                status=OutboundStatus.DELIVERED,
                sent_at=timezone.now() - dt.timedelta(hours=n + 1),
            )
        review = review_of(sending, sending.message(name="Now"))
    assert (review.sendable, review.frequency_capped) == (2, 1)
    assert any("already had 3 marketing texts" in w for w in review.warnings)


def test_in_contacts_time_zones_recipients_without_one_are_named(sending):
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        sending.contact("Zoned", phone="+12125552401", time_zone="America/Chicago")
        sending.contact("Phone", phone="+13105552402")  # Los Angeles, from the number
        # Idaho's 208 spans Boise's zone and Los Angeles': the number tells no zone.
        sending.contact("Nowhere", phone="+12085552403")
        message = sending.message(
            schedule_kind=SmsMessage.ScheduleKind.CONTACT_TIME_ZONE,
            local_send_at=dt.datetime(2026, 6, 2, 10, 0, tzinfo=dt.UTC),
        )
        review = review_of(sending, message)
    by_source = {(z["zone"], z["source"]): z["count"] for z in review.zones}
    assert by_source == {
        ("America/Chicago", "contact"): 1,
        ("America/Los_Angeles", "phone number"): 1,
        (sending.account.time_zone, "account"): 1,
    }
    assert any("1 recipients have no time zone" in w for w in review.warnings)


def test_a_link_the_registered_use_case_says_messages_lack_is_a_warning(sending):
    UseCaseRegistrationFactory(
        account=sending.account,
        status="approved",
        submitted_data={"has_links": False, "has_phone_numbers": False},
    )
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        sending.contact("Ana", phone="+12125552501")
        plain = review_of(sending, sending.message(body="20% off tents today"))
        linked = review_of(sending, sending.message(body="20% off at https://shop.example.com"))
        called = review_of(sending, sending.message(body="20% off, call (212) 555-0100"))
    assert not any("use case" in w for w in plain.warnings)
    assert any("has a link" in w and "use case" in w for w in linked.warnings)
    assert any("has a phone number" in w for w in called.warnings)


def test_the_time_zones_page_counts_every_sendable_recipient(sending):
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        sending.contact("Ann", phone="+12125552601")
        sending.contact("Bea", phone="+13105552602")
        sending.contact("Out", phone="+13105552603", subscribed=False)
        message = sending.message()
        page = client_for(sending.tenant.bob).get(
            reverse("messaging:send_time_zones", args=[message.public_id])
        )
    rows = {(r["zone"], r["count"]) for r in page.context["rows"]}
    assert rows == {("America/New_York", 1), ("America/Los_Angeles", 1)}
    assert [r["name"] for r in page.context["sample"]] == ["Ann", "Bea"]


def test_a_gsm_text_with_a_link_counts_the_same_in_review_composer_autosave_and_sent_rows(
    sending, emulator, django_capture_on_commit_callbacks
):
    """Links are counted at their short link's length everywhere; the review used to count the
    link markers themselves, which are not GSM characters (UCS-2: 6 segments where 3 went)."""
    from tests.analytics.helpers import send

    body = (
        'Hi {{ contact.first_name | default: "there" }}! Spring sale: tents and stoves at 20% '
        "off until Sunday: https://shop.example.com/spring"
    )
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        for n, name in enumerate(("Ann", "Bo", "Cy")):
            sending.contact(name, phone=f"+1212555230{n}")
        message = sending.message(body=body)
        review = review_of(sending, message)
        bob = client_for(sending.tenant.bob)
        saved = bob.post(
            reverse("messaging:save", args=[message.public_id]),
            {
                "name": message.name,
                "body": body,
                "append_opt_out": "on",
                "subscription_type": sending.subscription_type.pk,
                "sender": sending.sender.public_id,
            },
        ).content.decode()
        composer = bob.get(reverse("messaging:compose", args=[message.public_id])).content.decode()
        send(sending, message)
    rows = list(message.outbound.all())
    assert len(rows) == 3
    assert {row.encoding for row in rows} == {"GSM-7"}
    sent_total = sum(row.segments for row in rows)
    per_text = rows[0].segments
    assert per_text == 1
    assert review.segments_total == sent_total == 3
    assert 'data-encoding="GSM-7"' in saved and f'data-segments="{per_text}"' in saved
    assert f'<strong id="count-segments">{per_text}</strong>' in composer
