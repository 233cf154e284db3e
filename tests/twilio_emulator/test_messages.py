"""Messages.json: Twilio's shapes, its validation, the destination-number rules, and paging."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from tests.twilio_emulator.conftest import SENDER
from tests.twilio_emulator.spec import LIST_PAGE_FIELDS, MESSAGE_FIELDS, RFC_2822
from twilio_emulator.server import start_in_thread
from twilio_emulator.testing import wait_until


def messages_path(account) -> str:
    return f"/2010-04-01/Accounts/{account.sid}/Messages.json"


def message_status(http, account, sid: str) -> dict:
    return http.get(f"/2010-04-01/Accounts/{account.sid}/Messages/{sid}.json", auth=account).json()


def test_send_answers_201_with_twilio_message(http, subaccount):
    response = http.send(subaccount, To="+1 (206) 555-0100", Body="Hi there")

    assert response.status_code == 201
    message = response.json()
    assert set(message) == MESSAGE_FIELDS
    assert re.fullmatch(r"SM[0-9a-f]{32}", message["sid"])
    assert message["account_sid"] == subaccount.sid
    assert message["to"] == "+12065550100"
    assert message["from"] == SENDER
    assert message["body"] == "Hi there"
    assert message["status"] == "queued"
    assert message["direction"] == "outbound-api"
    assert message["num_segments"] == "1"
    assert message["num_media"] == "0"
    assert message["api_version"] == "2010-04-01"
    assert message["date_sent"] is None
    assert message["error_code"] is None
    assert RFC_2822.match(message["date_created"])
    assert message["uri"] == (
        f"/2010-04-01/Accounts/{subaccount.sid}/Messages/{message['sid']}.json"
    )


def test_send_through_a_messaging_service_starts_accepted(http, subaccount):
    service_sid = "MG" + "1" * 32

    response = http.send(subaccount, To="+12065550100", From="", MessagingServiceSid=service_sid)

    assert response.status_code == 201
    assert response.json()["status"] == "accepted"
    assert response.json()["messaging_service_sid"] == service_sid


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, "1"),
        ("a" * 161, "2"),
        ("[" * 80, "1"),
        ("[" * 81, "2"),
        ("ж" * 70, "1"),
        ("ж" * 71, "2"),
    ],
)
def test_num_segments_follows_the_encoding(http, subaccount, body, segments):
    assert http.send(subaccount, To="+12065550100", Body=body).json()["num_segments"] == segments


@pytest.mark.parametrize(
    ("params", "status", "code", "message"),
    [
        ({"To": ""}, 400, 21604, "A 'To' phone number is required."),
        ({"Body": ""}, 400, 21602, "Message body is required."),
        ({"From": ""}, 400, 21603, "A 'From' phone number is required."),
        ({"Body": "x" * 1601}, 400, 21617, None),
        ({"To": "12345"}, 400, 21211, "The 'To' number 12345 is not a valid phone number."),
        ({"To": "+12065551211"}, 400, 21211, None),
        ({"To": "+12065551610"}, 400, 21610, "Attempt to send to unsubscribed recipient"),
        ({"To": "+12065551612"}, 400, 21612, None),
        ({"To": "+12065551614"}, 400, 21614, "'To' number is not a valid mobile number"),
        ({"To": "+12065551635"}, 400, 21635, None),
        ({"To": "+12065550429"}, 429, 20429, "Too Many Requests"),
        ({"To": "+12065550500"}, 500, 20500, None),
    ],
)
def test_refused_sends_answer_twilio_errors_and_create_nothing(
    http, subaccount, params, status, code, message
):
    params = {"To": "+12065550100", **params}

    response = http.send(subaccount, **params)

    assert response.status_code == status
    error = response.json()
    assert error["code"] == code
    assert error["status"] == status
    assert error["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    if message:
        assert error["message"] == message
    assert http.get(messages_path(subaccount), auth=subaccount).json()["messages"] == []
    assert http.control("GET", "/stats").json()["creates_by_recipient"] == {}


def test_rate_limit_every_attempt_for_0429(http, subaccount):
    statuses = [http.send(subaccount, To="+12065550429").status_code for _ in range(3)]

    assert statuses == [429, 429, 429]


def test_rate_limit_only_the_first_attempt_for_1429(http, subaccount):
    first = http.send(subaccount, To="+12065551429")
    retry = http.send(subaccount, To="+12065551429")

    assert (first.status_code, first.json()["code"]) == (429, 20429)
    assert retry.status_code == 201
    stats = http.control("GET", "/stats").json()
    assert stats["attempts_by_recipient"]["+12065551429"] == 2
    assert stats["creates_by_recipient"]["+12065551429"] == 1


def test_lost_response_creates_the_message_though_it_answers_504(http, subaccount):
    response = http.send(subaccount, To="+12065550504", Body="Sale today")
    retry = http.send(subaccount, To="+12065550504", Body="Sale today")

    assert response.status_code == retry.status_code == 504
    listed = http.get(messages_path(subaccount), {"To": "+12065550504"}, auth=subaccount).json()
    assert len(listed["messages"]) == 2
    stats = http.control("GET", "/stats").json()
    assert stats["creates_by_recipient"] == {"+12065550504": 2}
    assert stats["duplicates"] == [
        {"account_sid": subaccount.sid, "to": "+12065550504", "body": "Sale today", "creates": 2}
    ]


def test_lost_response_only_on_the_first_attempt_for_1504(http, subaccount):
    first = http.send(subaccount, To="+12065551504")
    retry = http.send(subaccount, To="+12065551504")

    assert (first.status_code, retry.status_code) == (504, 201)
    assert http.control("GET", "/stats").json()["creates_by_recipient"] == {"+12065551504": 2}


@pytest.mark.parametrize(
    ("to", "final", "error_code"),
    [
        ("+12065550100", "delivered", None),
        ("+12065550003", "undelivered", 30003),
        ("+12065550005", "undelivered", 30005),
        ("+12065550006", "undelivered", 30006),
        ("+12065550007", "failed", 30007),
    ],
)
def test_the_carrier_moves_the_message_to_its_final_status(http, subaccount, to, final, error_code):
    sid = http.send(subaccount, To=to).json()["sid"]

    message = wait_until(
        lambda: (m := message_status(http, subaccount, sid))["status"] == final and m
    )

    assert message["error_code"] == error_code
    assert (message["error_message"] is None) == (error_code is None)
    # "failed" means never sent, so only the others have a date_sent.
    assert (message["date_sent"] is not None) == (final != "failed")


def test_a_message_of_another_account_is_not_found(http, subaccount):
    sid = http.send(subaccount, To="+12065550100").json()["sid"]

    response = http.get(f"/2010-04-01/Accounts/{http.credentials.sid}/Messages/{sid}.json")

    assert response.status_code == 404
    assert response.json()["code"] == 20404


def test_list_filters_by_to_and_from_newest_first(http, subaccount):
    first = http.send(subaccount, To="+12065550101").json()["sid"]
    http.send(subaccount, To="+12065550102")
    http.send(subaccount, To="+12065550101", From="+12065550198")
    third = http.send(subaccount, To="+12065550101").json()["sid"]

    to_101 = http.get(messages_path(subaccount), {"To": "+12065550101"}, auth=subaccount).json()
    from_198 = http.get(messages_path(subaccount), {"From": "+12065550198"}, auth=subaccount).json()

    assert set(to_101) == LIST_PAGE_FIELDS | {"messages"}
    sids = [m["sid"] for m in to_101["messages"]]
    assert len(sids) == 3 and sids[0] == third and sids[-1] == first
    assert [m["to"] for m in from_198["messages"]] == ["+12065550101"]


def test_pages_follow_next_page_uri_without_repeats_when_messages_arrive_meanwhile(
    http, subaccount
):
    for n in range(5):
        http.send(subaccount, To=f"+120655501{n:02d}")

    first = http.get(messages_path(subaccount), {"PageSize": 2}, auth=subaccount).json()
    http.send(subaccount, To="+12065550199")  # arrives between two page reads
    second = http.get(first["next_page_uri"], auth=subaccount).json()
    third = http.get(second["next_page_uri"], auth=subaccount).json()

    seen = [m["to"] for page in (first, second, third) for m in page["messages"]]
    assert seen == [f"+120655501{n:02d}" for n in (4, 3, 2, 1, 0)]
    assert (first["page"], second["page"], third["page"]) == (0, 1, 2)
    assert third["next_page_uri"] is None
    assert "PageToken=PA" in first["next_page_uri"]


def test_date_sent_filters(http, subaccount):
    sid = http.send(subaccount, To="+12065550100").json()["sid"]
    wait_until(lambda: message_status(http, subaccount, sid)["status"] == "delivered")
    today = dt.datetime.now(dt.UTC).date()

    def listed(**params) -> list[str]:
        body = http.get(messages_path(subaccount), params, auth=subaccount).json()
        return [m["sid"] for m in body["messages"]]

    assert listed(**{"DateSent": today.isoformat()}) == [sid]
    assert listed(**{"DateSent>": today.isoformat()}) == [sid]
    assert listed(**{"DateSent<": (today - dt.timedelta(days=1)).isoformat()}) == []
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert listed(**{"DateSent>": an_hour_ago.strftime("%Y-%m-%dT%H:%M:%SZ")}) == [sid]
    in_an_hour = an_hour_ago + dt.timedelta(hours=2)
    assert listed(**{"DateSent>": in_an_hour.strftime("%Y-%m-%dT%H:%M:%SZ")}) == []


def test_a_queued_message_matches_no_date_sent_filter():
    slow = start_in_thread(callback_delay=60)
    try:
        client = sdk_client(slow.url, slow.account_sid, slow.auth_token)
        message = client.messages.create(to="+12065550100", from_=SENDER, body="hi")
        yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)

        assert [m.sid for m in client.messages.list(to="+12065550100")] == [message.sid]
        assert client.messages.list(date_sent_after=yesterday) == []
    finally:
        slow.stop()


class _EmulatorHttpClient(TwilioHttpClient):
    def __init__(self, base_url: str):
        super().__init__(timeout=5)
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        local = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, local, *args, **kwargs)


def sdk_client(base_url: str, sid: str, token: str) -> Client:
    return Client(sid, token, http_client=_EmulatorHttpClient(base_url))


def test_the_real_sdk_pages_through_list_and_stream(emulator, subaccount):
    client = sdk_client(emulator.url, subaccount.sid, subaccount.auth_token)
    sent = [
        client.messages.create(to=f"+120655501{n:02d}", from_=SENDER, body=f"n{n}").sid
        for n in range(7)
    ]

    listed = [m.sid for m in client.messages.list(page_size=3)]
    streamed = [m.sid for m in client.messages.stream(page_size=2, limit=5)]
    fetched = client.messages(sent[0]).fetch()

    assert listed == sent[::-1]
    assert streamed == sent[::-1][:5]
    assert fetched.to == "+12065550100"
    assert fetched.body == "n0"
