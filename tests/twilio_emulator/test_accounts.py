"""Subaccounts, and basic auth checked per (sub)account."""

from __future__ import annotations

import re

import pytest

from tests.twilio_emulator.conftest import Credentials, subaccount_create
from tests.twilio_emulator.spec import ACCOUNT_FIELDS, RFC_2822

AUTHENTICATE = {
    "code": 20003,
    "message": "Authenticate",
    "more_info": "https://www.twilio.com/docs/errors/20003",
    "status": 401,
}


def test_subaccount_create_answers_twilio_account(http, master):
    response = http.post("/2010-04-01/Accounts.json", {"FriendlyName": "Acme Outdoor"})

    assert response.status_code == 201
    account = response.json()
    assert set(account) == ACCOUNT_FIELDS
    assert re.fullmatch(r"AC[0-9a-f]{32}", account["sid"])
    assert re.fullmatch(r"[0-9a-f]{32}", account["auth_token"])
    assert account["friendly_name"] == "Acme Outdoor"
    assert account["status"] == "active"
    assert account["type"] == "Full"
    assert account["owner_account_sid"] == master.sid
    assert RFC_2822.match(account["date_created"])
    assert account["uri"] == f"/2010-04-01/Accounts/{account['sid']}.json"
    assert account["subresource_uris"]["messages"] == (
        f"/2010-04-01/Accounts/{account['sid']}/Messages.json"
    )


def test_subaccounts_get_distinct_credentials(http):
    first, second = subaccount_create(http, "One"), subaccount_create(http, "Two")

    assert first.sid != second.sid
    assert first.auth_token != second.auth_token


def test_master_and_the_subaccount_itself_may_fetch_it(http, subaccount):
    by_master = http.get(f"/2010-04-01/Accounts/{subaccount.sid}.json")
    by_itself = http.get(f"/2010-04-01/Accounts/{subaccount.sid}.json", auth=subaccount)

    assert by_master.status_code == by_itself.status_code == 200
    assert by_master.json()["auth_token"] == subaccount.auth_token
    assert by_itself.json()["sid"] == subaccount.sid


@pytest.mark.parametrize(
    "auth",
    [
        Credentials("AC" + "0" * 31 + "1", "wrong-token"),
        Credentials("AC" + "f" * 32, "emulator-auth-token-0000000000001"),
    ],
    ids=["wrong-token", "unknown-account"],
)
def test_wrong_credentials_get_twilio_401(http, master, auth):
    response = http.get(f"/2010-04-01/Accounts/{master.sid}/Messages.json", auth=auth)

    assert response.status_code == 401
    assert response.json() == AUTHENTICATE


def test_missing_credentials_get_401(http, master):
    response = http.session.get(f"{http.base_url}/2010-04-01/Accounts/{master.sid}.json")

    assert response.status_code == 401
    assert response.json() == AUTHENTICATE


def test_a_subaccount_acts_only_on_itself(http, master, subaccount):
    sibling = subaccount_create(http, "Charlie's Cafe")

    for path in (
        f"/2010-04-01/Accounts/{sibling.sid}/Messages.json",
        f"/2010-04-01/Accounts/{sibling.sid}.json",
        f"/2010-04-01/Accounts/{master.sid}/Messages.json",
    ):
        response = http.get(path, auth=subaccount)
        assert response.status_code == 401, path
        assert response.json()["code"] == 20003
    sent_elsewhere = http.post(
        f"/2010-04-01/Accounts/{sibling.sid}/Messages.json",
        {"To": "+12065550100", "From": "+12065550199", "Body": "hi"},
        auth=subaccount,
    )
    assert sent_elsewhere.status_code == 401
    assert http.get(f"/2010-04-01/Accounts/{subaccount.sid}/Messages.json", auth=subaccount).ok


def test_the_master_may_send_in_a_subaccount(http, subaccount):
    response = http.post(
        f"/2010-04-01/Accounts/{subaccount.sid}/Messages.json",
        {"To": "+12065550100", "From": "+12065550199", "Body": "hi"},
    )

    assert response.status_code == 201
    assert response.json()["account_sid"] == subaccount.sid


def test_a_subaccount_cannot_create_subaccounts(http, subaccount):
    response = http.post("/2010-04-01/Accounts.json", {"FriendlyName": "nested"}, auth=subaccount)

    assert response.status_code == 403
    assert response.json()["code"] == 20403


def test_a_suspended_subaccount_cannot_authenticate_until_reactivated(http, subaccount):
    path = f"/2010-04-01/Accounts/{subaccount.sid}.json"

    suspended = http.post(path, {"Status": "suspended"})
    refused = http.get(path, auth=subaccount)
    http.post(path, {"Status": "active"})
    readmitted = http.get(path, auth=subaccount)

    assert suspended.json()["status"] == "suspended"
    assert refused.status_code == 401
    assert readmitted.status_code == 200


def test_account_list_shows_the_master_its_subaccounts_and_a_subaccount_itself(
    http, master, subaccount
):
    sibling = subaccount_create(http, "Charlie's Cafe")

    seen_by_master = http.get("/2010-04-01/Accounts.json").json()
    seen_by_sub = http.get("/2010-04-01/Accounts.json", auth=subaccount).json()

    assert {a["sid"] for a in seen_by_master["accounts"]} == {
        master.sid,
        subaccount.sid,
        sibling.sid,
    }
    assert [a["sid"] for a in seen_by_sub["accounts"]] == [subaccount.sid]


def test_unknown_subaccount_is_404_for_the_master(http):
    response = http.get(f"/2010-04-01/Accounts/AC{'e' * 32}.json")

    assert response.status_code == 404
    assert response.json()["code"] == 20404
