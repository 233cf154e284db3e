"""The inbox lists conversations: keyword texts (STOP, START, HELP) are answered automatically,
so alone they start no thread and count as nothing unread; they stay in the thread's history and
on the contact's timeline."""

from __future__ import annotations

import itertools

import pytest
from django.conf import settings
from django.urls import reverse

from contacts import selectors as contact_selectors
from messaging.services import conversations
from messaging.services.inbound import inbound_receive
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

_sids = itertools.count(1)


def texts(sending, phone: str, body: str):
    return inbound_receive(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        message_sid=f"SM{next(_sids):032x}",
        from_phone=phone,
        to_phone=sending.sender.e164,
        body=body,
    )


def test_keyword_texts_alone_open_no_thread(sending):
    stopper = sending.contact("Stan", phone="+12125553001")
    helper = sending.contact("Hal", phone="+12125553002")
    texts(sending, "+12125553001", "STOP")
    texts(sending, "+12125553001", "start")
    texts(sending, "+12125553002", "Help")
    bob = client_for(sending.tenant.bob)
    inbox = bob.get(reverse("messaging:inbox"))
    assert inbox.context["threads"] == []
    assert "No replies yet" in inbox.content.decode()
    # They are still on the contact's timeline.
    timeline = contact_selectors.contact_timeline(
        account=sending.account, contact=stopper, kinds=["sms_reply"]
    )
    assert [item.summary for item in timeline] == ["Replied: start", "Replied: STOP"]
    assert contact_selectors.contact_timeline(
        account=sending.account, contact=helper, kinds=["sms_reply"]
    )


def test_a_keyword_in_a_conversation_shows_in_its_history_but_isnt_unread(sending):
    rae = sending.contact("Rae", phone="+12125553003")
    texts(sending, "+12125553003", "Do you have size 9?")
    texts(sending, "+12125553003", "STOP")
    [thread] = conversations.threads(account=sending.account)
    assert (thread.contact, thread.unread, thread.last_body) == (rae, 1, "Do you have size 9?")

    bob = client_for(sending.tenant.bob)
    url = reverse("messaging:thread", args=[rae.public_id, sending.sender.public_id])
    html = bob.get(url).content.decode()
    assert html.index("Do you have size 9?") < html.index("STOP")
    assert "Opt-out keyword" in html
    [thread] = conversations.threads(account=sending.account)
    assert thread.unread == 0


def test_a_keyword_after_a_read_conversation_brings_no_unread_badge(sending):
    rae = sending.contact("Rae", phone="+12125553004")
    texts(sending, "+12125553004", "What time do you open?")
    conversations.thread_mark_read(account=sending.account, contact=rae, number=sending.sender)
    texts(sending, "+12125553004", "HELP")
    [thread] = conversations.threads(account=sending.account)
    assert thread.unread == 0 and thread.last_body == "What time do you open?"
    entries = conversations.thread_entries(
        account=sending.account, contact=rae, number=sending.sender
    )
    assert [(e.body, e.label) for e in entries] == [
        ("What time do you open?", "Reply"),
        ("HELP", "Help keyword"),
    ]


def test_a_flagged_reply_is_a_conversation(sending):
    sending.contact("Flo", phone="+12125553005")
    texts(sending, "+12125553005", "please stop texting me")
    [thread] = conversations.threads(account=sending.account)
    assert thread.unread == 1
