"""What Twilio's error codes on undelivered and failed texts mean, in a marketer's words
(from Twilio's error dictionary, https://www.twilio.com/docs/api/errors)."""

from __future__ import annotations

ERROR_MEANINGS = {
    21211: "Invalid 'To' phone number",
    21408: "Sending to this region is not enabled",
    21610: "The recipient replied STOP to this number (unsubscribed)",
    21612: "The 'To' number can't be reached from this sender",
    21614: "The 'To' number is not a mobile number",
    21635: "The 'To' number is a landline and can't receive SMS",
    30001: "Queue overflow: sent faster than the sender allows",
    30002: "Account suspended",
    30003: "Unreachable destination handset (off, out of coverage)",
    30004: "Message blocked (the recipient or carrier blocks it)",
    30005: "Unknown destination handset (number not in service)",
    30006: "Landline or unreachable carrier",
    30007: "Filtered by the carrier as spam or against its policy",
    30008: "Unknown error from the carrier",
    30009: "A segment of the message went missing",
    30010: "Message price exceeds the maximum price",
    30017: "Carrier network congestion",
    30018: "Destination carrier requires sender ID pre-registration",
    30019: "Content size exceeds the carrier's limit",
    30022: "US A2P 10DLC rate limit exceeded",
    30023: "US A2P 10DLC daily cap reached (T-Mobile)",
    30024: "Numeric sender ID not provisioned by the carrier",
    30027: "US A2P 10DLC T-Mobile daily limit reached",
    30032: "Toll-free number not verified",
    30034: "Sent from a number not registered for US A2P 10DLC",
    30035: "The 10DLC campaign of this number is suspended",
}


def error_meaning(code: int | None) -> str:
    if not code:
        return ""
    return ERROR_MEANINGS.get(code, "See Twilio's error dictionary")
