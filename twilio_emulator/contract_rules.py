"""What Twilio's specs say in words: the rules in parameter descriptions, and Twilio's own codes.

``contract.py`` checks what the request schemas state (required, type, format, enum, limits,
patterns). Some rules live only in a parameter's description ("It can be up to 64 characters
long", "min two and max five"); each is one ``Rule`` here, quoting the words it comes from
(``says``), which a test finds in the vendored spec, so a rule cannot drift from its source.

Left out on purpose: CreateEndUser's Type "can be `individual` or `business`" (the A2P end-user
types Twilio requires, such as ``customer_profile_business_information``, are neither; the
sentence is stale), and the Usa2p OptOutMessage / HelpMessage / keyword lists being "required if
managing opt out keywords yourself", which a request cannot show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# Parameter name -> its non-empty values (repeated keys give several).
Params = Mapping[str, list[str]]
Check = Callable[[Params], "str | None"]

INVALID_PARAMETER = 20001


@dataclass(frozen=True)
class Rule:
    operation: str  # the operationId
    parameter: str  # the parameter whose description states the rule
    says: str  # words of that description
    check: Check  # the problem with a request, or None
    code: int = INVALID_PARAMETER


def _first(params: Params, name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def length(name: str, low: int, high: int) -> Check:
    def check(params: Params) -> str | None:
        value = _first(params, name)
        if value is not None and not low <= len(value) <= high:
            return f"{name} must be {low} to {high} characters long (got {len(value)})"
        return None

    return check


def each_length(name: str, low: int, high: int) -> Check:
    def check(params: Params) -> str | None:
        for index, value in enumerate(params.get(name, []), start=1):
            if not low <= len(value) <= high:
                return f"{name}[{index}] must be {low} to {high} characters long (got {len(value)})"
        return None

    return check


def count(name: str, low: int, high: int) -> Check:
    def check(params: Params) -> str | None:
        given = len(params.get(name, []))
        if given and not low <= given <= high:
            return f"{name} takes {low} to {high} values (got {given})"
        return None

    return check


def at_most(name: str, high: int) -> Check:
    def check(params: Params) -> str | None:
        given = len(params.get(name, []))
        return f"{name} takes at most {high} values (got {given})" if given > high else None

    return check


def between(name: str, low: int, high: int) -> Check:
    def check(params: Params) -> str | None:
        value = _first(params, name)
        if value is not None and not low <= int(value) <= high:
            return f"{name} must be an integer from {low} to {high} (got {value})"
        return None

    return check


def choice(name: str, *values: str) -> Check:
    def check(params: Params) -> str | None:
        value = _first(params, name)
        if value is not None and value not in values:
            return f"{name} must be one of {', '.join(values)} (got {value!r})"
        return None

    return check


def matching(name: str, pattern: str, what: str) -> Check:
    regex = re.compile(pattern)

    def check(params: Params) -> str | None:
        for value in params.get(name, []):
            if not regex.fullmatch(value):
                return f"{name} must be {what} (got {value!r})"
        return None

    return check


def any_of(*names: str, message: str) -> Check:
    def check(params: Params) -> str | None:
        return None if any(params.get(name) for name in names) else message

    return check


def needs(name: str, other: str, *, when: str | None = None) -> Check:
    """``name`` (or ``name`` equal to ``when``) needs ``other`` too."""

    def check(params: Params) -> str | None:
        value = _first(params, name)
        if value is None or (when is not None and value.lower() != when):
            return None
        return None if params.get(other) else f"{name} needs {other} too"

    return check


def joined_length(name: str, high: int) -> Check:
    """A keyword list goes to the carriers' registry as one comma-separated value."""

    def check(params: Params) -> str | None:
        joined = ",".join(params.get(name, []))
        if len(joined) > high:
            return f"{name} may hold {high} characters in all (got {len(joined)})"
        return None

    return check


# The number search's Contains, as its description lays it out.
_CONTAINS_CHARS = re.compile(r"[0-9A-Za-z*%+$]+")
_WILDCARDS = "*%"


def contains_pattern(params: Params) -> str | None:
    pattern = _first(params, "Contains")
    if pattern is None:
        return None
    problem = None
    core = pattern.removeprefix("+").removesuffix("$")
    if not 2 <= len(pattern) <= 16:
        problem = "must be 2 to 16 characters long"
    elif not _CONTAINS_CHARS.fullmatch(pattern):
        problem = "may hold only digits, latin letters and the meta-characters * % + $"
    elif "+" in core or "$" in core:
        problem = "takes + only first and $ only last"
    elif (pattern.startswith("+") and core.startswith(tuple(_WILDCARDS))) or (
        pattern.endswith("$") and core.endswith(tuple(_WILDCARDS))
    ):
        problem = "cannot put meta-characters next to each other"
    elif any(char in _WILDCARDS for char in core):
        literal = core.strip(_WILDCARDS)
        if any(char in _WILDCARDS for char in literal):
            problem = "cannot use wildcards between digits or letters"
        elif len(literal) < 2:
            problem = "needs at least two digits or letters besides the wildcards"
    return f"Contains {problem} (got {pattern!r})" if problem else None


# Texting a keyword to opt in, in a campaign's MessageFlow: "Customers text JOIN to 12345",
# "the person texts a keyword to our number". The words people text to opt out or for help
# ("reply STOP to opt out") are not opt-in keywords.
_KEYWORD_OPT_IN = re.compile(
    r"\b(?i:text|texts|texting|txt|send|sends|sending|reply|replies|replying)\s+"
    r"(?:(?i:in|the|a|an|our|your|their)\s+)*"
    r"(?:(?i:keywords?)\b|[\"'“]?"
    r"(?!(?:STOP|STOPALL|UNSUBSCRIBE|CANCEL|END|QUIT|OPTOUT|REVOKE|HELP|INFO)\b)"
    r"[A-Z0-9]{2,}[\"'”]?\s+(?i:to)\b)"
)


def keyword_opt_in(params: Params) -> str | None:
    flow = _first(params, "MessageFlow") or ""
    if not (params.get("OptInKeywords") or _KEYWORD_OPT_IN.search(flow)):
        return None
    missing = [name for name in ("OptInKeywords", "OptInMessage") if not params.get(name)]
    if missing:
        return (
            "End users text in a keyword to opt in to this campaign (see MessageFlow and "
            f"OptInKeywords): {' and '.join(missing)} must be provided"
        )
    return None


_KEYWORD = r"[A-Za-z0-9]+"
_CAMPAIGN_TEXT = (
    ("Description", "Min length: 40 characters. Max length: 4096 characters.", 40, 4096),
    ("MessageFlow", "40 character minimum. 2048 character maximum.", 40, 2048),
)
_SAMPLES_COUNT = "An array of sample message strings, min two and max five."
_SAMPLES_LENGTH = "Min length for each sample: 20 chars. Max length for each sample: 1024 chars."
_FRIENDLY_NAME_64 = "It can be up to 64 characters long"
_VALIDITY = "Can be an integer from `1` to `36,000`."
_METHOD_GET_POST = ("GET", "POST")


def _campaign_content(operation: str) -> list[Rule]:
    rules = [
        Rule(operation, name, says, length(name, low, high))
        for name, says, low, high in _CAMPAIGN_TEXT
    ]
    rules += [
        Rule(operation, "MessageSamples", _SAMPLES_COUNT, count("MessageSamples", 2, 5)),
        Rule(operation, "MessageSamples", _SAMPLES_LENGTH, each_length("MessageSamples", 20, 1024)),
    ]
    return rules


def _service(operation: str) -> list[Rule]:
    return [
        Rule(operation, "FriendlyName", _FRIENDLY_NAME_64, length("FriendlyName", 1, 64)),
        Rule(operation, "ValidityPeriod", _VALIDITY, between("ValidityPeriod", 1, 36000)),
        Rule(
            operation,
            "Usecase",
            "Possible values are `notifications`, `marketing`, `verification`, `discussion`, "
            "`poll`, `undeclared`.",
            choice(
                "Usecase",
                "notifications",
                "marketing",
                "verification",
                "discussion",
                "poll",
                "undeclared",
            ),
        ),
    ]


def _incoming_number(operation: str) -> list[Rule]:
    return [
        Rule(
            operation,
            "FriendlyName",
            "It can be up to 64 characters long.",
            length("FriendlyName", 0, 64),
        )
    ]


def _address(operation: str) -> list[Rule]:
    return [
        Rule(
            operation,
            "FriendlyName",
            "It can be up to 64 characters long for Regulatory Compliance addresses",
            length("FriendlyName", 0, 64),
        )
    ]


def _usa2p_reply(name: str) -> Rule:
    return Rule(
        "CreateUsAppToPerson",
        name,
        "20 character minimum. 320 character maximum.",
        length(name, 20, 320),
    )


def _usa2p_keywords(name: str) -> list[Rule]:
    return [
        Rule(
            "CreateUsAppToPerson",
            name,
            "Values must be alphanumeric.",
            matching(name, _KEYWORD, "alphanumeric"),
        ),
        Rule("CreateUsAppToPerson", name, "255 character maximum.", joined_length(name, 255)),
    ]


RULES: tuple[Rule, ...] = (
    # Messages
    Rule(
        "CreateMessage",
        "From",
        "If you are using `messaging_service_sid`, this parameter can be empty",
        any_of("From", "MessagingServiceSid", message="A 'From' phone number is required."),
        code=21603,
    ),
    Rule(
        "CreateMessage",
        "Body",
        "The text content of the outgoing message.",
        any_of("Body", "MediaUrl", "ContentSid", message="Message body is required."),
        code=21602,
    ),
    Rule(
        "CreateMessage",
        "Body",
        "Can be up to 1,600 characters in length.",
        lambda params: (
            "The concatenated message body exceeds the 1600 character limit."
            if len(_first(params, "Body") or "") > 1600
            else None
        ),
        code=21617,
    ),
    Rule(
        "CreateMessage",
        "ValidityPeriod",
        "Accepted values are integers from `1` to `36000`.",
        between("ValidityPeriod", 1, 36000),
    ),
    Rule(
        "CreateMessage",
        "MediaUrl",
        "You can include up to ten `media_url` parameters per message.",
        at_most("MediaUrl", 10),
    ),
    Rule(
        "CreateMessage",
        "ShortenUrls",
        "If `true`, the `messaging_service_sid` parameter must also be provided.",
        needs("ShortenUrls", "MessagingServiceSid", when="true"),
    ),
    Rule(
        "CreateMessage",
        "ContentVariables",
        "`content_sid` parameter must also be provided.",
        needs("ContentVariables", "ContentSid"),
    ),
    # Messaging Services
    *_service("CreateService"),
    *_service("UpdateService"),
    # Usa2p campaigns
    *_campaign_content("CreateUsAppToPerson"),
    *_campaign_content("UpdateUsAppToPerson"),
    _usa2p_reply("OptInMessage"),
    _usa2p_reply("OptOutMessage"),
    _usa2p_reply("HelpMessage"),
    *_usa2p_keywords("OptInKeywords"),
    *_usa2p_keywords("OptOutKeywords"),
    *_usa2p_keywords("HelpKeywords"),
    Rule(
        "CreateUsAppToPerson",
        "OptInKeywords",
        "This field is required if end users can text in a keyword to start receiving messages "
        "from this campaign.",
        keyword_opt_in,
    ),
    # Brands
    Rule(
        "CreateBrandRegistrations",
        "BrandType",
        'One of: "STANDARD", "SOLE_PROPRIETOR".',
        choice("BrandType", "STANDARD", "SOLE_PROPRIETOR"),
    ),
    # Numbers
    Rule(
        "ListAvailablePhoneNumberLocal",
        "Contains",
        "This pattern can be between 2 and 16 characters long",
        contains_pattern,
    ),
    Rule(
        "ListAvailablePhoneNumberLocal",
        "Distance",
        "Can be up to `500`",
        between("Distance", 0, 500),
    ),
    Rule(
        "CreateIncomingPhoneNumber",
        "AreaCode",
        "You must provide an `area_code` or a `phone_number`.",
        any_of("AreaCode", "PhoneNumber", message="Either PhoneNumber or AreaCode is required"),
    ),
    Rule(
        "CreateIncomingPhoneNumber",
        "AreaCode",
        "Can be any three-digit, US or Canada area code.",
        matching("AreaCode", r"\d{3}", "a three-digit area code"),
    ),
    Rule(
        "CreateIncomingPhoneNumber",
        "PhoneNumber",
        "E.164 phone numbers consist of a + followed by the country code and subscriber number "
        "without punctuation characters.",
        matching("PhoneNumber", r"\+[1-9]\d{1,14}", "an E.164 number such as +14155551234"),
        code=21421,
    ),
    *_incoming_number("CreateIncomingPhoneNumber"),
    *_incoming_number("UpdateIncomingPhoneNumber"),
    *_address("CreateAddress"),
    *_address("UpdateAddress"),
)

# Formats a description widens: (operationId, parameter) -> (the words, the format to use).
FORMAT_OVERRIDES: dict[tuple[str, str], tuple[str, str]] = {
    ("CreateMessage", "From"): (
        "[alphanumeric sender ID](https://www.twilio.com/docs/sms/quickstart)",
        "sender",
    ),
    ("ListIncomingPhoneNumber", "PhoneNumber"): (
        "You can specify partial numbers and use '*' as a wildcard for any digit.",
        "partial-phone-number",
    ),
}

# Twilio's own error codes where it documents one; anything else answers 20001.
# (operationId, parameter, "missing" | "invalid") -> (code, message; {name} and {value} filled).
TWILIO_CODES: dict[tuple[str, str, str], tuple[int, str]] = {
    ("CreateMessage", "To", "missing"): (21604, "A 'To' phone number is required."),
    ("CreateMessage", "To", "invalid"): (
        21211,
        "The 'To' number {value} is not a valid phone number.",
    ),
    ("CreateMessage", "From", "invalid"): (
        21212,
        "The 'From' number {value} is not a valid phone number, shortcode, or alphanumeric "
        "sender ID.",
    ),
    ("CreateMessage", "StatusCallback", "invalid"): (
        21609,
        "The StatusCallback URL {value} is not a valid URL.",
    ),
    ("CreateMessage", "MessagingServiceSid", "invalid"): (
        21705,
        "The MessagingServiceSid {value} is invalid: it must match MG followed by 32 hex digits.",
    ),
    ("CreateIncomingPhoneNumber", "PhoneNumber", "invalid"): (
        21421,
        "PhoneNumber {value} is invalid.",
    ),
    ("CreatePhoneNumber", "PhoneNumberSid", "invalid"): (
        21421,
        "PhoneNumberSid {value} is invalid.",
    ),
}
# Webhook URLs of phone numbers: Twilio's "Invalid callback url".
for _operation in ("CreateIncomingPhoneNumber", "UpdateIncomingPhoneNumber"):
    for _name in ("SmsUrl", "SmsFallbackUrl", "StatusCallback", "VoiceUrl", "VoiceFallbackUrl"):
        TWILIO_CODES[(_operation, _name, "invalid")] = (21502, "{name} {value} is not a valid URL.")
