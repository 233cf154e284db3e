"""Personalization tokens: `{{ contact.first_name | default: "there" }}`.

A token names a contact property (a built-in field or an account-defined custom property) and may
carry a default used when the contact has no value. Rendering is a single regex substitution per
body, fast enough for fan-out (MACHINE.md measured about 350,000 two-token renders per second).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from consent.services import TWILIO_OPT_OUT_KEYWORDS

TOKEN_PATTERN = re.compile(
    r"\{\{\s*contact\.(?P<name>[a-z_][a-z0-9_]*)\s*"
    r"(?:\|\s*default:\s*\"(?P<default>[^\"]*)\"\s*)?\}\}"
)
# Tokens with one value for the whole message, not per recipient: the sender user's (the
# message's owner) and the account's (the company's). They are filled once, before fan-out
# renders each recipient's copy, so the hot path only ever sees contact tokens.
MESSAGE_TOKEN_PATTERN = re.compile(
    r"\{\{\s*(?P<type>sender|account)\.(?P<name>[a-z_][a-z0-9_]*)\s*"
    r"(?:\|\s*default:\s*\"(?P<default>[^\"]*)\"\s*)?\}\}"
)
MESSAGE_TOKEN_FIELDS = {
    "sender": {
        "first_name": "First name",
        "last_name": "Last name",
        "full_name": "Full name",
        "email": "Email",
    },
    "account": {"name": "Company name"},
}
# Anything that looks like a token but does not parse, so the composer can say what is wrong.
LOOSE_TOKEN_PATTERN = re.compile(r"\{\{.*?\}\}|\{\{|\}\}")

OPT_OUT_LINE = "Reply STOP to opt out"

# Opt-out wording, so the default line may be dropped: an opt-out keyword (the account's, plus
# the standard ones Twilio always acts on) used as an instruction, "Reply STOP", "Text “END”",
# "STOP to opt out". Naming a way out without a keyword ("Visit example.com to opt out") or a
# negated one ("Do not reply stop") is not enough. The composer gets these very patterns in its
# config (`optOutPattern`, `optOutNegation`), so the browser and the server can't disagree; the
# patterns use only syntax that reads the same in Python and JavaScript.
# Spelled out (not \s, \w, \b) so that Python and JavaScript read exactly the same text.
_SPACE = "[ \t\n\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]"
_QUOTE = "[\"'`\u2018\u2019\u201c\u201d\u00ab\u00bb]?"
_NOT_WORD_BEFORE = "(?<![A-Za-z0-9_])"
_NOT_WORD_AFTER = "(?![A-Za-z0-9_])"
OPT_OUT_INSTRUCTION = (
    f"{_NOT_WORD_BEFORE}(?:reply|text|txt|send|respond|msg)(?:{_SPACE}+(?:with|back))?"
    f"{_SPACE}*:?{_SPACE}*{_QUOTE}(?:{{keywords}}){_QUOTE}{_NOT_WORD_AFTER}"
    f"|{_NOT_WORD_BEFORE}{_QUOTE}(?:{{keywords}}){_QUOTE}{_SPACE}+(?:to|2){_SPACE}+"
    f"(?:opt{_SPACE}?-?{_SPACE}?out|end|unsubscribe|unsub|stop|cancel|quit){_NOT_WORD_AFTER}"
)
# An instruction right after one of these says what not to do.
OPT_OUT_NEGATION = re.compile(
    f"{_NOT_WORD_BEFORE}(?:do{_SPACE}+not|don['\u2019]?t|never|not|no){_SPACE}+$",
    re.IGNORECASE,
)


def opt_out_keywords_normalize(keywords: Iterable[str] | None) -> tuple[str, ...]:
    """The account's opt-out keywords with the standard ones, upper case, longest first."""
    words = {k.strip().upper() for k in (keywords or ()) if k and k.strip()}
    words.update(TWILIO_OPT_OUT_KEYWORDS)
    return tuple(sorted(words, key=lambda word: (-len(word), word)))


def opt_out_pattern_source(keywords: Iterable[str] | None = None) -> str:
    """The instruction pattern for these keywords (case-insensitive), for Python and the
    composer's JavaScript alike."""
    alternatives = "|".join(re.escape(word) for word in opt_out_keywords_normalize(keywords))
    return OPT_OUT_INSTRUCTION.format(keywords=alternatives)


@lru_cache(maxsize=256)
def _opt_out_pattern(keywords: tuple[str, ...]) -> re.Pattern:
    return re.compile(opt_out_pattern_source(keywords), re.IGNORECASE)


@dataclass(frozen=True)
class TokenProblem:
    token: str
    message: str
    # A token naming a contact property the account doesn't have (now): a problem of the
    # account's properties as they are, not of how the token is written.
    unknown_property: bool = False


def tokens_in(body: str) -> list[tuple[str, str | None]]:
    return [(m.group("name"), m.group("default")) for m in TOKEN_PATTERN.finditer(body)]


def message_tokens_fill(body: str, values: Mapping[str, str]) -> str:
    """The body with its sender and account tokens replaced by `values` ("sender.first_name",
    "account.name"), or their defaults where a value is empty."""

    def fill(match: re.Match) -> str:
        value = values.get(f"{match.group('type')}.{match.group('name')}") or ""
        return value or match.group("default") or ""

    return MESSAGE_TOKEN_PATTERN.sub(fill, body) if "{{" in body else body


def message_token_values(*, account=None, user=None) -> dict[str, str]:
    """The sender and account tokens' values for a message (its owner is the sender user)."""
    values = {"account.name": account.name if account is not None else ""}
    if user is not None:
        values.update(
            {
                "sender.first_name": user.first_name,
                "sender.last_name": user.last_name,
                "sender.full_name": user.get_full_name(),
                "sender.email": user.email,
            }
        )
    return values


def tokens_validate(
    body: str, *, known_properties: set[str], message_tokens: bool = True
) -> list[TokenProblem]:
    """Tokens that don't parse or name a property the account doesn't have; sender and
    account tokens only where `message_tokens` (a workflow's text has no owner to fill them)."""
    problems = []
    valid_spans = [m.span() for m in TOKEN_PATTERN.finditer(body)]
    for match in MESSAGE_TOKEN_PATTERN.finditer(body):
        kind, name = match.group("type"), match.group("name")
        if not message_tokens:
            problems.append(
                TokenProblem(match.group(0), f"Only contact tokens can be used here, not {kind}.")
            )
        elif name not in MESSAGE_TOKEN_FIELDS[kind]:
            label = "sender" if kind == "sender" else "company"
            problems.append(TokenProblem(name, f"There is no {label} property “{name}”."))
        valid_spans.append(match.span())
    for match in LOOSE_TOKEN_PATTERN.finditer(body):
        if not any(start <= match.start() < end for start, end in valid_spans):
            problems.append(
                TokenProblem(
                    match.group(0),
                    "This token can't be read; write it as "
                    '{{ contact.first_name | default: "there" }}.',
                )
            )
    for name, _ in tokens_in(body):
        if name not in known_properties:
            problems.append(
                TokenProblem(name, f"There is no contact property “{name}”.", unknown_property=True)
            )
    return problems


def has_opt_out_wording(body: str, *, keywords: Iterable[str] | None = None) -> bool:
    """Whether the body tells the recipient how to opt out with one of `keywords` (the
    account's opt-out keywords; the standard ones are always included)."""
    pattern = _opt_out_pattern(opt_out_keywords_normalize(keywords))
    for match in pattern.finditer(body):
        if not OPT_OUT_NEGATION.search(body[max(0, match.start() - 20) : match.start()]):
            return True
    return False


def body_with_opt_out(body: str, *, append_opt_out: bool) -> str:
    if append_opt_out:
        return f"{body}\n{OPT_OUT_LINE}" if body else OPT_OUT_LINE
    return body


def renderer(body: str) -> Callable[[Mapping[str, object]], str]:
    """A function that renders `body` for one contact's values; compiled once per message.

    The body is split once into literal text and token slots, so rendering a recipient's copy
    is one join (fan-out renders a million of them).
    """
    if "{{" not in body:
        return lambda values: body
    slots = []
    position = 0
    for match in TOKEN_PATTERN.finditer(body):
        slots.append((body[position : match.start()], match.group("name"), match.group("default")))
        position = match.end()
    tail = body[position:]

    def substitute(values: Mapping[str, object]) -> str:
        out = []
        for literal, name, default in slots:
            out.append(literal)
            value = values.get(name)
            out.append((default or "") if value is None or value == "" else str(value))
        out.append(tail)
        return "".join(out)

    return substitute


def render(body: str, values: Mapping[str, object]) -> str:
    return renderer(body)(values)


# Before a contact is chosen, a token without a default stands for a value of unknown length:
# the estimate counts it as this many characters (HubSpot's figure), not as nothing.
UNKNOWN_VALUE_LENGTH = 15
UNKNOWN_VALUE = "x" * UNKNOWN_VALUE_LENGTH


def render_for_estimate(body: str) -> str:
    """The body as the estimate counts it with no contact: defaults where tokens have one,
    UNKNOWN_VALUE where they don't."""

    def fill(match: re.Match) -> str:
        default = match.group("default")
        return default if default is not None else UNKNOWN_VALUE

    return TOKEN_PATTERN.sub(fill, body)
