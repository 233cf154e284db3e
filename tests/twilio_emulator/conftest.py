"""Fixtures for the emulator's own tests: they talk HTTP to it (the shared `emulator` fixture,
tests/conftest.py) and need no database."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests

from twilio_emulator.server import EmulatorHandle
from twilio_emulator.testing import WebhookReceiver

SENDER = "+12065550199"


@dataclass
class Credentials:
    sid: str
    auth_token: str


class TwilioHttp:
    """Raw HTTP against the emulator, to see exactly what it answers."""

    def __init__(self, base_url: str, credentials: Credentials | None):
        self.base_url = base_url
        self.credentials = credentials
        self.session = requests.Session()

    def _auth(self, auth: Credentials | None) -> tuple[str, str] | None:
        auth = auth or self.credentials
        return (auth.sid, auth.auth_token) if auth else None

    def get(self, path: str, params=None, *, auth: Credentials | None = None):
        return self.session.get(
            self.base_url + path, params=params, auth=self._auth(auth), timeout=5
        )

    def post(self, path: str, data=None, *, auth: Credentials | None = None):
        return self.session.post(self.base_url + path, data=data, auth=self._auth(auth), timeout=5)

    def send(self, account: Credentials, **params: str) -> requests.Response:
        """POST Messages.json in ``account`` with its own credentials."""
        params.setdefault("From", SENDER)
        params.setdefault("Body", "Hello from the emulator")
        return self.post(f"/2010-04-01/Accounts/{account.sid}/Messages.json", params, auth=account)

    def control(self, method: str, path: str, data=None) -> requests.Response:
        return self.session.request(
            method, self.base_url + "/_emulator" + path, data=data, timeout=5
        )


@pytest.fixture
def master(emulator: EmulatorHandle) -> Credentials:
    return Credentials(emulator.account_sid, emulator.auth_token)


@pytest.fixture
def http(emulator: EmulatorHandle, master: Credentials) -> TwilioHttp:
    return TwilioHttp(emulator.url, master)


def subaccount_create(http: TwilioHttp, name: str = "Tenant") -> Credentials:
    response = http.post("/2010-04-01/Accounts.json", {"FriendlyName": name})
    assert response.status_code == 201, response.text
    return Credentials(response.json()["sid"], response.json()["auth_token"])


@pytest.fixture
def subaccount(http: TwilioHttp) -> Credentials:
    return subaccount_create(http, "Acme Outdoor")


@pytest.fixture
def receiver():
    webhook_receiver = WebhookReceiver()
    yield webhook_receiver
    webhook_receiver.stop()
