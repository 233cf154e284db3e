"""Twilio's JSON shapes for the records in the state (field names from the OpenAPI specs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from twilio_emulator.router import Request, TwilioError

API_VERSION = "2010-04-01"

_ACCOUNT_SUBRESOURCES = {
    "available_phone_numbers": "AvailablePhoneNumbers",
    "calls": "Calls",
    "conferences": "Conferences",
    "incoming_phone_numbers": "IncomingPhoneNumbers",
    "notifications": "Notifications",
    "outgoing_caller_ids": "OutgoingCallerIds",
    "recordings": "Recordings",
    "transcriptions": "Transcriptions",
    "addresses": "Addresses",
    "signing_keys": "SigningKeys",
    "connect_apps": "ConnectApps",
    "sip": "SIP",
    "authorized_connect_apps": "AuthorizedConnectApps",
    "usage": "Usage",
    "keys": "Keys",
    "applications": "Applications",
    "short_codes": "SMS/ShortCodes",
    "queues": "Queues",
    "messages": "Messages",
    "balance": "Balance",
}


def rfc2822(timestamp: float | None) -> str | None:
    """Twilio's date format: ``Fri, 24 May 2019 17:44:46 +0000``."""
    if timestamp is None:
        return None
    return format_datetime(dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC))


def public(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not key.startswith("_")}


def account_resource(account: dict[str, Any]) -> dict[str, Any]:
    base = f"/{API_VERSION}/Accounts/{account['sid']}"
    return {
        **public(account),
        "date_created": rfc2822(account["_created"]),
        "date_updated": rfc2822(account["_updated"]),
        "subresource_uris": {
            name: f"{base}/{path}.json" for name, path in _ACCOUNT_SUBRESOURCES.items()
        },
        "uri": f"{base}.json",
    }


def message_resource(message: dict[str, Any]) -> dict[str, Any]:
    base = f"/{API_VERSION}/Accounts/{message['account_sid']}/Messages/{message['sid']}"
    return {
        **public(message),
        "date_created": rfc2822(message["_created"]),
        "date_updated": rfc2822(message["_updated"]),
        "date_sent": rfc2822(message["_sent"]),
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
        "uri": f"{base}.json",
    }


def number_resource(number: dict[str, Any]) -> dict[str, Any]:
    """An IncomingPhoneNumber, in the fields the emulator keeps."""
    return {
        **public(number),
        "date_created": rfc2822(number["_created"]),
        "date_updated": rfc2822(number["_updated"]),
        "uri": f"/{API_VERSION}/Accounts/{number['account_sid']}/IncomingPhoneNumbers/"
        f"{number['sid']}.json",
    }


def page(
    request: Request,
    key: str,
    records: list[dict[str, Any]],
    render: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    default_page_size: int = 50,
    max_page_size: int = 1000,
) -> dict[str, Any]:
    """The page of a Twilio list the request asks for, in the 2010-04-01 list shape: ``key``
    names the list, ``render`` turns a record into what Twilio answers.

    ``records`` is the whole filtered list, in Twilio's order. The next page starts after the
    PageToken's record when it is given (so records created meanwhile do not shift the pages),
    else at Page * PageSize.
    """
    path, params = request.path, request.params()
    try:
        page_size = min(max(int(params.get("PageSize", default_page_size)), 1), max_page_size)
        page_number = max(int(params.get("Page", 0)), 0)
    except ValueError as error:
        raise TwilioError(400, 20001, "Invalid paging parameters") from error
    start = page_number * page_size
    token = params.get("PageToken", "")
    if token.startswith("PA"):
        after_sid = token[2:]
        for index, record in enumerate(records):
            if record["sid"] == after_sid:
                start = index + 1
                break
    chunk = records[start : start + page_size]
    filters = {
        name: value
        for name, value in params.items()
        if name not in {"Page", "PageSize", "PageToken"}
    }

    def uri(page_no: int, page_token: str | None = None) -> str:
        query = {**filters, "PageSize": page_size, "Page": page_no}
        if page_token:
            query["PageToken"] = page_token
        return f"{path}?{urlencode(query)}"

    has_next = start + page_size < len(records)
    return {
        "first_page_uri": uri(0),
        "end": start + max(len(chunk) - 1, 0),
        "previous_page_uri": uri(page_number - 1) if page_number > 0 else None,
        key: [render(record) for record in chunk],
        "uri": uri(page_number, token or None),
        "page_size": page_size,
        "start": start,
        "next_page_uri": uri(page_number + 1, "PA" + chunk[-1]["sid"]) if has_next else None,
        "page": page_number,
    }
