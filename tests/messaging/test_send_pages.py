from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from messaging.models import OutboundMessage, SmsMessage
from tests.conftest import client_for
from tests.factories import InboundMessageFactory

pytestmark = pytest.mark.django_db
NOON_NEW_YORK = dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)


def send_form(sending, **overrides) -> dict:
    form = {
        "include_lists": [sending.audience.public_id],
        "sender": sending.sender.public_id,
        "schedule_kind": "now",
        "send_at": "",
        "include_contacts": "",
        "exclude_contacts": "",
    }
    form.update(overrides)
    return form


def test_review_then_send_now_from_the_send_tab(
    sending, emulator, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON_NEW_YORK, tick=True):
        sending.contact("Ana", phone="+12125552001")
        sending.contact("Ben", phone="+12125552002", subscribed=False)
        message = sending.message(sender=None)
        bob = client_for(sending.tenant.bob)
        url = reverse("messaging:send", args=[message.public_id])
        review = bob.post(url, send_form(sending))
        assert review.status_code == 200
        assert review.context["review"].sendable == 1
        assert b"Opted out" in review.content
        with django_capture_on_commit_callbacks(execute=True):
            bob.post(reverse("messaging:send_confirm", args=[message.public_id]))
        status_page = bob.get(url)
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT
    assert emulator.state.creates_by_recipient == {"+12125552001": 1}
    assert b"send-progress" in status_page.content
    assert b"100</span>% done" in status_page.content


def test_scheduling_in_the_past_is_refused_with_the_reason(sending):
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        sending.contact("Ana", phone="+12125552101")
        message = sending.message(sender=None)
        response = client_for(sending.tenant.bob).post(
            reverse("messaging:send", args=[message.public_id]),
            send_form(sending, schedule_kind="at", send_at="2026-05-01T09:00"),
        )
    assert b"That time has passed" in response.content
    message.refresh_from_db()
    assert message.schedule_kind == "now"


def test_unknown_contacts_in_the_audience_are_named(sending):
    message = sending.message()
    response = client_for(sending.tenant.bob).post(
        reverse("messaging:send", args=[message.public_id]),
        send_form(sending, include_contacts="nobody@example.com, +12125550000"),
    )
    assert "No contact matches: nobody@example.com, +12125550000." in response.content.decode()


def test_viewers_see_the_review_but_cannot_send(sending):
    sending.contact("Ana", phone="+12125552201")
    message = sending.message()
    vera = client_for(sending.tenant.vera)
    assert (
        vera.post(
            reverse("messaging:send", args=[message.public_id]), send_form(sending)
        ).status_code
        == 403
    )
    assert vera.post(reverse("messaging:send_confirm", args=[message.public_id])).status_code == 403
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.DRAFT


def test_the_time_zone_review_says_where_each_zone_came_from(sending):
    sending.contact("Den", phone="+13035552301", time_zone="America/Denver")
    sending.contact("Lax", phone="+13105552302")
    message = sending.message()
    page = client_for(sending.tenant.bob).get(
        reverse("messaging:send_time_zones", args=[message.public_id])
    )
    rows = {(r["zone"], r["source"]) for r in page.context["rows"]}
    assert rows == {("America/Denver", "contact"), ("America/Los_Angeles", "phone number")}


def test_inbox_threads_show_unread_replies_and_a_reply_goes_out(sending, emulator):
    contact = sending.contact("Rae", phone="+12125552401")
    InboundMessageFactory(
        account=sending.account,
        message_sid="SM" + "1" * 32,
        contact=contact,
        from_phone="+12125552401",
        to_phone=sending.sender.e164,
        body="Do you have size 9?",
    )
    bob = client_for(sending.tenant.bob)
    inbox = bob.get(reverse("messaging:inbox"))
    [thread] = inbox.context["threads"]
    assert (thread.unread, thread.last_body) == (1, "Do you have size 9?")
    url = reverse("messaging:thread", args=[contact.public_id, sending.sender.public_id])
    page = bob.get(url)
    assert b"Do you have size 9?" in page.content
    assert bob.get(reverse("messaging:inbox")).context["threads"][0].unread == 0
    bob.post(url, {"body": "Yes, in stock!"})
    reply = OutboundMessage.objects.get(kind="reply")
    assert (reply.to_phone, reply.body) == ("+12125552401", "Yes, in stock!")
    assert emulator.state.creates_by_recipient["+12125552401"] == 1
    assert b"Yes, in stock!" in bob.get(url).content


def test_a_reply_to_an_opted_out_phone_is_refused(sending, emulator):
    contact = sending.contact("Opal", phone="+12125552501", subscribed=False)
    InboundMessageFactory(
        account=sending.account,
        message_sid="SM" + "2" * 32,
        contact=contact,
        from_phone="+12125552501",
        to_phone=sending.sender.e164,
        body="STOP",
    )
    url = reverse("messaging:thread", args=[contact.public_id, sending.sender.public_id])
    response = client_for(sending.tenant.bob).post(url, {"body": "Are you sure?"})
    assert "has opted out" in response.content.decode()
    assert emulator.state.creates_by_recipient == {}


def test_outsiders_get_404_on_threads(sending):
    contact = sending.contact("Rae", phone="+12125552601")
    url = reverse("messaging:thread", args=[contact.public_id, sending.sender.public_id])
    assert client_for(sending.tenant.charlie).get(url).status_code == 404
