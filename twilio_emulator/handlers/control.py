"""/_emulator/: what a test or a demo needs that Twilio has no API for."""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from twilio_emulator.resources import API_VERSION, message_resource, number_resource
from twilio_emulator.router import Request, Response, TwilioError, router
from twilio_emulator.rules import DEFAULT_REPLIES, keyword_of, phone_normalize, segments_count
from twilio_emulator.state import EmulatorState, new_sid

if TYPE_CHECKING:
    from twilio_emulator.server import Emulator


def _required(request: Request, name: str) -> str:
    value = request.param(name)
    if not value:
        raise TwilioError(400, 20001, f"Missing required parameter {name}")
    return value


def _phone(request: Request, name: str) -> str:
    raw = _required(request, name)
    phone = phone_normalize(raw)
    if phone is None:
        raise TwilioError(400, 21211, f"The '{name}' number {raw} is not a valid phone number.")
    return phone


def _inbound_url(
    state: EmulatorState, number: dict[str, Any] | None, default: str | None
) -> str | None:
    """Where Twilio would post an inbound message to this number."""
    if number is None:
        return default
    service = state.services.get(number["messaging_service_sid"] or "")
    if service and not service.get("use_inbound_webhook_on_number"):
        return service.get("inbound_request_url") or None
    return number["sms_url"] or default


def _country(phone: str) -> str:
    return "US" if phone.startswith("+1") else ""


def _message(
    *,
    account_sid: str,
    direction: str,
    from_: str,
    to: str,
    body: str,
    service_sid: str | None,
    status: str,
) -> dict[str, Any]:
    now = time.time()
    return {
        "sid": new_sid("SM"),
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "direction": direction,
        "from": from_,
        "to": to,
        "messaging_service_sid": service_sid,
        "num_segments": str(segments_count(body)),
        "num_media": "0",
        "status": status,
        "error_code": None,
        "error_message": None,
        "price": None,
        "price_unit": "USD",
        "_created": now,
        "_updated": now,
        "_sent": now,
        "_status_callback": None,
        "_outcome": None,
    }


@router.route("POST", "/_emulator/inbound", twilio_auth=False)
def inbound_inject(emulator: Emulator, request: Request) -> Response:
    """A handset texts one of our numbers: record it, apply STOP/START, answer STOP, START and
    HELP with Twilio's default replies (as Twilio does on long codes), post the webhook."""
    state = emulator.state
    from_ = _phone(request, "From")
    to = _phone(request, "To")
    body = request.param("Body") or ""
    with state.lock:
        number = state.number_by_phone(to)
        account_sid = request.param("AccountSid") or (
            number["account_sid"] if number else state.master_sid
        )
        if account_sid not in state.accounts:
            raise TwilioError(404, 20404, f"No account {account_sid}")
        service_sid = number["messaging_service_sid"] if number else None
        url = request.param("Url") or _inbound_url(state, number, emulator.inbound_url)
        if not url:
            raise TwilioError(
                400, 20001, f"No SMS URL for {to}: register it via /_emulator/numbers or pass Url"
            )
        message = _message(
            account_sid=account_sid,
            direction="inbound",
            from_=from_,
            to=to,
            body=body,
            service_sid=service_sid,
            status="received",
        )
        state.message_add(message)
        opt_out_key = (account_sid, service_sid or to, from_)
        keyword = keyword_of(body)
        # An opted-out handset gets no HELP reply: nothing reaches it until it opts back in.
        reply_body = DEFAULT_REPLIES.get(keyword or "")
        if keyword == "help" and opt_out_key in state.opt_outs:
            reply_body = None
        if keyword == "opt_out":
            state.opt_outs.add(opt_out_key)
        elif keyword == "opt_in":
            state.opt_outs.discard(opt_out_key)
        opted_out = opt_out_key in state.opt_outs
        auto_reply = None
        if reply_body:
            # Twilio's own reply, from the number texted: no status callback, not an API send.
            auto_reply = _message(
                account_sid=account_sid,
                direction="outbound-reply",
                from_=to,
                to=from_,
                body=reply_body,
                service_sid=service_sid,
                status="delivered",
            )
            state.message_add(auto_reply)
        auth_token = state.accounts[account_sid]["auth_token"]
    state.changed()
    params = {
        "ToCountry": _country(to),
        "ToState": "",
        "SmsMessageSid": message["sid"],
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": message["sid"],
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": _country(from_),
        "To": to,
        "ToZip": "",
        "NumSegments": message["num_segments"],
        "MessageSid": message["sid"],
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": API_VERSION,
    }
    if service_sid:
        params["MessagingServiceSid"] = service_sid
    webhook_status, webhook_body = emulator.carrier.poster.post(url, params, auth_token)
    return Response(
        200,
        {
            "message_sid": message["sid"],
            "account_sid": account_sid,
            "url": url,
            "webhook_status": webhook_status,
            "webhook_body": webhook_body[:4000],
            "opt_out": opted_out,
            "auto_reply": auto_reply["body"] if auto_reply else None,
        },
    )


@router.route("POST", "/_emulator/numbers", twilio_auth=False)
def number_register(emulator: Emulator, request: Request) -> Response:
    """Give an account a number without buying one; registering it again updates it."""
    state = emulator.state
    phone_number = _phone(request, "PhoneNumber")
    account_sid = request.param("AccountSid") or state.master_sid
    now = time.time()
    with state.lock:
        if account_sid not in state.accounts:
            raise TwilioError(404, 20404, f"No account {account_sid}")
        number = state.number_by_phone(phone_number)
        if number is None:
            number = {
                "sid": new_sid("PN"),
                "phone_number": phone_number,
                "friendly_name": phone_number,
                "sms_method": "POST",
                "capabilities": {"fax": False, "mms": True, "sms": True, "voice": True},
                "status": "in-use",
                "api_version": API_VERSION,
                "_created": now,
            }
            state.numbers[number["sid"]] = number
        number.update(
            {
                "account_sid": account_sid,
                "sms_url": request.param("SmsUrl") or "",
                "messaging_service_sid": request.param("MessagingServiceSid") or None,
                "_updated": now,
            }
        )
        if request.param("FriendlyName"):
            number["friendly_name"] = request.param("FriendlyName")
        body = number_resource(number)
    state.changed()
    return Response(201, body)


@router.route("GET", "/_emulator/numbers", twilio_auth=False)
def number_list(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        numbers = [number_resource(number) for number in emulator.state.numbers.values()]
    return Response(200, {"numbers": numbers})


@router.route("GET", "/_emulator/messages", twilio_auth=False)
def message_dump(emulator: Emulator, request: Request) -> Response:
    """Every message, oldest first, with the status callback it was given."""
    params = request.params()
    to = params.get("To") and (phone_normalize(params["To"]) or params["To"])
    with emulator.state.lock:
        messages = [
            {
                **message_resource(message),
                "status_callback": message["_status_callback"],
                # Sub-second creation time (Twilio's date_created has whole seconds): rate checks.
                "created_at_epoch": message["_created"],
                # When it last changed status (delivered, for a delivered one): callback lags.
                "updated_at_epoch": message["_updated"],
            }
            for message in emulator.state.messages.values()
            if (not to or message["to"] == to)
            and params.get("AccountSid") in (None, message["account_sid"])
            and params.get("Direction") in (None, message["direction"])
        ]
    return Response(200, {"messages": messages})


@router.route("GET", "/_emulator/stats", twilio_auth=False)
def stats(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    with state.lock:
        outbound = [m for m in state.messages.values() if m["direction"] == "outbound-api"]
        same_text = Counter((m["account_sid"], m["to"], m["body"]) for m in outbound)
        body = {
            "messages": len(state.messages),
            "creates_by_recipient": dict(state.creates_by_recipient),
            "attempts_by_recipient": dict(state.attempts_by_recipient),
            # The same text created more than once for one recipient: a duplicate send.
            "duplicates": [
                {"account_sid": account_sid, "to": to, "body": text, "creates": creates}
                for (account_sid, to, text), creates in same_text.items()
                if creates > 1
            ],
            "callbacks_posted": state.callbacks_posted,
            "callbacks_failed": state.callbacks_failed,
        }
    body["carrier_backlog"] = emulator.carrier.backlog()
    return Response(200, body)


@router.route("GET", "/_emulator/operations", twilio_auth=False)
def operations(emulator: Emulator, request: Request) -> Response:
    """Per Twilio operationId: requests accepted, requests the contract refused, parameters
    sent that the spec does not define, and the last accepted request (method, path, query,
    form), which is what the project sent."""
    return Response(200, {"operations": emulator.operations_report()})


@router.route("POST", "/_emulator/reset", twilio_auth=False)
def reset(emulator: Emulator, request: Request) -> Response:
    emulator.state.reset()
    emulator.operations_forget()
    return Response(200, {"reset": True})
