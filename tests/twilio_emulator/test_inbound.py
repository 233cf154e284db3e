"""Injected inbound messages: routed like Twilio, signed, and STOP/START honoured at send."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from tests.twilio_emulator.conftest import TwilioHttp
from twilio_emulator.server import start_in_thread

OUR_NUMBER = "+12065550150"
HANDSET = "+12065550177"


def number_register(http: TwilioHttp, account, url: str, **extra: str) -> dict:
    response = http.control(
        "POST",
        "/numbers",
        {"AccountSid": account.sid, "PhoneNumber": OUR_NUMBER, "SmsUrl": url, **extra},
    )
    assert response.status_code == 201, response.text
    return response.json()


def inbound(http: TwilioHttp, body: str, **extra: str) -> dict:
    response = http.control(
        "POST", "/inbound", {"From": HANDSET, "To": OUR_NUMBER, "Body": body, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_inbound_posts_a_signed_twilio_webhook_to_the_numbers_sms_url(
    http, master, subaccount, receiver
):
    receiver.body = "<Response><Message>Thanks!</Message></Response>"
    number_register(http, subaccount, receiver.url("/webhooks/twilio/inbound"))

    result = inbound(http, "When do you open?")

    [webhook] = receiver.wait_for(1)
    assert webhook.path == "/webhooks/twilio/inbound"
    assert RequestValidator(subaccount.auth_token).validate(
        webhook.url, webhook.form, webhook.signature
    )
    assert not RequestValidator(master.auth_token).validate(
        webhook.url, webhook.form, webhook.signature
    )
    form = webhook.form
    assert form["Body"] == "When do you open?"
    assert form["From"] == HANDSET and form["To"] == OUR_NUMBER
    assert form["AccountSid"] == subaccount.sid
    assert form["MessageSid"] == form["SmsSid"] == form["SmsMessageSid"] == result["message_sid"]
    assert form["NumMedia"] == "0" and form["NumSegments"] == "1"
    assert form["SmsStatus"] == "received" and form["ApiVersion"] == "2010-04-01"
    assert form["FromCountry"] == form["ToCountry"] == "US"
    assert "MessagingServiceSid" not in form
    assert result["webhook_status"] == 200
    assert result["webhook_body"] == receiver.body
    assert result["account_sid"] == subaccount.sid


def test_the_inbound_message_is_listed_as_received(http, subaccount, receiver):
    number_register(http, subaccount, receiver.url("/in"))
    sid = inbound(http, "hello")["message_sid"]

    listed = http.get(
        f"/2010-04-01/Accounts/{subaccount.sid}/Messages.json", auth=subaccount
    ).json()["messages"]

    assert [(m["sid"], m["direction"], m["status"]) for m in listed] == [
        (sid, "inbound", "received")
    ]


def test_a_messaging_services_inbound_url_wins_over_the_numbers(
    emulator, http, subaccount, receiver
):
    service_sid = "MG" + "3" * 32
    emulator.state.services[service_sid] = {
        "sid": service_sid,
        "account_sid": subaccount.sid,
        "inbound_request_url": receiver.url("/service-inbound"),
        "use_inbound_webhook_on_number": False,
    }
    number_register(
        http, subaccount, receiver.url("/number-inbound"), MessagingServiceSid=service_sid
    )

    inbound(http, "hi")

    [webhook] = receiver.wait_for(1)
    assert webhook.path == "/service-inbound"
    assert webhook.form["MessagingServiceSid"] == service_sid


def test_url_parameter_and_default_inbound_url(receiver):
    emulator = start_in_thread(callback_delay=0, inbound_url=receiver.url("/default"))
    try:
        http = TwilioHttp(emulator.url, None)
        http.control("POST", "/inbound", {"From": HANDSET, "To": OUR_NUMBER, "Body": "a"})
        http.control(
            "POST",
            "/inbound",
            {"From": HANDSET, "To": OUR_NUMBER, "Body": "b", "Url": receiver.url("/explicit")},
        )
        webhooks = receiver.wait_for(2)
    finally:
        emulator.stop()

    assert [(w.path, w.form["AccountSid"]) for w in webhooks] == [
        ("/default", emulator.account_sid),
        ("/explicit", emulator.account_sid),
    ]


def test_no_sms_url_anywhere_is_a_400(http):
    response = http.control("POST", "/inbound", {"From": HANDSET, "To": OUR_NUMBER, "Body": "hi"})

    assert response.status_code == 400
    assert "No SMS URL" in response.json()["message"]


@pytest.mark.parametrize("stop_word", ["STOP", " stop ", "Unsubscribe", "optout"])
def test_stop_blocks_sends_from_that_number_until_start(http, subaccount, receiver, stop_word):
    number_register(http, subaccount, receiver.url("/in"))

    assert inbound(http, stop_word)["opt_out"] is True
    blocked = http.send(subaccount, To=HANDSET, From=OUR_NUMBER)
    other_sender = http.send(subaccount, To=HANDSET, From="+12065550160")
    assert inbound(http, "start")["opt_out"] is False
    allowed_again = http.send(subaccount, To=HANDSET, From=OUR_NUMBER)

    assert (blocked.status_code, blocked.json()["code"]) == (400, 21610)
    assert other_sender.status_code == 201
    assert allowed_again.status_code == 201
    # STOP reaches the app's webhook too, as on Twilio.
    assert [w.form["Body"] for w in receiver.wait_for(2)] == [stop_word, "start"]


def test_stop_to_a_number_of_a_messaging_service_blocks_the_whole_service(
    http, subaccount, receiver
):
    service_sid = "MG" + "4" * 32
    number_register(http, subaccount, receiver.url("/in"), MessagingServiceSid=service_sid)

    inbound(http, "STOP")
    via_service = http.send(subaccount, To=HANDSET, From="", MessagingServiceSid=service_sid)

    assert (via_service.status_code, via_service.json()["code"]) == (400, 21610)


def test_an_ordinary_reply_does_not_opt_out(http, subaccount, receiver):
    number_register(http, subaccount, receiver.url("/in"))

    assert inbound(http, "please stop by tomorrow")["opt_out"] is False
    assert http.send(subaccount, To=HANDSET, From=OUR_NUMBER).status_code == 201


def test_registering_a_number_again_updates_it(http, master, subaccount):
    first = number_register(http, master, "http://example.test/a")
    second = number_register(http, subaccount, "http://example.test/b")

    numbers = http.control("GET", "/numbers").json()["numbers"]
    assert first["sid"] == second["sid"]
    assert [(n["account_sid"], n["sms_url"]) for n in numbers] == [
        (subaccount.sid, "http://example.test/b")
    ]


# Twilio's default replies on a long code (Advanced Opt-Out off).
UNSUBSCRIBED = (
    "You have successfully been unsubscribed. You will not receive any more messages from this "
    "number. Reply START to resubscribe."
)
RESUBSCRIBED = (
    "You have successfully been re-subscribed to messages from this number. Reply HELP for "
    "help. Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
HELP_REPLY = "Reply STOP to unsubscribe. Msg&Data Rates May Apply."


def handset_received(http: TwilioHttp) -> list[tuple[str, str, str]]:
    """(from, body, direction) of what the handset got, oldest first."""
    messages = http.control("GET", f"/messages?To={HANDSET}").json()["messages"]
    return [(m["from"], m["body"], m["direction"]) for m in messages]


@pytest.mark.parametrize(
    "word", ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"]
)
def test_an_opt_out_word_gets_twilios_reply_and_blocks_the_number(http, subaccount, receiver, word):
    number_register(http, subaccount, receiver.url("/in"))

    result = inbound(http, word.lower())
    blocked = http.send(subaccount, To=HANDSET, From=OUR_NUMBER)

    assert result["auto_reply"] == UNSUBSCRIBED
    assert handset_received(http) == [(OUR_NUMBER, UNSUBSCRIBED, "outbound-reply")]
    assert blocked.status_code == 400
    assert blocked.json() == {
        "code": 21610,
        "message": "Attempt to send to unsubscribed recipient",
        "more_info": "https://www.twilio.com/docs/errors/21610",
        "status": 400,
    }


@pytest.mark.parametrize("word", ["START", "YES", "UNSTOP"])
def test_an_opt_in_word_gets_twilios_reply_and_unblocks_the_number(
    http, subaccount, receiver, word
):
    number_register(http, subaccount, receiver.url("/in"))
    inbound(http, "STOP")

    result = inbound(http, f" {word.title()} ")
    sent = http.send(subaccount, To=HANDSET, From=OUR_NUMBER, Body="Welcome back")

    assert result["auto_reply"] == RESUBSCRIBED
    assert sent.status_code == 201
    assert handset_received(http) == [
        (OUR_NUMBER, UNSUBSCRIBED, "outbound-reply"),
        (OUR_NUMBER, RESUBSCRIBED, "outbound-reply"),
        (OUR_NUMBER, "Welcome back", "outbound-api"),
    ]


@pytest.mark.parametrize("word", ["HELP", "info"])
def test_help_and_info_get_twilios_help_reply(http, subaccount, receiver, word):
    number_register(http, subaccount, receiver.url("/in"))

    result = inbound(http, word)

    assert result["auto_reply"] == HELP_REPLY
    assert result["opt_out"] is False
    assert handset_received(http) == [(OUR_NUMBER, HELP_REPLY, "outbound-reply")]
    # Twilio passes the keyword on to the app's webhook as well.
    assert [w.form["Body"] for w in receiver.wait_for(1)] == [word]


def test_an_opted_out_handset_gets_no_help_reply(http, subaccount, receiver):
    number_register(http, subaccount, receiver.url("/in"))
    inbound(http, "STOP")

    assert inbound(http, "HELP")["auto_reply"] is None
    assert handset_received(http) == [(OUR_NUMBER, UNSUBSCRIBED, "outbound-reply")]


def test_other_texts_get_no_reply_and_subscribe_is_not_a_twilio_keyword(http, subaccount, receiver):
    number_register(http, subaccount, receiver.url("/in"))
    inbound(http, "STOP")

    assert inbound(http, "stop please")["auto_reply"] is None
    assert inbound(http, "SUBSCRIBE")["auto_reply"] is None
    assert http.send(subaccount, To=HANDSET, From=OUR_NUMBER).status_code == 400
    assert handset_received(http) == [(OUR_NUMBER, UNSUBSCRIBED, "outbound-reply")]


def test_the_reply_to_a_number_of_a_messaging_service_names_the_service(http, subaccount, receiver):
    service_sid = "MG" + "5" * 32
    number_register(http, subaccount, receiver.url("/in"), MessagingServiceSid=service_sid)

    inbound(http, "STOP")

    [reply] = [m for m in http.control("GET", "/messages").json()["messages"] if m["to"] == HANDSET]
    assert (reply["from"], reply["messaging_service_sid"]) == (OUR_NUMBER, service_sid)
    assert reply["status"] == "delivered"
