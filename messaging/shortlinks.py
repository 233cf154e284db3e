"""Short link codes: which recipient's text and which of its links a short link stands for.

A code is 10 URL-safe characters (60 bits) and needs no row until someone clicks:

    tag (22 bits) | sealed(outbound id (34 bits) | link position (4 bits))

`tag` is a keyed hash (BLAKE2b keyed from SECRET_KEY) of the outbound id and position; the
38-bit payload is XORed with a keyed pad derived from the tag, so codes do not reveal our
sequential row ids (an SIV-style deterministic seal). Decoding recomputes the tag: a typed,
guessed or altered code passes one time in 4 million, and even then only redirects to a URL
stored for a real message, never to one given in the request. Limits that follow from the 60
bits: 16 links per message (more stay as typed) and 17 billion outbound rows.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache

from django.conf import settings

CODE_LENGTH = 10
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{10}")
MAX_LINKS = 16
MAX_OUTBOUND_ID = (1 << 34) - 1

_TAG_BITS = 22
_POSITION_BITS = 4
_PAYLOAD_BITS = 34 + _POSITION_BITS
_PAYLOAD_MASK = (1 << _PAYLOAD_BITS) - 1
_TAG_MASK = (1 << _TAG_BITS) - 1


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[hashlib.blake2b, hashlib.blake2b]:
    # Two keyed hashers derived from SECRET_KEY (one per purpose); copied per use, which is
    # cheaper than keying a new one.
    root = hashlib.sha256(f"smsapp.shortlinks:{secret}".encode()).digest()
    tag = hashlib.blake2b(key=root, digest_size=8, person=b"sl-tag")
    pad = hashlib.blake2b(key=root, digest_size=8, person=b"sl-pad")
    return tag, pad


def _keyed(hasher: hashlib.blake2b, value: int) -> int:
    h = hasher.copy()
    h.update(value.to_bytes(8, "big"))
    return int.from_bytes(h.digest(), "big")


def code_encode(outbound_id: int, position: int) -> str:
    """The 10-character code of link `position` (0-based) in outbound message `outbound_id`."""
    if not 0 < outbound_id <= MAX_OUTBOUND_ID:
        raise ValueError(f"outbound id {outbound_id} does not fit a short link code")
    if not 0 <= position < MAX_LINKS:
        raise ValueError(f"link position {position} is over the {MAX_LINKS} links a code holds")
    tag_key, pad_key = _keys(settings.SECRET_KEY)
    payload = (outbound_id << _POSITION_BITS) | position
    tag = _keyed(tag_key, payload) & _TAG_MASK
    sealed = payload ^ (_keyed(pad_key, tag) & _PAYLOAD_MASK)
    value = (tag << _PAYLOAD_BITS) | sealed
    # 60 bits, then 12 zero bits: 72 bits are exactly 12 base64 characters, the last two "AA".
    return base64.urlsafe_b64encode((value << 12).to_bytes(9, "big")).decode()[:CODE_LENGTH]


def code_decode(code: str) -> tuple[int, int] | None:
    """(outbound id, link position) of a genuine code; None for anything else."""
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        return None
    value = int.from_bytes(base64.urlsafe_b64decode(code + "AA"), "big") >> 12
    tag = value >> _PAYLOAD_BITS
    tag_key, pad_key = _keys(settings.SECRET_KEY)
    payload = (value & _PAYLOAD_MASK) ^ (_keyed(pad_key, tag) & _PAYLOAD_MASK)
    if _keyed(tag_key, payload) & _TAG_MASK != tag:
        return None
    outbound_id, position = payload >> _POSITION_BITS, payload & ((1 << _POSITION_BITS) - 1)
    if outbound_id == 0:
        return None
    return outbound_id, position


def short_url(domain: str, outbound_id: int, position: int) -> str:
    # PUBLIC_LINK_SCHEME: "http" under `make run`, whose runserver speaks no TLS.
    return f"{settings.PUBLIC_LINK_SCHEME}://{domain}/{code_encode(outbound_id, position)}"


# Link-preview fetchers (iMessage sends "facebookexternalhit ... Twitterbot"), crawlers, mail
# and SMS security scanners, and HTTP libraries. They still get the redirect, so previews
# work, but their fetches are counted apart from people's clicks.
BOT_USER_AGENT = re.compile(
    r"bot\b|bot/|crawler|spider|preview|facebookexternalhit|facebot|whatsapp|telegram|"
    r"slack|discord|skypeuripreview|embedly|vkshare|pinterest|bitlybot|outbrain|quora link|"
    r"google-?(?:read-aloud|inspectiontool|safety)|bingpreview|yahoo|baidu|yandex|"
    r"headlesschrome|phantomjs|lighthouse|curl/|wget/|python-|go-http-client|java/|"
    r"okhttp|libwww|httpclient|axios|node-fetch|scanner|proofpoint|mimecast|barracuda",
    re.IGNORECASE,
)


def fetch_is_bot(*, method: str, user_agent: str, purpose: str = "") -> bool:
    """Whether a short-link fetch looks like a machine rather than a person's tap.

    HEAD requests and prefetches (`Sec-Purpose`/`Purpose: prefetch`) never come from a tap;
    neither does a request with no user agent at all.
    """
    if method == "HEAD" or "prefetch" in purpose.lower() or "preview" in purpose.lower():
        return True
    return _user_agent_is_bot(user_agent)


@lru_cache(maxsize=2048)
def _user_agent_is_bot(user_agent: str) -> bool:
    # Taps come from a few thousand distinct user agents (a phone model's OS and browser
    # versions), and the pattern costs a redirect more than its database round trip's Python.
    if not user_agent.strip():
        return True
    return bool(BOT_USER_AGENT.search(user_agent))
