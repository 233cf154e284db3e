"""Shapes shared by the v1 APIs (messaging.twilio.com, trusthub.twilio.com).

They differ from 2010-04-01: ISO 8601 dates, absolute ``url`` fields on Twilio's hosts, and list
pages with a ``meta`` object whose ``key`` names the list. The SDK follows ``meta.next_page_url``
as given, so it is an absolute Twilio URL; the gateway rewrites it to the emulator like any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from twilio_emulator.router import Request, TwilioError

MESSAGING_HOST = "https://messaging.twilio.com"
TRUSTHUB_HOST = "https://trusthub.twilio.com"


def iso8601(timestamp: float | None) -> str | None:
    """v1 dates: ``2019-05-24T17:44:46Z``."""
    if timestamp is None:
        return None
    moment = dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def public(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not key.startswith("_")}


def v1_page(
    request: Request,
    key: str,
    records: list[dict[str, Any]],
    render: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    url: str,
    default_page_size: int = 50,
) -> dict[str, Any]:
    """The page of a v1 list the request asks for: ``{key: [...], "meta": {...}}``; ``url`` is
    the absolute list URL."""
    params = request.params()
    try:
        page_size = min(max(int(params.get("PageSize", default_page_size)), 1), 1000)
        page_number = max(int(params.get("Page", 0)), 0)
    except ValueError as error:
        raise TwilioError(400, 20001, "Invalid paging parameters") from error
    start = page_number * page_size
    chunk = records[start : start + page_size]
    filters = {k: v for k, v in params.items() if k not in {"Page", "PageSize", "PageToken"}}

    def page_url(number: int) -> str:
        query = {**filters, "PageSize": page_size, "Page": number}
        if number:
            query["PageToken"] = f"PT{number}"
        return f"{url}?{urlencode(query)}"

    return {
        key: [render(record) for record in chunk],
        "meta": {
            "page": page_number,
            "page_size": page_size,
            "first_page_url": page_url(0),
            "previous_page_url": page_url(page_number - 1) if page_number > 0 else None,
            "url": page_url(page_number),
            "next_page_url": page_url(page_number + 1)
            if start + page_size < len(records)
            else None,
            "key": key,
        },
    }


def required(request: Request, name: str) -> str:
    value = request.param(name)
    if value is None or value == "":
        raise TwilioError(400, 20001, f"Missing required parameter {name} in the post body")
    return value


def boolean(request: Request, name: str, default: bool | None = None) -> bool | None:
    """Twilio's form booleans: ``true`` / ``false`` (any case); absent gives ``default``."""
    value = request.param(name)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise TwilioError(400, 20001, f"Invalid {name}: {value!r} is not a boolean")
    return lowered == "true"


def repeated(request: Request, name: str) -> list[str]:
    """A list parameter, sent by the SDK as repeated keys."""
    return list(request.form.get(name) or request.query.get(name) or [])
