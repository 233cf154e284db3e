"""Twilio's webhooks: signatures, idempotent forward-only statuses, inbound keywords."""

from __future__ import annotations

import random

import pytest
import requests
from django.conf import settings
from django.test import Client
from twilio.request_validator import RequestValidator

from consent.models import ConsentLedgerEntry, ConsentState, ConsentStatus
from messaging.models import InboundMessage, OutboundMessage, OutboundStatus, StatusCallback
from messaging.services import delivery
from tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db

STATUS_URL = "/webhooks/twilio/status"
INBOUND_URL = "/webhooks/twilio/inbound"


def signed_post(path: str, form: dict, *, token: str | None = None, client: Client | None = None):
    url = settings.PUBLIC_BASE_URL + path
    signature = RequestValidator(token or settings.TWILIO_AUTH_TOKEN).compute_signature(url, form)
    return (client or Client()).post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)


def callbacks_apply() -> None:
    """What the worker does with the callbacks the webhook stored."""
    while delivery.status_callbacks_apply():
        pass


def status_form(sid: str, status: str, error_code: str = "") -> dict:
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "MessageStatus": status,
        "SmsStatus": status,
        "To": "+12125550100",
        "From": "+14155550100",
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        form["ErrorCode"] = error_code
    return form


@pytest.fixture
def sent_row(sending):
    contact = sending.contact("Dot", phone="+12125550100")
    return OutboundMessageFactory(
        account=sending.account,
        contact=contact,
        sender=sending.sender,
        to_phone="+12125550100",
        body="hello",
        status=OutboundStatus.QUEUED,
        twilio_sid="SM" + "a" * 32,
    )


def test_a_bad_or_missing_signature_gets_403_and_writes_nothing(sent_row):
    form = status_form(sent_row.twilio_sid, "delivered")
    assert Client().post(STATUS_URL, form).status_code == 403
    forged = signed_post(STATUS_URL, form, token="not-the-token")
    assert forged.status_code == 403
    assert StatusCallback.objects.count() == 0
    sent_row.refresh_from_db()
    assert sent_row.status == OutboundStatus.QUEUED


def test_signature_is_checked_even_in_debug(sent_row, settings):
    settings.DEBUG = True
    assert (
        Client().post(STATUS_URL, status_form(sent_row.twilio_sid, "delivered")).status_code == 403
    )


@pytest.mark.parametrize("seed", range(5))
def test_shuffled_and_duplicated_callbacks_converge_on_the_in_order_result(sent_row, seed):
    statuses = ["queued", "sending", "sent", "undelivered"]
    events = [
        status_form(sent_row.twilio_sid, s, "30003" if s == "undelivered" else "") for s in statuses
    ]
    replay = events * 3
    random.Random(seed).shuffle(replay)
    for form in replay:
        assert signed_post(STATUS_URL, form).status_code == 204
    callbacks_apply()
    sent_row.refresh_from_db()
    assert (sent_row.status, sent_row.error_code) == (OutboundStatus.UNDELIVERED, 30003)
    assert StatusCallback.objects.filter(message_sid=sent_row.twilio_sid).count() == 4
    # 30003 means the phone can't be reached: the contact is flagged so fan-out skips it.
    sent_row.contact.refresh_from_db()
    assert sent_row.contact.phone_unreachable is True


def test_terminal_status_never_moves_back(sent_row):
    for status, code in [("delivered", ""), ("sent", ""), ("failed", "30007")]:
        signed_post(STATUS_URL, status_form(sent_row.twilio_sid, status, code))
        callbacks_apply()
    sent_row.refresh_from_db()
    assert (sent_row.status, sent_row.error_code) == (OutboundStatus.DELIVERED, None)


def test_an_unknown_message_sid_gets_a_2xx_so_twilio_stops_retrying(db):
    response = signed_post(STATUS_URL, status_form("SM" + "f" * 32, "delivered"))
    assert response.status_code == 204


def test_a_malformed_callback_is_refused_with_a_reason(sent_row):
    form = status_form(sent_row.twilio_sid, "delivered")
    del form["MessageStatus"]
    response = signed_post(STATUS_URL, form)
    assert response.status_code == 400
    assert b"MessageStatus" in response.content


@pytest.mark.django_db(transaction=True)
def test_an_inbound_stop_through_the_emulator_opts_out_and_stops_queued_sends(
    sending, emulator, live_server, settings
):
    settings.PUBLIC_BASE_URL = live_server.url
    contact = sending.contact("Sid", phone="+12125550199")
    queued = OutboundMessageFactory(
        account=sending.account,
        contact=contact,
        sender=sending.sender,
        to_phone="+12125550199",
        body="later",
        status=OutboundStatus.PENDING,
    )
    response = requests.post(
        f"{emulator.url}/_emulator/inbound",
        data={
            "From": "+12125550199",
            "To": sending.sender.e164,
            "Body": " Stop. ",
            "Url": live_server.url + INBOUND_URL,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    status = ConsentStatus.objects.get(contact=contact, subscription_type=sending.subscription_type)
    assert status.status == ConsentState.UNSUBSCRIBED
    entry = ConsentLedgerEntry.objects.filter(phone_e164="+12125550199").latest("occurred_at")
    assert (entry.source, entry.new_status) == ("keyword", ConsentState.UNSUBSCRIBED)
    queued.refresh_from_db()
    assert (queued.status, queued.not_sent_reason) == (OutboundStatus.NOT_SENT, "opted_out")
    inbound = InboundMessage.objects.get(from_phone="+12125550199")
    assert inbound.keyword_kind == "opt_out"


def test_a_reply_that_is_not_a_keyword_lands_in_the_inbox_once(sending):
    sending.contact("Rae", phone="+12125550188")
    form = {
        "MessageSid": "SM" + "b" * 32,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": "+12125550188",
        "To": sending.sender.e164,
        "Body": "Is the sale on Sunday too? please stop texting me after that",
    }
    assert signed_post(INBOUND_URL, form).status_code == 200
    assert signed_post(INBOUND_URL, form).status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.flagged_for_review is True
    assert ConsentStatus.objects.get(phone_e164="+12125550188").status == ConsentState.SUBSCRIBED


def test_an_inbound_text_with_a_bad_signature_changes_nothing(sending):
    sending.contact("Ty", phone="+12125550177")
    form = {
        "MessageSid": "SM" + "c" * 32,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": "+12125550177",
        "To": sending.sender.e164,
        "Body": "STOP",
    }
    assert Client().post(INBOUND_URL, form, HTTP_X_TWILIO_SIGNATURE="bogus").status_code == 403
    assert ConsentStatus.objects.get(phone_e164="+12125550177").status == ConsentState.SUBSCRIBED
    assert not InboundMessage.objects.exists()


def test_a_callback_that_beats_the_sid_write_is_applied_once_the_sid_is_known(sent_row):
    early_sid = "SM" + "e" * 32
    signed_post(STATUS_URL, status_form(early_sid, "delivered"))
    assert StatusCallback.objects.get(message_sid=early_sid).applied is False
    OutboundMessage.objects.filter(pk=sent_row.pk).update(twilio_sid=early_sid)
    from messaging.services.delivery import status_callbacks_apply

    status_callbacks_apply()
    sent_row.refresh_from_db()
    assert sent_row.status == OutboundStatus.DELIVERED
    assert StatusCallback.objects.get(message_sid=early_sid).applied is True


@pytest.mark.parametrize(
    ("field", "value"),
    [("MessageSid", "SM" + "a" * 40), ("MessageSid", "not-a-sid"), ("MessageSid", "SM" + "g" * 32)],
)
def test_a_callback_with_a_malformed_sid_is_refused_and_writes_nothing(sent_row, field, value):
    form = status_form(sent_row.twilio_sid, "delivered")
    form[field] = value
    response = signed_post(STATUS_URL, form)
    assert response.status_code == 400
    assert b"MessageSid" in response.content
    assert StatusCallback.objects.count() == 0


def test_a_status_we_do_not_track_is_answered_and_not_stored(sent_row):
    response = signed_post(STATUS_URL, status_form(sent_row.twilio_sid, "partially_delivered"))
    assert response.status_code == 204
    assert StatusCallback.objects.count() == 0
    callbacks_apply()
    sent_row.refresh_from_db()
    assert sent_row.status == OutboundStatus.QUEUED


def test_a_duplicate_callback_is_stored_once(sent_row):
    form = status_form(sent_row.twilio_sid, "delivered")
    assert signed_post(STATUS_URL, form).status_code == 204
    assert signed_post(STATUS_URL, form).status_code == 204
    assert StatusCallback.objects.filter(message_sid=sent_row.twilio_sid).count() == 1


def test_in_a_burst_the_webhook_asks_for_an_apply_run_once(sent_row, settings):
    """A web process schedules the apply run of a burst once (a Redis round trip per callback
    cost as much as its INSERT); callbacks within the window wait for that run."""
    settings.STATUS_CALLBACKS_BATCH_SECONDS = 60  # as in production (0.5 s), but surely long
    delivery._apply_ensured_at = float("-inf")
    signed_post(STATUS_URL, status_form(sent_row.twilio_sid, "sent"))
    sent_row.refresh_from_db()
    assert sent_row.status == OutboundStatus.SENT  # the burst's run (inline in tests) applied it
    signed_post(STATUS_URL, status_form(sent_row.twilio_sid, "delivered"))
    sent_row.refresh_from_db()
    assert sent_row.status == OutboundStatus.SENT  # stored, waiting for the next run
    assert StatusCallback.objects.filter(applied=False).count() == 1
    callbacks_apply()
    sent_row.refresh_from_db()
    assert sent_row.status == OutboundStatus.DELIVERED
