"""What the emulated Twilio and carrier decide about a destination number.

The rules are keyed by the last four digits of To; the table in the package docstring is the
documentation of these tables, keep them in step.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from twilio_emulator.router import TwilioError

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_FORMATTING = re.compile(r"[\s\-.()]")

MAX_BODY_CHARS = 1600


@dataclass(frozen=True)
class CreateRule:
    status: int
    code: int
    message: str
    first_attempt_only: bool = False
    # The message is created before the error is answered (a lost response).
    creates: bool = False


CREATE_RULES: dict[str, CreateRule] = {
    "1211": CreateRule(400, 21211, "The 'To' number {to} is not a valid phone number."),
    "1610": CreateRule(400, 21610, "Attempt to send to unsubscribed recipient"),
    "1612": CreateRule(
        400,
        21612,
        "The 'To' phone number: {to}, is not currently reachable using the 'From' phone "
        "number: {sender} via SMS.",
    ),
    "1614": CreateRule(400, 21614, "'To' number is not a valid mobile number"),
    "1635": CreateRule(400, 21635, "'To' number cannot be a landline."),
    "0429": CreateRule(429, 20429, "Too Many Requests"),
    "1429": CreateRule(429, 20429, "Too Many Requests", first_attempt_only=True),
    "0500": CreateRule(500, 20500, "Internal Server Error"),
    "0504": CreateRule(504, 20504, "Gateway Timeout", creates=True),
    "1504": CreateRule(504, 20504, "Gateway Timeout", first_attempt_only=True, creates=True),
}


@dataclass(frozen=True)
class Outcome:
    status: str  # delivered | undelivered | failed
    error_code: int | None = None
    error_message: str | None = None


DELIVERED = Outcome("delivered")

DELIVERY_OUTCOMES: dict[str, Outcome] = {
    "0003": Outcome("undelivered", 30003, "Unreachable destination handset"),
    "0005": Outcome("undelivered", 30005, "Unknown destination handset"),
    "0006": Outcome("undelivered", 30006, "Landline or unreachable carrier"),
    "0007": Outcome("failed", 30007, "Message filtered"),
}

# Twilio's default keywords on long codes, Advanced Opt-Out off (case-insensitive, the whole
# body: "STOP PLEASE" is no keyword), and the replies Twilio sends for them.
OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
DEFAULT_REPLIES = {
    "opt_out": "You have successfully been unsubscribed. You will not receive any more messages "
    "from this number. Reply START to resubscribe.",
    "opt_in": "You have successfully been re-subscribed to messages from this number. Reply HELP "
    "for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
    "help": "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}


def phone_normalize(raw: str) -> str | None:
    """The E.164 form of ``raw``, or None when Twilio would answer 21211."""
    digits = _FORMATTING.sub("", raw)
    if re.fullmatch(r"\d{10}", digits):
        digits = "+1" + digits
    elif re.fullmatch(r"1\d{10}", digits):
        digits = "+" + digits
    return digits if E164.match(digits) else None


def create_rule_for(to: str) -> CreateRule | None:
    return CREATE_RULES.get(to[-4:])


def outcome_for(to: str) -> Outcome:
    return DELIVERY_OUTCOMES.get(to[-4:], DELIVERED)


def rule_error(rule: CreateRule, *, to: str, sender: str | None) -> TwilioError:
    return TwilioError(rule.status, rule.code, rule.message.format(to=to, sender=sender or ""))


def keyword_of(body: str) -> str | None:
    """ "opt_out", "opt_in", "help" or None for an inbound body."""
    word = body.strip().upper()
    if word in OPT_OUT_WORDS:
        return "opt_out"
    if word in OPT_IN_WORDS:
        return "opt_in"
    if word in HELP_WORDS:
        return "help"
    return None


# GSM 03.38: the basic table, and the extension table whose characters take two septets.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def segments_count(body: str) -> int:
    """Twilio's num_segments, close enough for an emulator (the app has the exact calculator)."""
    if all(char in _GSM_BASIC or char in _GSM_EXTENDED for char in body):
        septets = sum(2 if char in _GSM_EXTENDED else 1 for char in body)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)
