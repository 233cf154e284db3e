"""Links in a message body, and how long they will be once shortened.

A link goes out as a short link `{PUBLIC_LINK_SCHEME}://{link domain}/{10-character code}`
(fan-out makes them), so segment counts use the short link's exact length, not the length of the
URL as typed (HubSpot assumes 36 characters; we know the domain, so we know the length). Links
holding a token and links past the 16th go out as typed (links_number): every count that
shortens links does so on the body as written, before tokens are filled (links_shortened).

A link is `http://...`, `https://...` or `www....` up to the next space, minus trailing
punctuation that ends a sentence; a closing parenthesis is the link's own when it closes one the
link opened (`https://en.wikipedia.org/wiki/Foo_(bar)`), the sentence's otherwise
(`(see https://example.com)`). static/js/composer.js uses the same pattern; keep them in step.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from django.conf import settings

# Links past MAX_SHORT_LINKS go out as typed.
from messaging.shortlinks import CODE_LENGTH as SHORT_LINK_CODE_LENGTH
from messaging.shortlinks import MAX_LINKS as MAX_SHORT_LINKS

# Spelled out rather than \s so that Python and JavaScript agree on exactly the same set.
_SPACES = " \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
LINK_PATTERN = re.compile(
    rf"(?<![A-Za-z0-9_@./-])(?:[Hh][Tt][Tt][Pp][Ss]?://|[Ww][Ww][Ww]\.)[^{_SPACES}<>\"]+"
)
_TRAILING_PUNCTUATION = frozenset(".,;:!?)]}'\"")


def _trimmed(link: str) -> str:
    """`link` without the punctuation that ends the sentence around it ("" if nothing is left
    but a bare scheme or `www.`). A ")" stays when it closes a "(" of the link itself."""
    while link and link[-1] in _TRAILING_PUNCTUATION:
        if link[-1] == ")" and link.count("(") >= link.count(")"):
            break
        link = link[:-1]
    return "" if link.lower().endswith(("://", "www.")) else link


def links_in(text: str) -> list[str]:
    """The links of a text, in order, as typed."""
    return [link for match in LINK_PATTERN.finditer(text) if (link := _trimmed(match.group()))]


def links_replace(text: str, replacement: str) -> str:
    """The text with every link replaced by `replacement` (trailing punctuation kept)."""

    def replace(match: re.Match) -> str:
        link = match.group()
        trimmed = _trimmed(link)
        return replacement + link[len(trimmed) :] if trimmed else link

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
        trimmed = _trimmed(link)
        if not trimmed or "{{" in trimmed or len(found) >= limit:
            return link
        found.append(trimmed)
        return LINK_MARKER.format(len(found) - 1) + link[len(trimmed) :]

    return LINK_PATTERN.sub(replace, text), found


def markers_fill(text: str, replacements: list[str]) -> str:
    """A numbered text (links_number) with marker N replaced by `replacements[N]`."""
    for position, replacement in enumerate(replacements):
        text = text.replace(LINK_MARKER.format(position), replacement)
    return text


def links_shortened(text: str, replacement: str) -> str:
    """`text` with exactly the links the send step shortens replaced by `replacement`: the
    first MAX_SHORT_LINKS links of the body as written, before tokens are filled."""
    template, found = links_number(text, limit=MAX_SHORT_LINKS)
    return markers_fill(template, [replacement] * len(found))


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
    scheme = settings.PUBLIC_LINK_SCHEME
    return f"{scheme}://{link_domain(sender)}/{'x' * SHORT_LINK_CODE_LENGTH}"


# For comparison with HubSpot's flat 36: a short link on a 12-character domain is 31 long.
SHORT_LINK_LENGTH_EXAMPLE = len(f"https://example.link/{'x' * SHORT_LINK_CODE_LENGTH}")
