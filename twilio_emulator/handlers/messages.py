"""/2010-04-01/Accounts/{AccountSid}/Messages: send, fetch, list."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from twilio_emulator.resources import API_VERSION, message_resource, page
from twilio_emulator.router import Request, Response, TwilioError, not_found_error, router
from twilio_emulator.rules import (
    MAX_BODY_CHARS,
    create_rule_for,
    outcome_for,
    phone_normalize,
    rule_error,
    segments_count,
)
from twilio_emulator.state import EmulatorState, new_sid

if TYPE_CHECKING:
    from twilio_emulator.server import Emulator


def _service_sender(state: EmulatorState, account_sid: str, service_sid: str) -> str | None:
    """The number a Messaging Service sends from: its first number in the account, if any."""
    for number in state.numbers.values():
        if number["account_sid"] == account_sid and number["messaging_service_sid"] == service_sid:
            return number["phone_number"]
    return None


@router.route("POST", "/2010-04-01/Accounts/{AccountSid}/Messages.json")
def message_create(emulator: Emulator, request: Request) -> Response:
    """Validate like Twilio, apply the destination-number rules, create, hand to the carrier."""
    state = emulator.state
    account_sid = request.path_params["AccountSid"]
    to_raw = (request.param("To") or "").strip()
    body = request.param("Body") or ""
    from_ = request.param("From") or None
    service_sid = request.param("MessagingServiceSid") or None
    if not to_raw:
        raise TwilioError(400, 21604, "A 'To' phone number is required.")
    lost_response: TwilioError | None = None
    try:
        with state.lock:
            to = phone_normalize(to_raw)
            state.attempts_by_recipient[to or to_raw] += 1
            attempt = state.attempts_by_recipient[to or to_raw]
            if not from_ and not service_sid:
                raise TwilioError(400, 21603, "A 'From' phone number is required.")
            if not body:
                raise TwilioError(400, 21602, "Message body is required.")
            if len(body) > MAX_BODY_CHARS:
                raise TwilioError(
                    400, 21617, "The concatenated message body exceeds the 1600 character limit."
                )
            if to is None:
                raise TwilioError(
                    400, 21211, f"The 'To' number {to_raw} is not a valid phone number."
                )
            sender = from_ or service_sid
            rule = create_rule_for(to)
            if rule and (attempt == 1 or not rule.first_attempt_only):
                if not rule.creates:
                    raise rule_error(rule, to=to, sender=sender)
                lost_response = rule_error(rule, to=to, sender=sender)
            scope = state.sender_scope(account_sid, from_, service_sid)
            if (account_sid, scope, to) in state.opt_outs:
                raise TwilioError(400, 21610, "Attempt to send to unsubscribed recipient")
            # Messaging Services are not checked for existence until the emulator serves them.
            service = state.services.get(service_sid) if service_sid else None
            status_callback = request.param("StatusCallback") or (
                service.get("status_callback") if service else None
            )
            now = time.time()
            message: dict[str, Any] = {
                "sid": new_sid("SM"),
                "account_sid": account_sid,
                "api_version": API_VERSION,
                "body": body,
                "direction": "outbound-api",
                "from": from_ or (service_sid and _service_sender(state, account_sid, service_sid)),
                "to": to,
                "messaging_service_sid": service_sid,
                "num_segments": str(segments_count(body)),
                "num_media": "0",
                # Twilio: "queued" when sent from a number, "accepted" through a Messaging Service.
                "status": "accepted" if service_sid else "queued",
                "error_code": None,
                "error_message": None,
                "price": None,
                "price_unit": "USD",
                "_created": now,
                "_updated": now,
                "_sent": None,
                "_status_callback": status_callback,
                "_outcome": dataclasses.asdict(outcome_for(to)),
            }
            state.message_add(message)
            state.creates_by_recipient[to] += 1
            resource = message_resource(message)
    finally:
        state.changed()  # the attempt counter changed even when the send was refused
    emulator.carrier.schedule(message["sid"])
    if lost_response is not None:
        raise lost_response
    return Response(201, resource)


@router.route("GET", "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json")
def message_fetch(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    with state.lock:
        message = state.messages.get(request.path_params["Sid"])
        if message is None or message["account_sid"] != request.path_params["AccountSid"]:
            raise not_found_error(request.path)
        return Response(200, message_resource(message))


def _date_bound(name: str, value: str) -> tuple[int, bool]:
    """(epoch seconds, whether only the date was given) of a DateSent filter value."""
    value = value.strip()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        pass
    else:
        return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp()), True
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            moment = dt.datetime.strptime(value, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
        return int(moment.timestamp()), False
    try:
        return int(parsedate_to_datetime(value).timestamp()), False
    except (TypeError, ValueError) as error:
        raise TwilioError(400, 20001, f"Invalid {name}: {value}") from error


def _date_sent_filter(params: dict[str, str]):
    """A predicate on a message's ``_sent`` for DateSent, DateSent< and DateSent>.

    A date alone compares whole UTC days (on, on or before, on or after); a date and time
    compares to the second. A message not sent yet matches no DateSent filter.
    """
    tests = []
    for name, compare in (
        ("DateSent", lambda sent, bound: sent == bound),
        ("DateSent<", lambda sent, bound: sent <= bound),
        ("DateSent>", lambda sent, bound: sent >= bound),
    ):
        if params.get(name):
            bound, date_only = _date_bound(name, params[name])
            if name == "DateSent":
                date_only = True  # "Messages with a specific sent_date"
            tests.append((compare, bound, date_only))
    if not tests:
        return lambda sent: True

    def matches(sent: float | None) -> bool:
        if sent is None:
            return False
        for compare, bound, date_only in tests:
            value = int(sent)
            if date_only:
                value, bound = value - value % 86400, bound - bound % 86400
            if not compare(value, bound):
                return False
        return True

    return matches


@router.route("GET", "/2010-04-01/Accounts/{AccountSid}/Messages.json")
def message_list(emulator: Emulator, request: Request) -> Response:
    """Newest first, like Twilio."""
    state = emulator.state
    params = request.params()
    to = params.get("To") and (phone_normalize(params["To"]) or params["To"])
    from_ = params.get("From") and (phone_normalize(params["From"]) or params["From"])
    sent_matches = _date_sent_filter(params)
    with state.lock:
        sids = state.messages_by_account.get(request.path_params["AccountSid"], [])
        messages = [
            message
            for message in map(state.messages.__getitem__, reversed(sids))
            if (not to or message["to"] == to)
            and (not from_ or message["from"] == from_)
            and sent_matches(message["_sent"])
        ]
        return Response(200, page(request, "messages", messages, message_resource))
