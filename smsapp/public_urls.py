"""What the public URL settings must look like; settings.py refuses to start without it.

``PUBLIC_BASE_URL`` becomes every Messaging Service's and message's StatusCallback and
InboundRequestUrl, which Twilio refuses unless they are absolute http(s) URLs with a valid
hostname (no underscores); short links are ``{PUBLIC_LINK_SCHEME}://{PUBLIC_LINK_DOMAIN}/code``.
A value Twilio would refuse is caught when a process starts (web, worker, beat, manage.py), not
at the first send. Plain functions, no Django: settings.py imports this module.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
LINK_SCHEMES = ("http", "https")


def _host_valid(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(host) and all(_HOST_LABEL.fullmatch(label) for label in host.split("."))
    return True


def base_url_problem(value: str) -> str | None:
    """Why PUBLIC_BASE_URL cannot be Twilio's webhook base, or None."""
    example = "such as https://sms.example.com"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not _host_valid(parts.hostname or "")
        or re.search(r"\s", value)
    ):
        return (
            f"PUBLIC_BASE_URL must be the absolute http(s) URL Twilio reaches this app at, "
            f"{example} (got {value!r}): Twilio refuses webhook URLs without a scheme and a "
            "valid hostname (letters, digits, dashes; no underscores)."
        )
    if parts.query or parts.fragment or parts.username:
        return (
            f"PUBLIC_BASE_URL must have no query, fragment or credentials, {example} "
            f"(got {value!r})."
        )
    return None


def link_domain_problem(value: str) -> str | None:
    """Why PUBLIC_LINK_DOMAIN cannot be the host of short links, or None."""
    if "/" in value:
        return (
            f"PUBLIC_LINK_DOMAIN must be a host name, with a port if needed, such as "
            f"links.example.com or 127.0.0.1:8000 (got {value!r}); the scheme goes in "
            "PUBLIC_LINK_SCHEME."
        )
    try:
        parts = urlsplit(f"//{value}")
        parts.port  # noqa: B018
    except ValueError:
        parts = None
    if parts is None or not _host_valid(parts.hostname or "") or parts.username:
        return (
            f"PUBLIC_LINK_DOMAIN must be a host name, with a port if needed, such as "
            f"links.example.com or 127.0.0.1:8000 (got {value!r})."
        )
    return None


def link_scheme_problem(value: str) -> str | None:
    if value not in LINK_SCHEMES:
        return f"PUBLIC_LINK_SCHEME must be http or https (got {value!r})."
    return None


def public_settings_problems(*, base_url: str, link_domain: str, link_scheme: str) -> list[str]:
    problems = (
        base_url_problem(base_url),
        link_domain_problem(link_domain),
        link_scheme_problem(link_scheme),
    )
    return [problem for problem in problems if problem]
