"""The gateway drives the real twilio SDK against an in-process emulator: no database needed."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from twilio.base.exceptions import TwilioRestException

from twilio_emulator.testing import WebhookReceiver, wait_until
from twilio_gateway.client import Credentials, client_for
from twilio_gateway.errors import GatewayError, PermanentSendError, TransientSendError
from twilio_gateway.messages import (
    SentMessage,
    inbound_url,
    message_fetch,
    message_send,
    messages_list,
    signature_is_valid,
    status_callback_url,
)
from twilio_gateway.provisioning import subaccount_create

SENDER = "+12065550199"


@pytest.fixture
def tenant(emulator) -> Credentials:
    return subaccount_create(friendly_name="Acme Outdoor")


@pytest.fixture
def receiver():
    webhook_receiver = WebhookReceiver()
    yield webhook_receiver
    webhook_receiver.stop()


def send(tenant: Credentials, to: str, **kwargs) -> SentMessage:
    kwargs.setdefault("body", "Spring sale: 20% off tents. Reply STOP to opt out")
    if "messaging_service_sid" not in kwargs:
        kwargs.setdefault("from_", SENDER)
    return message_send(credentials=tenant, to=to, **kwargs)


def test_subaccount_create_returns_working_credentials(emulator, tenant, settings):
    assert tenant.account_sid.startswith("AC") and tenant.account_sid != settings.TWILIO_ACCOUNT_SID
    assert len(tenant.auth_token) == 32
    assert emulator.state.accounts[tenant.account_sid]["friendly_name"] == "Acme Outdoor"
    assert send(tenant, "+12065550100").sid.startswith("SM")


def test_send_round_trip_with_signed_status_callbacks(emulator, tenant, receiver, settings):
    callback = receiver.url("/webhooks/twilio/status?om=42")

    sent = send(tenant, "+12065550100", status_callback=callback)

    assert sent.status == "queued"
    assert (sent.num_segments, sent.error_code) == (1, None)
    assert (sent.to, sent.from_) == ("+12065550100", SENDER)
    webhooks = receiver.wait_for(2)
    assert [w.form["MessageStatus"] for w in webhooks] == ["sent", "delivered"]
    for webhook in webhooks:
        assert webhook.form["MessageSid"] == sent.sid
        assert webhook.form["AccountSid"] == tenant.account_sid
        assert signature_is_valid(
            auth_token=tenant.auth_token,
            url=callback,
            params=QueryDict(urlencode(webhook.form)),  # what a Django view hands over
            signature=webhook.signature,
        )
        # Signed with the subaccount's token, not the platform's; and over this exact form.
        assert not signature_is_valid(
            auth_token=settings.TWILIO_AUTH_TOKEN,
            url=callback,
            params=webhook.form,
            signature=webhook.signature,
        )
        assert not signature_is_valid(
            auth_token=tenant.auth_token,
            url=callback,
            params={**webhook.form, "MessageStatus": "read"},
            signature=webhook.signature,
        )
    assert not signature_is_valid(
        auth_token=tenant.auth_token, url=callback, params=webhooks[0].form, signature=None
    )


def test_failed_delivery_comes_back_with_its_error_code(emulator, tenant, receiver):
    sent = send(tenant, "+12065550003", status_callback=receiver.url("/status"))

    final = receiver.wait_for(1, MessageStatus="undelivered")[0]
    fetched = message_fetch(credentials=tenant, sid=sent.sid)

    assert final.form["ErrorCode"] == "30003"
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)


def test_send_through_a_messaging_service(emulator, tenant):
    sent = send(tenant, "+12065550100", messaging_service_sid="MG" + "5" * 32)

    assert sent.status == "accepted"


def test_exactly_one_sender_is_required(emulator, tenant):
    with pytest.raises(ValueError, match="exactly one"):
        send(tenant, "+12065550100", messaging_service_sid="MG" + "5" * 32, from_=SENDER)


@pytest.mark.parametrize(
    ("to", "code"),
    [
        ("not-a-number", 21211),
        ("+12065551211", 21211),
        ("+12065551610", 21610),
        ("+12065551612", 21612),
        ("+12065551614", 21614),
        ("+12065551635", 21635),
    ],
)
def test_refusals_retrying_cannot_fix_are_permanent(emulator, tenant, to, code):
    with pytest.raises(PermanentSendError) as caught:
        send(tenant, to)

    assert (caught.value.code, caught.value.status) == (code, 400)
    assert caught.value.outcome_unknown is False
    assert isinstance(caught.value, GatewayError)


def test_rate_limit_is_transient_and_certainly_not_sent(emulator, tenant):
    with pytest.raises(TransientSendError) as caught:
        send(tenant, "+12065550429")

    assert (caught.value.code, caught.value.status) == (20429, 429)
    assert caught.value.outcome_unknown is False


def test_a_server_error_is_transient_with_an_unknown_outcome(emulator, tenant):
    with pytest.raises(TransientSendError) as caught:
        send(tenant, "+12065550500")

    assert (caught.value.code, caught.value.status) == (20500, 500)
    assert caught.value.outcome_unknown is True


def test_a_lost_response_can_be_reconciled_from_the_message_list(emulator, tenant):
    with pytest.raises(TransientSendError) as caught:
        send(tenant, "+12065551504", body="Only once, please")

    found = messages_list(credentials=tenant, to="+12065551504")

    assert caught.value.outcome_unknown is True
    assert [m.body for m in found] == ["Only once, please"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_transient_and_certainly_not_sent(emulator, tenant, settings):
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(TransientSendError) as caught:
        send(tenant, "+12065550100")

    assert caught.value.code is None
    assert caught.value.outcome_unknown is False


def test_a_timeout_is_transient_with_an_unknown_outcome(emulator, tenant, settings):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts the connection, never answers
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{silent.getsockname()[1]}"
    settings.TWILIO_TIMEOUT_SECONDS = 0.2
    try:
        with pytest.raises(TransientSendError) as caught:
            send(tenant, "+12065550100")
    finally:
        for connection in accepted:
            connection.close()
        silent.close()

    assert caught.value.outcome_unknown is True


def test_fetch_and_list(emulator, tenant):
    first = send(tenant, "+12065550101")
    send(tenant, "+12065550102")
    third = send(tenant, "+12065550101")
    wait_until(lambda: message_fetch(credentials=tenant, sid=first.sid).status == "delivered")

    fetched = message_fetch(credentials=tenant, sid=first.sid)
    to_101 = messages_list(credentials=tenant, to="+12065550101")
    everything = messages_list(credentials=tenant)
    two = messages_list(credentials=tenant, limit=2)

    assert fetched.date_sent is not None and fetched.date_sent.tzinfo is not None
    assert [m.sid for m in to_101] == [third.sid, first.sid]
    assert len(everything) == 3
    assert len(two) == 2


def test_list_by_date_sent_after(emulator, tenant):
    sent = send(tenant, "+12065550100")
    wait_until(lambda: emulator.carrier.backlog() == 0)
    now = dt.datetime.now(dt.UTC)

    recent = messages_list(
        credentials=tenant,
        date_sent_after=now - dt.timedelta(minutes=5),
    )
    future = messages_list(
        credentials=tenant,
        date_sent_after=now + dt.timedelta(minutes=5),
    )

    assert [m.sid for m in recent] == [sent.sid]
    assert future == []


def test_list_errors_are_mapped_like_the_others(emulator, tenant):
    with pytest.raises(PermanentSendError) as caught:
        messages_list(credentials=Credentials(tenant.account_sid, "not-the-token"))

    assert (caught.value.code, caught.value.status) == (20003, 401)
    assert caught.value.message == "Authenticate"


def test_the_platform_may_act_on_a_subaccount_with_its_own_credentials(emulator, tenant):
    client = client_for(acting_on=tenant.account_sid)

    message = client.messages.create(to="+12065550100", from_=SENDER, body="hi")

    assert message.account_sid == tenant.account_sid


def test_messaging_and_trusthub_hosts_reach_the_emulator_too(emulator):
    """The emulator does not serve these yet: its 404 names the path the SDK asked for."""
    client = client_for()
    service_sid, profile_sid = "MG" + "6" * 32, "BU" + "7" * 32

    for call, path in (
        (client.messaging.v1.services(service_sid).fetch, f"/v1/Services/{service_sid}"),
        (
            client.trusthub.v1.customer_profiles(profile_sid).fetch,
            f"/v1/CustomerProfiles/{profile_sid}",
        ),
    ):
        with pytest.raises(TwilioRestException) as caught:
            call()
        assert (caught.value.status, caught.value.code) == (404, 20404)
        assert path in caught.value.msg


def test_other_twilio_hosts_are_never_called_when_emulated(emulator):
    client = client_for()

    with pytest.raises(GatewayError, match="verify.twilio.com"):
        client.verify.v2.services.list()


def test_webhook_urls_come_from_the_public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://sms.example.com/"

    assert status_callback_url() == "https://sms.example.com/webhooks/twilio/status"
    assert inbound_url() == "https://sms.example.com/webhooks/twilio/inbound"
