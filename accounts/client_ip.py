"""The client's address, for records that keep it as evidence of who did something (the consent
ledger's manual and bulk changes)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def request_ip(request: HttpRequest) -> str | None:
    """The client's address for the ledger, which keeps it as evidence of who gave consent.

    X-Forwarded-For is anyone's to write, so it counts only behind proxies we run
    (`TRUSTED_PROXY_COUNT`): each appends the address it received from, so with N of them the
    Nth entry from the right is the one the outermost proxy saw; entries left of it are the
    client's say-so. With no trusted proxy, or a header shorter than the proxy chain (a
    misconfigured proxy), REMOTE_ADDR is the answer.
    """
    remote = _ip_or_none(request.META.get("REMOTE_ADDR", ""))
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if len(entries) < trusted:
        return remote
    return _ip_or_none(entries[-trusted]) or remote
