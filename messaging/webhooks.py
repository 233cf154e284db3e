"""Twilio's webhooks. The signature is checked first; a bad or missing one gets 403 and writes
nothing. Known callbacks are recorded idempotently; late or unknown ones get 200 so Twilio stops
retrying. Validation is never turned off, DEBUG or not."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from messaging.services import delivery, inbound
from registration.selectors import twilio_credentials_by_sid
from twilio_gateway import messages as twilio_messages

logger = logging.getLogger(__name__)

# SM... for SMS, MM... for MMS: two letters and 32 hex digits.
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def signed(request: HttpRequest) -> bool:
    """Whether the request carries a valid signature for the subaccount it names."""
    account_sid = request.POST.get("AccountSid", "")
    # Only a SID's shape is looked up (the status callback comes before the input check, so a
    # NUL here would otherwise reach the query: accounts/inputs.py).
    credentials = (
        twilio_credentials_by_sid(account_sid) if ACCOUNT_SID.fullmatch(account_sid) else None
    )
    url = settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
    return twilio_messages.signature_is_valid(
        auth_token=credentials.auth_token if credentials else "",
        url=url,
        params=request.POST,
        signature=request.headers.get("X-Twilio-Signature"),
    )


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@csrf_exempt
@require_POST
def status_callback(request: HttpRequest) -> HttpResponse:
    if not signed(request):
        return HttpResponse("Invalid signature", status=403)
    sid = request.POST.get("MessageSid", "")
    status = request.POST.get("MessageStatus", "")
    if not sid or not status:
        return HttpResponse("MessageSid and MessageStatus are required", status=400)
    if not MESSAGE_SID.fullmatch(sid):
        return HttpResponse("MessageSid is not a Twilio message SID", status=400)
    error_code = _int_or_none(request.POST.get("ErrorCode"))
    if status not in delivery.RECORDED_STATUSES:
        # A status we don't track (a newer Twilio status, or one of WhatsApp's): answered so
        # Twilio stops retrying, and not stored.
        return HttpResponse(status=204)
    delivery.status_callback_record(
        message_sid=sid,
        status=status,
        error_code=error_code if error_code is not None and error_code < 2**31 else None,
        account_sid=request.POST.get("AccountSid", "")[:34],
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def inbound_message(request: HttpRequest) -> HttpResponse:
    if not signed(request):
        return HttpResponse("Invalid signature", status=403)
    missing = [name for name in ("MessageSid", "From", "To") if not request.POST.get(name)]
    if missing:
        return HttpResponse(f"Missing {', '.join(missing)}", status=400)
    inbound.inbound_receive(
        account_sid=request.POST["AccountSid"],
        message_sid=request.POST["MessageSid"],
        from_phone=request.POST["From"],
        to_phone=request.POST["To"],
        body=request.POST.get("Body", ""),
    )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
