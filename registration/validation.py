"""The rules a business registration and an SMS use case must meet, in one place.

Pages (forms.py) and the API (apis.py) both call these; each returns the cleaned values and the
errors per field, in the words the user sees. ``fields`` limits a check to some fields (one
wizard step, or an API draft update); cross-field rules run when their fields are checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from accounts.inputs import SPACE_CLASS
from registration import catalog
from registration.eligibility import SOLE_PROPRIETOR_REASON

Errors = dict[str, list[str]]

BUSINESS_STEPS: dict[str, tuple[str, ...]] = {
    "company": ("legal_name", "website", "business_type", "industry", "regions"),
    "address": ("street", "street2", "city", "region", "postal_code", "country"),
    "registration": ("company_status", "stock_exchange", "stock_ticker", "registration_number"),
    "contact": (
        "contact_first_name",
        "contact_last_name",
        "contact_email",
        "contact_phone",
        "contact_job_title",
        "contact_job_position",
    ),
}
BUSINESS_FIELDS: tuple[str, ...] = tuple(f for step in BUSINESS_STEPS.values() for f in step)
OPTIONAL_BUSINESS_FIELDS = frozenset({"street2", "stock_exchange", "stock_ticker"})
LIST_FIELDS = frozenset({"regions", "samples", "consent_methods"})
BOOLEAN_FIELDS = frozenset({"has_links", "has_phone_numbers", "acknowledged"})

USE_CASE_FIELDS: tuple[str, ...] = (
    "description",
    "samples",
    "consent_methods",
    "consent_description",
    "opt_in_url",
    "has_links",
    "has_phone_numbers",
    "acknowledged",
)

DESCRIPTION_MIN, DESCRIPTION_MAX = 40, 4096
CONSENT_MIN, CONSENT_MAX = 40, 2048
SAMPLES_MIN, SAMPLES_MAX = 2, 5
SAMPLE_MIN, SAMPLE_MAX = 20, 1024

EIN = re.compile(r"^(\d{2})-?(\d{7})$")
CBN = re.compile(r"^\d{9}([A-Z]{2}\d{4})?$")
US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
CA_POSTAL = re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$")
TICKER = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")
EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
LINK_IN_TEXT = re.compile(r"(https?://|www\.)\S+|\b[\w-]+\.(com|net|org|io|co|us|ly|me)\b", re.I)
# "Reply STOP to opt out", "Text END to unsubscribe", "opt-out", ...
OPT_OUT_WORDING = re.compile(
    r"\b(reply|text|txt|send|msg)\s+\W?(stop|end|cancel|unsubscribe|quit|stopall|optout|revoke)"
    r"\b|\bopt[\s-]?out\b|\bunsubscribe\b",
    re.I,
)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


def _bool(value: Any) -> bool | None:
    """True/False from a checkbox, a yes/no radio or JSON; None when not answered."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
    return None


def _url_error(value: str) -> str | None:
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return "Enter a full web address, such as https://www.example.com."
    if "." not in (urlsplit(value).hostname or ""):
        return "Enter a public web address with a domain name."
    return None


# Twilio's number search takes a Contains pattern of 2 to 16 characters; we offer digits only.
CONTAINS_MIN, CONTAINS_MAX = 2, 16
CONTAINS_SEPARATORS = re.compile(r"[\s\-.()]")
# What the API's number search takes for Contains (its schema publishes it): empty, or 2 to 16
# digits (0-9) with separators between them. contains_clean reads the same, and more (it lets
# the page's search box take any digit a keyboard types).
_SEPARATOR = f"[{SPACE_CLASS}\\-.()]"
CONTAINS_PATTERN = rf"^{_SEPARATOR}*(?:(?:[0-9]{_SEPARATOR}*){{{CONTAINS_MIN},{CONTAINS_MAX}}})?\Z"


def contains_clean(value: str) -> tuple[str, str | None]:
    """The digits of a number search's "contains" (spaces, dashes, dots and brackets dropped),
    and what is wrong with it, if anything. Empty means no filter."""
    digits = CONTAINS_SEPARATORS.sub("", value or "")
    if not digits:
        return "", None
    if not digits.isdigit():
        return digits, "Use digits only, such as 555 or 2024."
    if not CONTAINS_MIN <= len(digits) <= CONTAINS_MAX:
        return digits, (
            f"Type {CONTAINS_MIN} to {CONTAINS_MAX} digits the number should contain "
            f"(you typed {len(digits)}), or leave it empty."
        )
    return digits, None


def ein_normalize(value: str) -> str | None:
    match = EIN.match(value.replace(" ", ""))
    return f"{match.group(1)}-{match.group(2)}" if match else None


def phone_e164(value: str, region: str = "US") -> str | None:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


Fail = Callable[[str, str], None]


def business_validate(
    data: Mapping[str, Any], *, fields: Iterable[str] | None = None
) -> tuple[dict[str, Any], Errors]:
    """Clean and check business-registration fields (all of them when ``fields`` is None)."""
    wanted = set(fields) if fields is not None else set(BUSINESS_FIELDS)
    cleaned: dict[str, Any] = {}
    errors: Errors = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field in wanted:
        value = data.get(field)
        cleaned[field] = _list(value) if field in LIST_FIELDS else _text(value)
        if not cleaned[field] and field not in OPTIONAL_BUSINESS_FIELDS:
            fail(field, "This field is required.")
    # Rules across fields read the saved value of a field this call doesn't check.
    country = cleaned.get("country") or _text(data.get("country")) or "US"
    _business_check(cleaned, fail)
    _address_check(cleaned, wanted, country, fail)
    _registration_number_check(cleaned, country, fail)
    _listing_check(cleaned, data, wanted, fail)
    _contact_person_check(cleaned, fail)
    return cleaned, errors


def _business_check(cleaned: dict[str, Any], fail: Fail) -> None:
    if cleaned.get("legal_name") and not 2 <= len(cleaned["legal_name"]) <= 255:
        fail("legal_name", "Enter the legal name as registered, 2 to 255 characters.")
    if cleaned.get("website"):
        website = cleaned["website"]
        if not website.lower().startswith(("http://", "https://")):
            website = cleaned["website"] = "https://" + website
        if message := _url_error(website):
            fail("website", message)
    business_type = cleaned.get("business_type")
    if business_type == catalog.SOLE_PROPRIETORSHIP:
        fail("business_type", SOLE_PROPRIETOR_REASON)
    elif business_type and business_type not in catalog.BUSINESS_TYPES:
        fail("business_type", "Choose a business type from the list.")
    if cleaned.get("industry") and cleaned["industry"] not in catalog.INDUSTRIES:
        fail("industry", "Choose an industry from the list.")
    unknown = [r for r in cleaned.get("regions", []) if r not in catalog.REGIONS]
    if unknown:
        fail("regions", f"Unknown region: {', '.join(unknown)}.")


def _address_check(cleaned: dict[str, Any], wanted: set[str], country: str, fail: Fail) -> None:
    if "country" in wanted and cleaned.get("country") and country not in catalog.COUNTRIES:
        fail("country", "The business address must be in the United States or Canada.")
    if cleaned.get("region"):
        region = cleaned["region"] = cleaned["region"].upper()
        known = catalog.US_STATES if country == "US" else catalog.CA_PROVINCES
        if region not in known:
            fail("region", "Choose a state." if country == "US" else "Choose a province.")
    if cleaned.get("postal_code"):
        postal = cleaned["postal_code"] = cleaned["postal_code"].upper()
        pattern = US_ZIP if country == "US" else CA_POSTAL
        if not pattern.match(postal):
            fail(
                "postal_code",
                "Enter a ZIP code such as 94105 or 94105-1234."
                if country == "US"
                else "Enter a postal code such as K1A 0B1.",
            )


def _registration_number_check(cleaned: dict[str, Any], country: str, fail: Fail) -> None:
    """An EIN in the US, a business number in Canada."""
    if not cleaned.get("registration_number"):
        return
    number = cleaned["registration_number"]
    if country == "US":
        ein = ein_normalize(number)
        if ein is None:
            fail(
                "registration_number",
                "Enter the EIN as 9 digits, such as 12-3456789 (the IRS format NN-NNNNNNN).",
            )
        else:
            cleaned["registration_number"] = ein
    elif not CBN.match(number.replace(" ", "").upper()):
        fail("registration_number", "Enter the 9-digit Canadian business number.")


def _listing_check(
    cleaned: dict[str, Any], data: Mapping[str, Any], wanted: set[str], fail: Fail
) -> None:
    """A public company's exchange and ticker; a private one has neither."""
    status = cleaned.get("company_status")
    if status and status not in catalog.COMPANY_STATUSES:
        fail("company_status", "Choose public or private.")
    if "company_status" in wanted and status == "public":
        exchange = cleaned.get("stock_exchange") or _text(data.get("stock_exchange"))
        ticker = (cleaned.get("stock_ticker") or _text(data.get("stock_ticker"))).upper()
        if not exchange:
            fail("stock_exchange", "A public company needs its stock exchange.")
        elif exchange not in catalog.STOCK_EXCHANGES:
            fail("stock_exchange", "Choose a stock exchange from the list.")
        if not ticker:
            fail("stock_ticker", "A public company needs its stock ticker.")
        elif not TICKER.match(ticker):
            fail("stock_ticker", "Enter the ticker symbol, such as ACME (letters and digits).")
        cleaned["stock_exchange"], cleaned["stock_ticker"] = exchange, ticker
    elif "company_status" in wanted:
        cleaned["stock_exchange"], cleaned["stock_ticker"] = "", ""


def _contact_person_check(cleaned: dict[str, Any], fail: Fail) -> None:
    if cleaned.get("contact_email"):
        try:
            EmailValidator()(cleaned["contact_email"])
        except ValidationError:
            fail("contact_email", "Enter a valid email address.")
    if cleaned.get("contact_phone"):
        e164 = phone_e164(cleaned["contact_phone"])
        if e164 is None:
            fail("contact_phone", "Enter a valid phone number, such as +1 415 555 0100.")
        else:
            cleaned["contact_phone"] = e164
    position = cleaned.get("contact_job_position")
    if position and position not in catalog.JOB_POSITIONS:
        fail("contact_job_position", "Choose a position from the list.")


LEGAL_SUFFIXES = re.compile(
    r"[,.\s]+(llc|l\.l\.c|inc|incorporated|corp|corporation|co|company|ltd|limited|lp|llp)\.?$",
    re.I,
)


def business_names(*names: str) -> list[str]:
    """The names a sample may use for the business: each given name, and each without its legal
    suffix ("Acme Outdoor LLC" -> "Acme Outdoor")."""
    found: list[str] = []
    for name in names:
        name = (name or "").strip()
        for variant in (name, LEGAL_SUFFIXES.sub("", name).strip()):
            if len(variant) >= 2 and variant.lower() not in (f.lower() for f in found):
                found.append(variant)
    return found


def use_case_validate(
    data: Mapping[str, Any], *, business_names: Iterable[str], fields: Iterable[str] | None = None
) -> tuple[dict[str, Any], Errors]:
    """Clean and check the SMS use case; messages name the rule and the sample that breaks it.

    ``business_names``: what counts as naming the business in a sample (see business_names()).
    """
    wanted = set(fields) if fields is not None else set(USE_CASE_FIELDS)
    cleaned: dict[str, Any] = {}
    errors: Errors = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if "description" in wanted:
        description = cleaned["description"] = _text(data.get("description"))
        if not DESCRIPTION_MIN <= len(description) <= DESCRIPTION_MAX:
            fail(
                "description",
                f"The campaign description needs {DESCRIPTION_MIN:,} to {DESCRIPTION_MAX:,} "
                f"characters; it has {len(description):,}.",
            )
        if EMAIL_IN_TEXT.search(description) or _has_phone_number(description):
            fail(
                "description",
                "Don't put end-user data in the description: remove phone numbers and email "
                "addresses.",
            )

    links = _bool(data.get("has_links"))
    phones = _bool(data.get("has_phone_numbers"))
    for field, value in (("has_links", links), ("has_phone_numbers", phones)):
        if field in wanted:
            cleaned[field] = value
            if value is None:
                fail(field, "Answer yes or no.")

    if "samples" in wanted:
        samples = cleaned["samples"] = _list(data.get("samples"))
        _samples_check(samples, list(business_names), links, phones, fail)

    if "consent_methods" in wanted:
        methods = cleaned["consent_methods"] = _list(data.get("consent_methods"))
        if not methods:
            fail("consent_methods", "Choose how people give consent to receive your messages.")
        unknown = [m for m in methods if m not in catalog.CONSENT_METHODS]
        if unknown:
            fail("consent_methods", f"Unknown consent method: {', '.join(unknown)}.")
    if "consent_description" in wanted:
        consent = cleaned["consent_description"] = _text(data.get("consent_description"))
        if not CONSENT_MIN <= len(consent) <= CONSENT_MAX:
            fail(
                "consent_description",
                f"Describe how consent is collected in {CONSENT_MIN} to {CONSENT_MAX:,} "
                f"characters; this has {len(consent):,}.",
            )
    if "opt_in_url" in wanted:
        url = cleaned["opt_in_url"] = _text(data.get("opt_in_url"))
        methods = cleaned.get("consent_methods", _list(data.get("consent_methods")))
        needs_url = catalog.CONSENT_METHODS_WITH_URL.intersection(methods)
        if url:
            if message := _url_error(url):
                fail("opt_in_url", message)
        elif needs_url:
            fail(
                "opt_in_url",
                "Consent is collected on a website: enter the address of the page with the "
                "opt-in form.",
            )
    if "acknowledged" in wanted:
        cleaned["acknowledged"] = _bool(data.get("acknowledged")) is True
        if not cleaned["acknowledged"]:
            fail("acknowledged", "Confirm that you have read the checklist (“Got it”).")
    return cleaned, errors


def _has_phone_number(text: str) -> bool:
    return any(True for _ in phonenumbers.PhoneNumberMatcher(text, "US"))


def _samples_check(samples, names, links, phones, fail) -> None:
    if not SAMPLES_MIN <= len(samples) <= SAMPLES_MAX:
        fail(
            "samples",
            f"Give {SAMPLES_MIN} to {SAMPLES_MAX} sample messages; you gave {len(samples)}.",
        )
    for number, sample in enumerate(samples, start=1):
        if not SAMPLE_MIN <= len(sample) <= SAMPLE_MAX:
            fail(
                "samples",
                f"Sample {number} has {len(sample):,} characters; each sample needs "
                f"{SAMPLE_MIN} to {SAMPLE_MAX:,}.",
            )
        if links is False and LINK_IN_TEXT.search(sample):
            fail(
                "samples",
                f"Sample {number} contains a link, but you said your messages contain no links.",
            )
        if phones is False and _has_phone_number(sample):
            fail(
                "samples",
                f"Sample {number} contains a phone number, but you said your messages contain "
                "none.",
            )
    if not samples:
        return
    if names and not any(n.lower() in s.lower() for n in names for s in samples):
        fail("samples", f"At least one sample must name your business (“{min(names, key=len)}”).")
    if not any(OPT_OUT_WORDING.search(sample) for sample in samples):
        fail(
            "samples",
            "At least one sample must tell people how to opt out, such as “Reply STOP to opt out”.",
        )


def message_flow(use_case: Mapping[str, Any]) -> str:
    """Twilio's MessageFlow: how consent is collected, with the methods and the opt-in URL."""
    methods = ", ".join(
        catalog.CONSENT_METHODS[m].lower() for m in use_case.get("consent_methods", [])
    )
    parts = [use_case.get("consent_description", "").strip()]
    if methods:
        parts.append(f"Consent is collected: {methods}.")
    if use_case.get("opt_in_url"):
        parts.append(f"Opt-in page: {use_case['opt_in_url']}")
    return " ".join(p for p in parts if p)[:CONSENT_MAX]
