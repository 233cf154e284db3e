"""SDK clients, and the one credentials shape every Twilio call takes.

With ``TWILIO_API_BASE_URL`` set (development, tests), every request the SDK makes to
``https://{api,messaging,trusthub}.twilio.com/<path>`` goes to ``{TWILIO_API_BASE_URL}/<path>``
instead (same path and query), which is where the Twilio emulator (``python -m twilio_emulator``)
answers; a request for any other Twilio host is refused rather than sent to the real Twilio.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from twilio_gateway.errors import GatewayError


@dataclass(frozen=True)
class Credentials:
    """A Twilio (sub)account's SID and auth token. Which ones an account uses is registration's
    rule (``registration.selectors.twilio_credentials``); the gateway only signs with them."""

    account_sid: str
    auth_token: str


EMULATED_PRODUCTS = frozenset({"api", "messaging", "trusthub"})


class _BaseUrlHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, pointed at ``base_url`` instead of Twilio when one is given."""

    def __init__(self, *, base_url: str, timeout: float):
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        return super().request(
            method,
            self.url_for(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def url_for(self, url: str) -> str:
        if not self.base_url:
            return url
        parts = urlsplit(url)
        host = parts.hostname or ""
        # api.twilio.com, or api.<edge>.<region>.twilio.com when TWILIO_EDGE/REGION are set.
        product = host.split(".", 1)[0]
        if not host.endswith(".twilio.com") or product not in EMULATED_PRODUCTS:
            raise GatewayError(None, f"No TWILIO_API_BASE_URL route for {host}")
        return self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")


_local = threading.local()


def _http_client() -> _BaseUrlHttpClient:
    """One client (and so one connection pool) per thread and configuration.

    Built lazily, so each Celery worker process makes its own after the fork.
    """
    key = (settings.TWILIO_API_BASE_URL or "", float(settings.TWILIO_TIMEOUT_SECONDS))
    client = getattr(_local, "http_clients", {}).get(key)
    if client is None:
        client = _BaseUrlHttpClient(base_url=key[0], timeout=key[1])
        _local.http_clients = {**getattr(_local, "http_clients", {}), key: client}
    return client


def platform_credentials() -> Credentials:
    """The platform (parent) account's: it creates subaccounts and sends for the demo number."""
    return Credentials(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)


def client_for(credentials: Credentials | None = None, *, acting_on: str | None = None) -> Client:
    """An SDK client signed with ``credentials`` (the platform's when None).

    ``acting_on`` names a subaccount the platform acts on with its own credentials, which Twilio
    allows a parent account; the URLs then carry that subaccount's SID.
    """
    credentials = credentials or platform_credentials()
    return Client(
        username=credentials.account_sid,
        password=credentials.auth_token,
        account_sid=acting_on or credentials.account_sid,
        http_client=_http_client(),
    )
