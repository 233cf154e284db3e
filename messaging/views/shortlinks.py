"""The short-link redirect: `GET https://{link domain}/{code}` -> 302 to the original URL."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods

from messaging import links, shortlinks
from messaging.services import clicks, test_sends


@require_http_methods(["GET", "HEAD"])
def short_link_redirect(request: HttpRequest, code: str) -> HttpResponse:
    """Redirect a short link and record the fetch; 404 for anything not genuinely ours.

    The destination only ever comes from the URL stored for the message at fan-out, never from
    the request, so no code, however crafted, makes this an open redirect.
    """
    decoded = shortlinks.code_decode(code)
    if decoded is None:
        raise Http404
    outbound_id, position = decoded
    user_agent = request.headers.get("User-Agent", "")
    is_bot = shortlinks.fetch_is_bot(
        method=request.method,
        user_agent=user_agent,
        purpose=request.headers.get("Sec-Purpose") or request.headers.get("Purpose", ""),
    )
    target = clicks.link_click_record(
        outbound_id=outbound_id,
        position=position,
        host=request.get_host(),
        user_agent=user_agent,
        is_bot=is_bot,
    )
    if target is None:
        # Not a campaign text's: perhaps a test send's (never counted as a click).
        target = test_sends.test_link_target(
            code_id=outbound_id, position=position, host=request.get_host()
        )
    if target is None:
        raise Http404
    location = _location(
        target.url, target.utm_source, target.message_name, target.message_public_id
    )
    if location is None:
        raise Http404
    response = HttpResponseRedirect(location)
    # Every tap must reach us (to be counted), and the marketer's site needn't learn which
    # short code led there.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@lru_cache(maxsize=4096)
def _location(url: str, source: str, campaign: str, content: str) -> str | None:
    """Where a stored link redirects to, with its UTM parameters; the same few links are
    tapped over and over, so each process composes each once."""
    destination = links.link_destination(url)
    if urlsplit(destination).scheme.lower() not in ("http", "https"):
        return None
    return links.utm_url(destination, source=source, campaign=campaign, content=content)
