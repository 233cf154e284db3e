"""A one-to-one reply from the inbox shows on the contact's timeline, linked to its thread."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from contacts import selectors as contact_selectors
from messaging.services.inbound import inbound_receive
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_an_inbox_reply_is_on_the_contact_timeline(sending, emulator):
    contact = sending.contact("Rae", phone="+12125554200")
    inbound_receive(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        message_sid="SM" + "e5" * 16,
        from_phone="+12125554200",
        to_phone=sending.sender.e164,
        body="Do you have size 9?",
    )
    bob = client_for(sending.tenant.bob)
    thread = reverse("messaging:thread", args=[contact.public_id, sending.sender.public_id])
    bob.post(thread, {"body": "Yes, in stock!"})

    timeline = contact_selectors.contact_timeline(
        account=sending.account, contact=contact, kinds=["sms_sent", "sms_reply"]
    )
    assert [(item.kind, item.summary) for item in timeline] == [
        ("sms_sent", "Sent “Yes, in stock!” to +12125554200"),
        ("sms_reply", "Replied: Do you have size 9?"),
    ]
    assert timeline[0].link_url == thread
    page = bob.get(reverse("contacts:detail", args=[contact.public_id])).content.decode()
    assert "Sent “Yes, in stock!” to +12125554200" in page
