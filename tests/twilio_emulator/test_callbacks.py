"""The carrier's status callbacks: Twilio's parameters, signed with the right account's token."""

from __future__ import annotations

import socket
import time

import pytest
from twilio.request_validator import RequestValidator

from tests.twilio_emulator.conftest import SENDER, Credentials, TwilioHttp
from twilio_emulator.server import start_in_thread
from twilio_emulator.testing import WebhookReceiver, wait_until


def statuses(webhooks) -> list[str]:
    return [webhook.form["MessageStatus"] for webhook in webhooks]


def test_delivered_message_posts_sent_then_delivered_signed_by_the_subaccount(
    http, master, subaccount, receiver
):
    callback = receiver.url("/webhooks/twilio/status?attempt=1")
    sid = http.send(subaccount, To="+12065550100", StatusCallback=callback).json()["sid"]

    webhooks = receiver.wait_for(2)

    assert statuses(webhooks) == ["sent", "delivered"]
    for webhook in webhooks:
        assert webhook.url == callback
        assert webhook.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert RequestValidator(subaccount.auth_token).validate(
            webhook.url, webhook.form, webhook.signature
        )
        assert not RequestValidator(master.auth_token).validate(
            webhook.url, webhook.form, webhook.signature
        )
    delivered = webhooks[1].form
    assert delivered["MessageSid"] == delivered["SmsSid"] == sid
    assert delivered["SmsStatus"] == "delivered"
    assert delivered["AccountSid"] == subaccount.sid
    assert delivered["From"] == SENDER
    assert delivered["To"] == "+12065550100"
    assert delivered["ApiVersion"] == "2010-04-01"
    assert "ErrorCode" not in delivered
    assert "RawDlrDoneDate" in delivered and "RawDlrDoneDate" not in webhooks[0].form


@pytest.mark.parametrize(
    ("to", "expected", "error_code"),
    [
        ("+12065550003", ["sent", "undelivered"], "30003"),
        ("+12065550006", ["sent", "undelivered"], "30006"),
        ("+12065550007", ["failed"], "30007"),
    ],
)
def test_undelivered_and_failed_callbacks_carry_the_error_code(
    emulator, http, subaccount, receiver, to, expected, error_code
):
    http.send(subaccount, To=to, StatusCallback=receiver.url("/status"))

    wait_until(lambda: emulator.carrier.backlog() == 0)  # the journey is over

    webhooks = receiver.webhooks()
    assert statuses(webhooks) == expected
    assert webhooks[-1].form["ErrorCode"] == error_code
    if expected[0] == "sent":
        assert "ErrorCode" not in webhooks[0].form


def test_messaging_service_messages_also_report_queued(http, subaccount, receiver):
    service_sid = "MG" + "2" * 32
    http.send(
        subaccount,
        To="+12065550100",
        From="",
        MessagingServiceSid=service_sid,
        StatusCallback=receiver.url("/status"),
    )

    webhooks = receiver.wait_for(3)

    assert statuses(webhooks) == ["queued", "sent", "delivered"]
    assert {webhook.form["MessagingServiceSid"] for webhook in webhooks} == {service_sid}


def test_many_messages_in_flight_each_report_in_order(http, subaccount, receiver):
    sids = [
        http.send(subaccount, To=f"+1206555{n:04d}", StatusCallback=receiver.url("/s")).json()[
            "sid"
        ]
        for n in range(100, 140)
    ]

    receiver.wait_for(80)

    for sid in sids:
        assert statuses(receiver.webhooks(MessageSid=sid)) == ["sent", "delivered"]


def test_callback_delay_spaces_the_steps(receiver):
    emulator = start_in_thread(callback_delay=0.1)
    try:
        master = Credentials(emulator.account_sid, emulator.auth_token)
        started = time.monotonic()
        TwilioHttp(emulator.url, master).send(
            master, To="+12065550100", StatusCallback=receiver.url("/s")
        )
        receiver.wait_for(1)
        first_after = time.monotonic() - started
        receiver.wait_for(2)
        second_after = time.monotonic() - started
    finally:
        emulator.stop()

    assert 0.1 <= first_after < 2
    assert second_after >= 0.2


def test_an_unreachable_callback_is_counted_and_the_message_still_completes(http, subaccount):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    sid = http.send(
        subaccount, To="+12065550100", StatusCallback=f"http://127.0.0.1:{closed_port}/s"
    ).json()["sid"]

    stats = wait_until(
        lambda: (s := http.control("GET", "/stats").json())["callbacks_failed"] == 2 and s
    )

    assert stats["callbacks_posted"] == 0
    path = f"/2010-04-01/Accounts/{subaccount.sid}/Messages/{sid}.json"
    assert http.get(path, auth=subaccount).json()["status"] == "delivered"


def test_a_failing_webhook_answer_counts_as_failed(http, subaccount):
    failing = WebhookReceiver(status=500)
    try:
        http.send(subaccount, To="+12065550100", StatusCallback=failing.url("/s"))
        failing.wait_for(2)
        stats = wait_until(
            lambda: (s := http.control("GET", "/stats").json())["callbacks_failed"] == 2 and s
        )
    finally:
        failing.stop()

    assert stats["callbacks_posted"] == 0


def test_callbacks_survive_the_app_restarting_between_them(http, subaccount):
    """The carrier keeps connections alive; one the app closed meanwhile is reopened."""
    before = WebhookReceiver()
    port = int(before.base_url.rsplit(":", 1)[1])
    try:
        http.send(subaccount, To="+12065550100", StatusCallback=before.url("/s"))
        before.wait_for(2)
    finally:
        before.stop()
    after = WebhookReceiver(port=port)
    try:
        sid = http.send(subaccount, To="+12065550101", StatusCallback=after.url("/s")).json()["sid"]
        webhooks = after.wait_for(2)
    finally:
        after.stop()

    assert statuses(webhooks) == ["sent", "delivered"]
    assert {webhook.form["MessageSid"] for webhook in webhooks} == {sid}
