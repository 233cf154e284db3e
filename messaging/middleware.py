"""Short links on branded link domains that ALLOWED_HOSTS doesn't list.

A sender's verified branded domain (`PhoneNumber.link_domain`, e.g. go.acme.com) serves its
short links, but Django's host check (`request.get_host()`) refuses any host outside
ALLOWED_HOSTS with a 400, and the tap is lost. Listing every tenant's domain there would open
the whole app (sign-in, pages, API) on them. So this middleware, first in MIDDLEWARE, accepts a
verified link domain as the host of a short-link request only (`/{10-character code}`): every
other path on such a host still gets Django's 400. The redirect view then checks, as it always
does, that the host is a link domain of the account whose text the code names.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.middleware.security import SecurityMiddleware
from django.urls import reverse

from messaging import webhooks
from messaging.shortlinks import CODE_LENGTH
from messaging.views.shortlinks import short_link_redirect
from registration.models import PhoneNumber

SHORT_LINK_PATH = re.compile(rf"/[A-Za-z0-9_-]{{{CODE_LENGTH}}}")
# The verified domains are re-read at least this often (a domain no longer verified stops being
# served within it), and at most this often on a host not in the set (so a domain verified a
# moment ago works at once, while junk Host headers can't cost a query each).
REFRESH_SECONDS = 300.0
MISS_REFRESH_SECONDS = 5.0


class _LinkHosts:
    """The lower-case hosts short links are served on: the platform's default link domain and
    every verified branded one. One set per process, read from the database when stale."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.hosts: frozenset[str] = frozenset()
        self.loaded_at: float | None = None
        self.lock = threading.Lock()

    def _load(self) -> None:
        domains = PhoneNumber.objects.filter(link_domain_verified=True).exclude(link_domain="")
        hosts = {d.lower().rstrip(".") for d in domains.values_list("link_domain", flat=True)}
        hosts.add(settings.PUBLIC_LINK_DOMAIN.lower())
        self.hosts = frozenset(hosts)
        self.loaded_at = self.clock()

    def known(self, host: str) -> bool:
        age = None if self.loaded_at is None else self.clock() - self.loaded_at
        stale = age is None or age > REFRESH_SECONDS
        if stale or (host not in self.hosts and age > MISS_REFRESH_SECONDS):
            with self.lock:
                self._load()
        return host in self.hosts

    def forget(self) -> None:
        self.loaded_at = None


link_hosts = _LinkHosts()


def _raw_host(request: HttpRequest) -> str:
    # As HttpRequest.get_host reads it, before its ALLOWED_HOSTS check.
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in request.META:
        return request.META["HTTP_X_FORWARDED_HOST"]
    return request.META.get("HTTP_HOST", "")


class LinkDomainMiddleware:
    """First in MIDDLEWARE: the host fix above, and the busiest public routes served lean.

    Short links and Twilio's status callbacks are public and session-less, and at a campaign's
    peak they are nearly all the traffic. They are answered here, through SecurityMiddleware
    alone (its HTTPS redirect and headers), without the session, CSRF, auth, account, messages,
    htmx and axes middleware below, none of which they use, nor URL resolution: together those
    cost as much as the redirect's own work (bench analytics, bench webhooks).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.short_link = _lean(
            lambda request: short_link_redirect(request, code=request.path_info[1:])
        )
        self.status_callback = _lean(webhooks.status_callback)
        self.status_path: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if SHORT_LINK_PATH.fullmatch(path):
            host = _raw_host(request)
            domain, _ = split_domain_port(host)
            if (
                domain
                and not validate_host(domain, settings.ALLOWED_HOSTS)
                and (link_hosts.known(host.lower()) or link_hosts.known(domain))
            ):
                # A link domain of ours: get_host() answers it for this request (to the SSL
                # redirect and the redirect view) instead of refusing it.
                request.get_host = lambda: host
            return self.short_link(request)
        if self.status_path is None:
            self.status_path = reverse("twilio_status")
        if path == self.status_path:
            return self.status_callback(request)
        return self.get_response(request)


def _lean(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """`view` behind SecurityMiddleware only, its exceptions (a 404, a bad host) answered as
    Django's handler would."""
    return convert_exception_to_response(SecurityMiddleware(convert_exception_to_response(view)))
