"""What Twilio's error codes mean for contacts and consent."""

from __future__ import annotations

from messaging.models import OutboundMessage

INVALID_PHONE_CODES = {21211, 21612, 21614, 21635}
UNREACHABLE_CODES = {30003, 30005, 30006}
OPT_OUT_CODES = {21610, 30004}


def permanent_error_apply(*, row: OutboundMessage, code: int | None) -> None:
    """Record what an error says about the recipient's phone, so we stop texting it."""
    from consent import services as consent_services
    from contacts import services as contact_services

    if code in OPT_OUT_CODES:
        consent_services.consent_carrier_opt_out(
            account=row.account,
            phone_e164=row.to_phone,
            error_code=code,
            message_sid=row.twilio_sid or "",
        )
    elif code in INVALID_PHONE_CODES:
        contact_services.contact_phone_mark_invalid(
            account=row.account, phone_e164=row.to_phone, reason="rejected_by_twilio"
        )
    elif code in UNREACHABLE_CODES:
        contact_services.contact_phone_mark_unreachable(
            account=row.account, phone_e164=row.to_phone
        )
