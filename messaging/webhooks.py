"""Twilio's webhooks. The signature is checked first; a bad or missing one gets 403 and writes
nothing. Known callbacks are recorded idempotently; late or unknown ones get 200 so Twilio stops
retrying. Validation is never turned off, DEBUG or not."""

from __future__ import annotations

import logging
import re
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from messaging import twilio_gateway
from messaging.services import delivery, inbound
from registration.models import TwilioSubaccount

logger = logging.getLogger(__name__)

# SM... for SMS, MM... for MMS: two letters and 32 hex digits.
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


# Subaccount auth tokens, kept in the process for a minute: a callback burst would otherwise
# spend a query per request on a value that almost never changes.
_TOKEN_TTL_SECONDS = 60.0
_tokens: dict[str, tuple[float, str | None]] = {}


def auth_token_for(account_sid: str) -> str | None:
    if account_sid == settings.TWILIO_ACCOUNT_SID:
        return settings.TWILIO_AUTH_TOKEN
    if not ACCOUNT_SID.fullmatch(account_sid):
        # Nobody's (and the status callback comes before the input check: see accounts.inputs).
        return None
    now = time.monotonic()
    cached = _tokens.get(account_sid)
    if cached is not None and cached[0] > now:
        return cached[1]
    token = (
        TwilioSubaccount.objects.filter(sid=account_sid)
        .values_list("auth_token", flat=True)
        .first()
    )
    if token is not None:  # unknown SIDs are not remembered: a new subaccount works at once
        _tokens[account_sid] = (now + _TOKEN_TTL_SECONDS, token)
    return token


def signed(request: HttpRequest) -> bool:
    """Whether the request carries a valid signature for the subaccount it names."""
    token = auth_token_for(request.POST.get("AccountSid", ""))
    url = settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
    return twilio_gateway.signature_is_valid(
        auth_token=token or "",
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
