"""Who may register for US A2P 10DLC through us: the one place the refusal rules live.

Checked before anything is submitted (the eligibility step) and again at every submission, so
an answer changed later cannot slip through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import phonenumbers

# Message categories carriers and Twilio do not allow on 10DLC (Twilio's Acceptable Use Policy
# and the CTIA guidelines' "SHAFT" and high-risk lists). Key -> what the form shows.
PROHIBITED_CATEGORIES: dict[str, str] = {
    "high_risk_financial": "High-risk financial services (payday loans, short-term loans, "
    "crypto, stock alerts)",
    "debt_collection": "Third-party debt collection",
    "debt_forgiveness": "Debt forgiveness, consolidation or reduction",
    "gambling": "Gambling, sweepstakes or lotteries",
    "cannabis": "Cannabis, CBD or other drugs",
    "firearms": "Firearms, ammunition or explosives",
    "tobacco": "Tobacco and vaping",
    "alcohol": "Alcohol (sales and promotions)",
    "sex": "Adult or sexual content",
    "hate": "Hate speech or violence",
    "lead_generation": "Third-party lead generation or affiliate marketing",
    "get_rich_quick": "Get-rich-quick, work-from-home or pyramid schemes",
    "phishing": "Phishing, fraud or deceptive content",
}

# Categories a marketing account typically sends, so the form is not all refusals.
ALLOWED_CATEGORIES: dict[str, str] = {
    "promotions": "Promotions, sales and offers",
    "events": "Events and announcements",
    "newsletters": "Newsletters and product updates",
    "reminders": "Appointment and service reminders",
    "account": "Account and order notifications",
    "customer_care": "Customer care",
}

MESSAGE_CATEGORIES: dict[str, str] = {**ALLOWED_CATEGORIES, **PROHIBITED_CATEGORIES}

SENDING_COUNTRIES: dict[str, str] = {
    "US": "United States (+1)",
    "other": "Another country",
}

US_VIRGIN_ISLANDS_AREA_CODE = "340"

DESTINATION_NOTICE = (
    "10DLC messages can only be sent to +1 phone numbers in the US and Canada, and never to US "
    "Virgin Islands numbers (+1 340)."
)

SOLE_PROPRIETOR_REASON = (
    "Sole proprietors can't register here: A2P 10DLC registration through smsapp needs a "
    "business with a tax ID (EIN)."
)
NON_US_SENDER_REASON = (
    "Only US phone numbers can send 10DLC messages; sending from numbers in other countries "
    "isn't supported."
)


def prohibited_reason(categories: Iterable[str]) -> str | None:
    chosen = [PROHIBITED_CATEGORIES[c] for c in categories if c in PROHIBITED_CATEGORIES]
    if not chosen:
        return None
    return (
        "These message categories are prohibited on US 10DLC: "
        + "; ".join(chosen)
        + ". Accounts that send them can't register."
    )


@dataclass(frozen=True)
class EligibilityResult:
    eligible: bool
    reasons: list[str]


def eligibility_check(answers: Mapping[str, object]) -> EligibilityResult:
    """The reasons (possibly several) an account cannot register, from the eligibility answers.

    ``answers``: ``sole_proprietor`` (bool), ``categories`` (keys of MESSAGE_CATEGORIES),
    ``sending_country`` ("US" or "other").
    """
    reasons = []
    if answers.get("sole_proprietor"):
        reasons.append(SOLE_PROPRIETOR_REASON)
    categories = answers.get("categories") or []
    reason = prohibited_reason(categories if isinstance(categories, list | tuple) else [])
    if reason:
        reasons.append(reason)
    if answers.get("sending_country") != "US":
        reasons.append(NON_US_SENDER_REASON)
    return EligibilityResult(eligible=not reasons, reasons=reasons)


def sender_number_is_us(e164: str) -> bool:
    """Whether a number may send 10DLC: a US number (not Canada, not a US territory)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.region_code_for_number(number) == "US"
