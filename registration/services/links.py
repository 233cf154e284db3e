"""Branded link domains: a number's short links may use the account's own domain once that
domain resolves to our link host (settings.PUBLIC_LINK_DOMAIN), which is what lets us serve
the redirects. Until then the domain is stored as pending and links use our host.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User
from registration.models import PhoneNumber, RegistrationEvent
from registration.services.provisioning import RegistrationError, event_record

Kind = RegistrationEvent.Kind

HOSTNAME = re.compile(
    r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])$"
)
# What the API takes (its schema publishes it): a host name as HOSTNAME reads it, in any case
# (the page also takes a pasted address and trims it; the API takes the name itself).
LINK_DOMAIN_PATTERN = (
    r"^(?=.{4,253}\Z)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])\Z"
)

Resolver = Callable[[str], set[str]]


def resolve_addresses(host: str) -> set[str]:
    """The IP addresses ``host`` resolves to (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError, OSError):
        return set()
    return {str(info[4][0]) for info in infos}


def link_host() -> str:
    """Our link host, without the port PUBLIC_LINK_DOMAIN may carry."""
    return urlsplit(f"//{settings.PUBLIC_LINK_DOMAIN}").hostname or ""


def dns_record_hint(host: str) -> str:
    """The DNS record that points a branded domain at our link host: a CNAME names a host, so
    a link host that is an IP address (a development setup) needs an A (or AAAA) record."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"Add a CNAME record pointing to {host}."
    kind = "AAAA" if address.version == 6 else "A"
    return f"Add an {kind} record pointing to {host}."


def link_domain_normalize(raw: str) -> str:
    """``https://Go.Example.com/x`` -> ``go.example.com``; RegistrationError when not a domain."""
    value = (raw or "").strip().lower()
    if "//" in value:
        value = urlsplit(value).hostname or ""
    value = value.split("/")[0].rstrip(".")
    if not HOSTNAME.match(value):
        raise RegistrationError(
            "Enter a domain name you own, such as links.example.com.", code="link_domain"
        )
    return value


def link_domain_set(
    *, account: Account, user: User, number: PhoneNumber, domain: str
) -> PhoneNumber:
    """Give the number a branded link domain, pending until verified; "" removes it."""
    if number.account_id != account.pk:
        raise RegistrationError("Not found.", code="not_found")
    domain = link_domain_normalize(domain) if domain.strip() else ""
    removed = number.link_domain if not domain else ""
    with transaction.atomic():
        PhoneNumber.objects.filter(pk=number.pk).update(
            link_domain=domain,
            link_domain_verified=False,
            link_domain_checked_at=None,
            link_domain_error="",
        )
        event_record(
            account=account,
            kind=Kind.LINK_DOMAIN_REMOVED if removed else Kind.LINK_DOMAIN_SET,
            user=user,
            e164=number.e164,
            domain=removed or domain,
        )
    number.refresh_from_db()
    return number


def link_domain_verify(
    *, account: Account, user: User, number: PhoneNumber, resolver: Resolver | None = None
) -> PhoneNumber:
    """Verified when the domain resolves to at least one address of our link host."""
    if number.account_id != account.pk:
        raise RegistrationError("Not found.", code="not_found")
    if not number.link_domain:
        raise RegistrationError("Add a branded link domain first.", code="link_domain")
    resolve = resolver or resolve_addresses
    host = link_host()
    expected = resolve(host)
    found = resolve(number.link_domain)
    if not found:
        error = f"{number.link_domain} does not resolve. {dns_record_hint(host)}"
    elif not expected & found:
        error = (
            f"{number.link_domain} points to {', '.join(sorted(found))}, not to our link host "
            f"{host}. {dns_record_hint(host)}"
        )
    else:
        error = ""
    with transaction.atomic():
        PhoneNumber.objects.filter(pk=number.pk).update(
            link_domain_verified=not error,
            link_domain_checked_at=timezone.now(),
            link_domain_error=error,
        )
        event_record(
            account=account,
            kind=Kind.LINK_DOMAIN_FAILED if error else Kind.LINK_DOMAIN_VERIFIED,
            user=user,
            e164=number.e164,
            domain=number.link_domain,
            error=error,
        )
    number.refresh_from_db()
    return number
