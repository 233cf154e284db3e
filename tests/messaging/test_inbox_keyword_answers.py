"""A keyword's answer is queued by the inbound webhook and sent after it answered Twilio: the
webhook always answers 200 to a valid signed text, and a refused answer is recorded, not a 500.

The emulator tests run the real path: the emulator posts a signed inbound webhook to the live
server, our worker code (eager Celery) sends the answer back through the real SDK."""

from __future__ import annotations

import json
import logging
import urllib.request

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from consent import services as consent_services
from messaging.models import InboundMessage, OutboundMessage, OutboundStatus
from messaging.services import conversations
from tests.conftest import client_for

INBOUND_URL = "/webhooks/twilio/inbound"
HOURS_ANSWER = "Open 9-5, Monday to Saturday."


def emulated_texts(emulator, to: str) -> list[dict]:
    with urllib.request.urlopen(f"{emulator.url}/_emulator/messages?To={to}") as response:  # noqa: S310 - the local emulator
        return [m for m in json.load(response)["messages"] if m["direction"] != "inbound"]


def handset_texts(emulator, live_server, sending, phone: str, body: str) -> dict:
    """A person texts our number: the emulator posts the signed webhook to the live server."""
    response = requests.post(
        f"{emulator.url}/_emulator/inbound",
        data={
            "From": phone,
            "To": sending.sender.e164,
            "Body": body,
            "Url": live_server.url + INBOUND_URL,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def hours_keyword(sending):
    return consent_services.keyword_rule_create(
        account=sending.account, kind="custom", word="HOURS", reply_text=HOURS_ANSWER
    )


@pytest.mark.django_db(transaction=True)
def test_a_custom_keyword_is_answered_through_twilio_after_the_webhook(
    sending, emulator, live_server, settings, hours_keyword
):
    settings.PUBLIC_BASE_URL = live_server.url
    contact = sending.contact("Hana", phone="+12125554001")
    injected = handset_texts(emulator, live_server, sending, "+12125554001", "hours?")
    assert injected["webhook_status"] == 200
    [text] = emulated_texts(emulator, "+12125554001")
    assert (text["body"], text["from"]) == (HOURS_ANSWER, sending.sender.e164)
    answer = OutboundMessage.objects.get(kind=OutboundMessage.Kind.REPLY)
    assert answer.twilio_sid == text["sid"] and answer.contact == contact
    assert answer.status not in (OutboundStatus.PENDING, OutboundStatus.CLAIMED)
    # The answer is part of the conversation's history.
    entries = conversations.thread_entries(
        account=sending.account, contact=contact, number=sending.sender
    )
    assert [(e.direction, e.body) for e in entries] == [("in", "hours?"), ("out", HOURS_ANSWER)]


@pytest.mark.django_db(transaction=True)
def test_an_answer_twilio_refuses_still_gets_200_and_is_recorded_as_failed(
    sending, emulator, live_server, settings, hours_keyword, caplog
):
    settings.PUBLIC_BASE_URL = live_server.url
    contact = sending.contact("Otto", phone="+12125554002")
    # After a STOP, Twilio refuses anything sent to the phone (21610), the answer included.
    assert handset_texts(emulator, live_server, sending, "+12125554002", "STOP")["opt_out"]
    with caplog.at_level(logging.WARNING, logger="messaging.services.replies"):
        injected = handset_texts(emulator, live_server, sending, "+12125554002", "HOURS")
    assert injected["webhook_status"] == 200
    assert InboundMessage.objects.filter(from_phone="+12125554002").count() == 2
    answer = OutboundMessage.objects.get(kind=OutboundMessage.Kind.REPLY)
    assert (answer.status, answer.error_code) == (OutboundStatus.FAILED, 21610)
    assert "refused by Twilio" in caplog.text
    # Only Twilio's own confirmation of the STOP reached the phone.
    assert [t["direction"] for t in emulated_texts(emulator, "+12125554002")] == ["outbound-reply"]
    # The marketer sees it in the thread, with Twilio's reason.
    url = reverse("messaging:thread", args=[contact.public_id, sending.sender.public_id])
    html = client_for(sending.tenant.bob).get(url).content.decode()
    assert HOURS_ANSWER in html and "Failed" in html and "Twilio error 21610" in html


def signed_post(form: dict):
    url = settings.PUBLIC_BASE_URL + INBOUND_URL
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, form)
    return Client().post(INBOUND_URL, form, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.mark.django_db
def test_with_the_broker_down_the_webhook_answers_and_the_answer_waits_for_the_dispatcher(
    sending, hours_keyword, monkeypatch, django_capture_on_commit_callbacks
):
    from messaging import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(tasks.reply_send_task, "delay", broker_down)
    sending.contact("Ivy", phone="+12125554003")
    form = {
        "MessageSid": "SM" + "4" * 32,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": "+12125554003",
        "To": sending.sender.e164,
        "Body": "Hours",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(form)
    assert response.status_code == 200
    answer = OutboundMessage.objects.get(kind=OutboundMessage.Kind.REPLY)
    # The row is the outbox: due now, for the dispatcher's next sweep.
    assert (answer.status, answer.body, answer.sender) == (
        OutboundStatus.PENDING,
        HOURS_ANSWER,
        sending.sender,
    )
    # Twilio's retry of the same webhook is a duplicate: answered, nothing queued twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert signed_post(form).status_code == 200
    assert OutboundMessage.objects.filter(kind=OutboundMessage.Kind.REPLY).count() == 1
