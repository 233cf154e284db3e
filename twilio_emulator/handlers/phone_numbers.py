"""/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local and
/IncomingPhoneNumbers: search local numbers and buy them.

The emulator's inventory: for a US area code NPA, the fictional numbers +1 NPA 555-0100 to
555-0199 that nobody owns yet (their last four digits hit none of the destination rules). Those
ending in 0199 are voice-only (no SMS) so a search can filter on SmsEnabled. Any other free +1
number can be bought by PhoneNumber too; an owned one answers 21422.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from twilio_emulator.resources import API_VERSION, page, rfc2822
from twilio_emulator.router import Request, Response, TwilioError, not_found_error, router
from twilio_emulator.rules import phone_normalize
from twilio_emulator.state import EmulatorState, new_sid
from twilio_emulator.v1 import boolean

if TYPE_CHECKING:
    from twilio_emulator.server import Emulator

AREA_CODE = re.compile(r"^[2-9]\d{2}$")
VOICE_ONLY_SUFFIX = "0199"
# Searches without an AreaCode look in these.
DEFAULT_AREA_CODES = ("415", "212", "512")

INCOMING_FIELDS = (
    "account_sid",
    "address_sid",
    "address_requirements",
    "api_version",
    "beta",
    "capabilities",
    "friendly_name",
    "identity_sid",
    "phone_number",
    "origin",
    "sid",
    "sms_application_sid",
    "sms_fallback_method",
    "sms_fallback_url",
    "sms_method",
    "sms_url",
    "status_callback",
    "status_callback_method",
    "trunk_sid",
    "voice_receive_mode",
    "voice_application_sid",
    "voice_caller_id_lookup",
    "voice_fallback_method",
    "voice_fallback_url",
    "voice_method",
    "voice_url",
    "emergency_status",
    "emergency_address_sid",
    "emergency_address_status",
    "bundle_sid",
    "status",
    "type",
)
# Form parameter -> field, for create and update.
INCOMING_PARAMS = {
    "FriendlyName": "friendly_name",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsFallbackMethod": "sms_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "AddressSid": "address_sid",
    "BundleSid": "bundle_sid",
}


def friendly(phone: str) -> str:
    """Twilio's friendly name of a +1 number: ``(415) 555-0100``."""
    digits = phone[2:]
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if phone.startswith("+1") else phone


def capabilities_of(phone: str) -> dict[str, bool]:
    sms = not phone.endswith(VOICE_ONLY_SUFFIX)
    return {"fax": False, "mms": sms, "sms": sms, "voice": True}


def _owned_phones(state: EmulatorState) -> set[str]:
    return {number["phone_number"] for number in state.numbers.values()}


def _inventory(state: EmulatorState, area_code: str) -> list[str]:
    owned = _owned_phones(state)
    phones = (f"+1{area_code}55501{suffix:02d}" for suffix in range(100))
    return [phone for phone in phones if phone not in owned]


# Letters in a Contains pattern stand for their key on a phone's keypad.
_KEYPAD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "22233344455566677778889999")


def contains_regex(pattern: str) -> re.Pattern[str]:
    """Twilio's Contains pattern, matched against a number's digits (without the +): ``*`` is
    one digit, ``%`` any run of digits, a leading ``+`` anchors at the start, a trailing ``$``
    at the end, and letters are keypad digits."""
    regex = "".join(
        r"\d" if char == "*" else r"\d*" if char == "%" else re.escape(char)
        for char in pattern.upper().translate(_KEYPAD).strip("+$")
    )
    return re.compile(
        ("^" if pattern.startswith("+") else "") + regex + ("$" if pattern.endswith("$") else "")
    )


def available_resource(phone: str) -> dict[str, Any]:
    return {
        "friendly_name": friendly(phone),
        "phone_number": phone,
        "lata": None,
        "locality": None,
        "rate_center": None,
        "latitude": None,
        "longitude": None,
        "region": None,
        "postal_code": None,
        "iso_country": "US",
        "address_requirements": "none",
        "beta": False,
        "capabilities": capabilities_of(phone),
    }


@router.route(
    "GET", "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json"
)
def available_local(emulator: Emulator, request: Request) -> Response:
    country = request.path_params["CountryCode"].upper()
    if country not in ("US", "CA"):
        raise not_found_error(request.path)
    params = request.params()
    area_code = params.get("AreaCode")
    if area_code is not None and not AREA_CODE.match(area_code):
        raise TwilioError(400, 20001, f"Invalid AreaCode: {area_code}")
    # The contract has checked Contains (contract_rules.contains_pattern).
    pattern = contains_regex(params["Contains"]) if params.get("Contains") else None
    sms_only = boolean(request, "SmsEnabled", False)
    try:
        page_size = min(max(int(params.get("PageSize", 50)), 1), 1000)
    except ValueError as error:
        raise TwilioError(400, 20001, "Invalid PageSize") from error
    phones: list[str] = []
    if country == "US":
        with emulator.state.lock:
            for code in (area_code,) if area_code else DEFAULT_AREA_CODES:
                phones.extend(_inventory(emulator.state, code))
    phones = [
        phone
        for phone in phones
        if (pattern is None or pattern.search(phone[1:]))
        and (not sms_only or capabilities_of(phone)["sms"])
    ][:page_size]
    uri = f"{request.path}?{urlencode({**params, 'PageSize': page_size})}"
    return Response(
        200,
        {
            "available_phone_numbers": [available_resource(phone) for phone in phones],
            "uri": uri,
            "first_page_uri": uri,
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": page_size,
            "start": 0,
            "end": max(len(phones) - 1, 0),
        },
    )


def incoming_resource(number: dict[str, Any]) -> dict[str, Any]:
    """An IncomingPhoneNumber in the spec's fields (numbers registered through the control
    endpoint lack some; they are null here)."""
    body = {field: number.get(field) for field in INCOMING_FIELDS}
    body.update(
        {
            "date_created": rfc2822(number["_created"]),
            "date_updated": rfc2822(number["_updated"]),
            "uri": f"/{API_VERSION}/Accounts/{number['account_sid']}/IncomingPhoneNumbers/"
            f"{number['sid']}.json",
        }
    )
    return body


def _apply_params(number: dict[str, Any], request: Request) -> None:
    for param, field in INCOMING_PARAMS.items():
        value = request.param(param)
        if value is not None:
            if field.endswith("_method") and value.upper() not in ("GET", "POST"):
                raise TwilioError(400, 20001, f"Invalid {param}: {value}")
            number[field] = value.upper() if field.endswith("_method") else value


@router.route("POST", "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json")
def incoming_create(emulator: Emulator, request: Request) -> Response:
    """Buy a number: PhoneNumber (E.164), or AreaCode for the first free one there."""
    state = emulator.state
    raw = request.param("PhoneNumber")
    area_code = request.param("AreaCode")
    if not raw and not area_code:
        raise TwilioError(400, 20001, "Either PhoneNumber or AreaCode is required")
    with state.lock:
        if raw:
            phone = phone_normalize(raw)
            if phone is None or not phone.startswith("+1") or phone in _owned_phones(state):
                raise TwilioError(400, 21422, f"PhoneNumber {raw} requested is not available")
        else:
            if not AREA_CODE.match(area_code or ""):
                raise TwilioError(400, 20001, f"Invalid AreaCode: {area_code}")
            free = _inventory(state, area_code or "")
            if not free:
                raise TwilioError(400, 21422, f"No phone numbers available in {area_code}")
            phone = free[0]
        now = time.time()
        number: dict[str, Any] = {
            "sid": new_sid("PN"),
            "account_sid": request.path_params["AccountSid"],
            "address_sid": None,
            "address_requirements": "none",
            "api_version": API_VERSION,
            "beta": False,
            "capabilities": capabilities_of(phone),
            "friendly_name": friendly(phone),
            "identity_sid": None,
            "phone_number": phone,
            "origin": "twilio",
            "sms_application_sid": "",
            "sms_fallback_method": "POST",
            "sms_fallback_url": "",
            "sms_method": "POST",
            "sms_url": "",
            "status_callback": "",
            "status_callback_method": "POST",
            "trunk_sid": None,
            "voice_receive_mode": "voice",
            "voice_application_sid": None,
            "voice_caller_id_lookup": False,
            "voice_fallback_method": "POST",
            "voice_fallback_url": None,
            "voice_method": "POST",
            "voice_url": None,
            "emergency_status": "Inactive",
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "bundle_sid": None,
            "status": "in-use",
            "type": "local",
            # Not an IncomingPhoneNumber field: the Messaging Service the number belongs to.
            "messaging_service_sid": None,
            "_created": now,
            "_updated": now,
        }
        _apply_params(number, request)
        state.numbers[number["sid"]] = number
        body = incoming_resource(number)
    state.changed()
    return Response(201, body)


def _incoming_for(emulator: Emulator, request: Request) -> dict[str, Any]:
    number = emulator.state.numbers.get(request.path_params["Sid"])
    if number is None or number["account_sid"] != request.path_params["AccountSid"]:
        raise not_found_error(request.path)
    return number


@router.route("GET", "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json")
def incoming_fetch(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        return Response(200, incoming_resource(_incoming_for(emulator, request)))


@router.route("POST", "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json")
def incoming_update(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        number = _incoming_for(emulator, request)
        _apply_params(number, request)
        number["_updated"] = time.time()
        body = incoming_resource(number)
    emulator.state.changed()
    return Response(200, body)


@router.route("GET", "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json")
def incoming_list(emulator: Emulator, request: Request) -> Response:
    """Oldest first; PhoneNumber matches any part of the number, FriendlyName exactly."""
    params = request.params()
    wanted = re.sub(r"[^\d]", "", params.get("PhoneNumber", ""))
    with emulator.state.lock:
        numbers = [
            number
            for number in emulator.state.numbers.values()
            if number["account_sid"] == request.path_params["AccountSid"]
            and (not wanted or wanted in number["phone_number"])
            and params.get("FriendlyName") in (None, number["friendly_name"])
        ]
        return Response(200, page(request, "incoming_phone_numbers", numbers, incoming_resource))
