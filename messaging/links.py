"""Links in a message body, and how long they will be once shortened.

Every link goes out as a short link `https://{link domain}/{10-character code}` (issue 7 makes
them), so segment counts use the short link's exact length, not the length of the URL as typed
(HubSpot assumes 36 characters; we know the domain, so we know the length).

A link is `http://...`, `https://...` or `www....` up to the next space, minus trailing
punctuation that ends a sentence. static/js/composer.js uses the same pattern; keep them in step.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from django.conf import settings

SHORT_LINK_CODE_LENGTH = 10  # messaging.shortlinks.CODE_LENGTH

# Spelled out rather than \s so that Python and JavaScript agree on exactly the same set.
_SPACES = " \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
LINK_PATTERN = re.compile(
    rf"(?<![A-Za-z0-9_@./-])(?:[Hh][Tt][Tt][Pp][Ss]?://|[Ww][Ww][Ww]\.)[^{_SPACES}<>\"]+"
)
_TRAILING_PUNCTUATION = re.compile(r"[.,;:!?)\]}'\"]+$")


def links_in(text: str) -> list[str]:
    """The links of a text, in order, as typed."""
    found = []
    for match in LINK_PATTERN.finditer(text):
        link = _TRAILING_PUNCTUATION.sub("", match.group())
        if link and not link.lower().endswith(("://", "www.")):
            found.append(link)
    return found


def links_replace(text: str, replacement: str) -> str:
    """The text with every link replaced by `replacement` (trailing punctuation kept)."""

    def replace(match: re.Match) -> str:
        link = match.group()
        trimmed = _TRAILING_PUNCTUATION.sub("", link)
        if not trimmed or trimmed.lower().endswith(("://", "www.")):
            return link
        return replacement + link[len(trimmed) :]

    return LINK_PATTERN.sub(replace, text)


# Stands for link N in a body template until each recipient's short link replaces it; a
# private-use character that neither tokens nor the link pattern touch.
LINK_MARKER = "\ue000{}\ue001"


def links_number(text: str, *, limit: int) -> tuple[str, list[str]]:
    """The text with its first `limit` links replaced by numbered markers, and those links.

    A link holding a personalization token (`{{`) differs per recipient, so it can't be stored
    once per message: it is left as typed.
    """
    found: list[str] = []

    def replace(match: re.Match) -> str:
        link = match.group()
        trimmed = _TRAILING_PUNCTUATION.sub("", link)
        if (
            not trimmed
            or trimmed.lower().endswith(("://", "www."))
            or "{{" in trimmed
            or len(found) >= limit
        ):
            return link
        found.append(trimmed)
        return LINK_MARKER.format(len(found) - 1) + link[len(trimmed) :]

    return LINK_PATTERN.sub(replace, text), found


def link_destination(link: str) -> str:
    """The absolute URL a link as typed stands for (`www.` links get a scheme)."""
    return link if "://" in link else f"http://{link}"


def utm_url(url: str, *, source: str, campaign: str, content: str) -> str:
    """`url` with utm_source/medium/campaign/content appended to its query.

    The URL's own query is kept byte for byte (a marketer's own `utm_*` value wins over ours)
    and its fragment stays last, where browsers look for it.
    """
    parts = urlsplit(url)
    present = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    ours = [
        ("utm_source", source),
        ("utm_medium", "sms"),
        ("utm_campaign", campaign),
        ("utm_content", content),
    ]
    added = urlencode([(k, v) for k, v in ours if k not in present and v], quote_via=quote)
    query = "&".join(part for part in (parts.query, added) if part)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, parts.fragment))


def link_domain(sender=None) -> str:
    """The domain short links go out on: the sender's verified branded domain, else ours."""
    if sender is not None and sender.link_domain and sender.link_domain_verified:
        return sender.link_domain
    return settings.PUBLIC_LINK_DOMAIN


def short_link_placeholder(account=None, *, sender=None) -> str:
    """A string exactly as long as a short link of this sender (or of the account) will be.

    `account` is accepted for the day link domains move onto the account's settings; today the
    domain is the sender's branded one or the platform's `PUBLIC_LINK_DOMAIN`.
    """
    return f"https://{link_domain(sender)}/{'x' * SHORT_LINK_CODE_LENGTH}"


# For comparison with HubSpot's flat 36: a short link on a 12-character domain is 31 long.
SHORT_LINK_LENGTH_EXAMPLE = len(f"https://example.link/{'x' * SHORT_LINK_CODE_LENGTH}")
