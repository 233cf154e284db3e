"""An inbox reply says what really became of it: sent, queued for a retry, or refused, and the
thread shows it in that state. Through the real gateway and the emulator, whose rules key
Twilio's answers on the last four digits of To (0429: always 429; 1610: 21610)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from messaging.models import OutboundMessage, OutboundStatus
from messaging.services.inbound import inbound_receive
from tests.conftest import client_for
from tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db


def conversation(sending, phone: str, sid: str):
    contact = sending.contact("Rae", phone=phone)
    inbound_receive(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        message_sid=sid,
        from_phone=phone,
        to_phone=sending.sender.e164,
        body="Do you have size 9?",
    )
    return contact, reverse("messaging:thread", args=[contact.public_id, sending.sender.public_id])


def test_a_reply_twilio_is_too_busy_for_is_queued_and_the_user_is_told(sending, emulator):
    contact, url = conversation(sending, "+12125550429", "SM" + "a1" * 16)
    bob = client_for(sending.tenant.bob)
    response = bob.post(url, {"body": "Yes, in stock!"}, follow=True)
    html = response.content.decode()
    assert "Reply sent." not in html
    assert "temporary error" in html and "retried automatically" in html
    reply = OutboundMessage.objects.get(kind=OutboundMessage.Kind.REPLY)
    assert reply.status == OutboundStatus.PENDING
    # The thread shows the reply, in its real state.
    [bubble] = [e for e in response.context["entries"] if e.direction == "out"]
    assert (bubble.body, bubble.status) == ("Yes, in stock!", "Queued to retry")
    assert "Yes, in stock!" in html and "Queued to retry" in html


def test_a_reply_twilio_refuses_shows_as_failed_with_the_reason(sending, emulator):
    contact, url = conversation(sending, "+12125551610", "SM" + "b2" * 16)
    bob = client_for(sending.tenant.bob)
    response = bob.post(url, {"body": "Yes, in stock!"})
    assert "Twilio refused the text" in response.content.decode()
    html = bob.get(url).content.decode()
    assert "Yes, in stock!" in html and "Failed" in html and "Twilio error 21610" in html


def test_a_reply_twilio_takes_says_sent_and_shows_its_status(sending, emulator):
    contact, url = conversation(sending, "+12125554100", "SM" + "c3" * 16)
    bob = client_for(sending.tenant.bob)
    html = bob.post(url, {"body": "Yes, in stock!"}, follow=True).content.decode()
    assert "Reply sent." in html
    reply = OutboundMessage.objects.get(kind=OutboundMessage.Kind.REPLY)
    assert reply.twilio_sid and reply.status not in (OutboundStatus.PENDING, "claimed")


def test_a_campaign_text_still_waiting_to_go_out_isnt_in_the_thread(sending, emulator):
    contact, url = conversation(sending, "+12125554101", "SM" + "d4" * 16)
    message = sending.message(body="Spring sale tomorrow")
    OutboundMessageFactory(
        account=sending.account,
        message=message,
        contact=contact,
        sender=sending.sender,
        to_phone=contact.phone_e164,
        body="Spring sale tomorrow",
        status=OutboundStatus.PENDING,
    )
    html = client_for(sending.tenant.bob).get(url).content.decode()
    assert "Spring sale tomorrow" not in html
