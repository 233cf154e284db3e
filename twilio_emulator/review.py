"""The simulated review of Trust Hub bundles, A2P brands and Usa2p campaigns.

A submitted record gets ``_review_due`` (epoch seconds: now + the emulator's review delay) and
``_review_result`` (the fields it will have once reviewed), both decided at submission from what
was submitted. Nothing runs in the background: whoever reads the record after the due time (a
fetch, a list, ``POST /_emulator/review`` with Complete) applies the result first (``settle``).
So with ``--review-delay 0`` the create answer still says PENDING (as Twilio's does) and the
next fetch has the outcome.

The rejection triggers are documented in the package docstring; keep them in step.
"""

from __future__ import annotations

import re
import secrets
import string
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twilio_emulator.state import EmulatorState

DEFAULT_REVIEW_DELAY = 2.0
DEFAULT_BRAND_SCORE = 80

REJECT_MARKER = "REJECT"
INVALID_EIN_DIGITS = "000000000"

BRAND_NAME_MISMATCH = (
    "The legal business name does not match the records of the business registration number "
    "(TCR identity check failed)."
)
BRAND_TAX_ID_UNKNOWN = "The business registration number (EIN) was not found in the IRS records."
CAMPAIGN_DESCRIPTION_REJECTED = (
    "The campaign description is not detailed enough to show the purpose of the messages."
)


def schedule(state: EmulatorState, record: dict[str, Any], result: dict[str, Any]) -> None:
    """Plan ``record``'s review outcome; the caller holds the lock."""
    record["_review_due"] = time.time() + state.review_delay
    record["_review_result"] = result


def settle(record: dict[str, Any], *, now: float | None = None, force: bool = False) -> bool:
    """Apply a due review outcome; True when the record changed. The caller holds the lock."""
    due = record.get("_review_due")
    if due is None:
        return False
    now = time.time() if now is None else now
    if not force and now < due:
        return False
    record.update(record.get("_review_result") or {})
    record["_review_due"] = None
    record["_review_result"] = None
    record["_updated"] = now
    return True


def pending(record: dict[str, Any]) -> bool:
    return record.get("_review_due") is not None


def _tcr_id(prefix: str) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(6))


def brand_outcome(
    state: EmulatorState, business: dict[str, Any], messaging_profile: dict[str, Any]
) -> dict[str, Any]:
    """What TCR decides for a brand, from its customer profile's business information."""
    name = str(business.get("business_name") or "")
    ein_digits = re.sub(r"\D", "", str(business.get("business_registration_number") or ""))
    reason = None
    if REJECT_MARKER in name.upper():
        reason, feedback = BRAND_NAME_MISMATCH, ["TAX_ID"]
    elif ein_digits == INVALID_EIN_DIGITS:
        reason, feedback = BRAND_TAX_ID_UNKNOWN, ["TAX_ID"]
    if reason:
        return {
            "status": "FAILED",
            "failure_reason": reason,
            "errors": [{"code": "TCR_VERIFICATION", "description": reason}],
            "brand_feedback": feedback,
            "identity_status": "UNVERIFIED",
            "brand_score": None,
        }
    public = str(messaging_profile.get("company_type") or "") == "public"
    return {
        "status": "APPROVED",
        "failure_reason": None,
        "errors": [],
        "brand_feedback": None,
        "identity_status": "VETTED_VERIFIED" if public else "VERIFIED",
        "brand_score": state.brand_score,
        "tcr_id": _tcr_id("B"),
    }


def campaign_outcome(description: str) -> dict[str, Any]:
    if REJECT_MARKER in description.upper():
        return {
            "campaign_status": "FAILED",
            "errors": [
                {
                    "code": "CAMPAIGN_DESCRIPTION",
                    "fields": ["Description"],
                    "description": CAMPAIGN_DESCRIPTION_REJECTED,
                }
            ],
        }
    return {"campaign_status": "VERIFIED", "errors": [], "campaign_id": _tcr_id("C")}


def bundle_outcome() -> dict[str, Any]:
    """Twilio's own review of a Trust Hub bundle: every compliant bundle is approved."""
    valid_until = time.time() + 365 * 86400
    return {"status": "twilio-approved", "_valid_until": valid_until}
