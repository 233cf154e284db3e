"""messaging.twilio.com/v1/Services: Messaging Services, their phone numbers, their Usa2p
campaign (one per service) and the A2P use cases.

The records live in ``state.services`` and ``state.numbers`` (shared with the Messages and
inbound handlers, which read ``inbound_request_url``, ``status_callback``,
``use_inbound_webhook_on_number`` and a number's ``messaging_service_sid``). Campaigns live in
``state.registry["campaigns"]``. A campaign needs an APPROVED brand of the caller's account; it is
created IN_PROGRESS and reviewed after the review delay (VERIFIED, or FAILED with errors).
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Any

from twilio_emulator import review
from twilio_emulator.handlers.trusthub import owned
from twilio_emulator.router import Request, Response, TwilioError, not_found_error, router
from twilio_emulator.state import new_sid
from twilio_emulator.v1 import (
    MESSAGING_HOST,
    boolean,
    iso8601,
    public,
    repeated,
    required,
    v1_page,
)

if TYPE_CHECKING:
    from twilio_emulator.server import Emulator
    from twilio_emulator.state import EmulatorState

# Form parameter -> (field, kind) of a Messaging Service that create and update accept.
SERVICE_PARAMS: dict[str, tuple[str, str]] = {
    "FriendlyName": ("friendly_name", "str"),
    "InboundRequestUrl": ("inbound_request_url", "str"),
    "InboundMethod": ("inbound_method", "method"),
    "FallbackUrl": ("fallback_url", "str"),
    "FallbackMethod": ("fallback_method", "method"),
    "StatusCallback": ("status_callback", "str"),
    "StickySender": ("sticky_sender", "bool"),
    "MmsConverter": ("mms_converter", "bool"),
    "SmartEncoding": ("smart_encoding", "bool"),
    "ScanMessageContent": ("scan_message_content", "scan"),
    "FallbackToLongCode": ("fallback_to_long_code", "bool"),
    "AreaCodeGeomatch": ("area_code_geomatch", "bool"),
    "ValidityPeriod": ("validity_period", "int"),
    "SynchronousValidation": ("synchronous_validation", "bool"),
    "Usecase": ("usecase", "usecase"),
    "UseInboundWebhookOnNumber": ("use_inbound_webhook_on_number", "bool"),
}
SERVICE_USECASES = (
    ("notifications", "Send notifications", "Alerts, reminders and updates"),
    ("marketing", "Marketing", "Promotions, offers and newsletters"),
    ("verification", "Verification", "One-time passcodes"),
    ("discussion", "Discussion", "Two-way conversations"),
    ("poll", "Poll", "Surveys and votes"),
    ("undeclared", "Undeclared", "Not declared"),
)
A2P_USECASES = (
    ("MARKETING", "Marketing", "Send marketing messages about sales and other offers."),
    ("MIXED", "Mixed", "Mixed messaging reserved for specific consumer service industry"),
    ("CUSTOMER_CARE", "Customer Care", "Support, account management and other interactions."),
    ("ACCOUNT_NOTIFICATION", "Account Notification", "Status notifications to account holders."),
    ("DELIVERY_NOTIFICATION", "Delivery Notification", "Information about a product delivery."),
    ("LOW_VOLUME", "Low Volume Mixed", "Low throughput, any combination of use cases."),
    ("2FA", "Two-Factor authentication (2FA)", "One-time codes for authentication."),
)
A2P_USECASE_CODES = frozenset(code for code, _, _ in A2P_USECASES)
# Per brand score: (AT&T messages per second, AT&T class, T-Mobile brand tier).
RATE_LIMIT_TIERS = ((75, 75, "B", "TOP"), (50, 40, "D", "HIGH_MID"), (25, 4, "F", "LOW_MID"))


# The use-case lists come first: the router tries routes in order, and
# /v1/Services/{Sid} would otherwise take /v1/Services/Usecases.


@router.route("GET", "/v1/Services/{MessagingServiceSid}/Compliance/Usa2p/Usecases")
def a2p_usecases(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        _service_for(emulator, request, "MessagingServiceSid")
        brand_sid = request.param("BrandRegistrationSid")
        if brand_sid:
            owned(emulator.state, "brands", brand_sid, request)
    usecases = [
        {"code": code, "name": name, "description": description, "post_approval_required": False}
        for code, name, description in A2P_USECASES
    ]
    return Response(200, {"us_app_to_person_usecases": usecases})


@router.route("GET", "/v1/Services/Usecases")
def service_usecases(emulator: Emulator, request: Request) -> Response:
    usecases = [
        {"usecase": code, "description": description, "purpose": purpose}
        for code, description, purpose in SERVICE_USECASES
    ]
    return Response(200, {"usecases": usecases})


def _service_url(service_sid: str) -> str:
    return f"{MESSAGING_HOST}/v1/Services/{service_sid}"


def service_resource(state: EmulatorState, service: dict[str, Any]) -> dict[str, Any]:
    url = _service_url(service["sid"])
    registered = any(
        campaign["messaging_service_sid"] == service["sid"]
        and campaign["campaign_status"] == "VERIFIED"
        for campaign in state.registry["campaigns"].values()
    )
    return {
        **public(service),
        "date_created": iso8601(service["_created"]),
        "date_updated": iso8601(service["_updated"]),
        "url": url,
        "us_app_to_person_registered": registered,
        "links": {
            "phone_numbers": f"{url}/PhoneNumbers",
            "short_codes": f"{url}/ShortCodes",
            "alpha_senders": f"{url}/AlphaSenders",
            "us_app_to_person": f"{url}/Compliance/Usa2p",
            "us_app_to_person_usecases": f"{url}/Compliance/Usa2p/Usecases",
            "channel_senders": f"{url}/ChannelSenders",
            "destination_alpha_senders": f"{url}/DestinationAlphaSenders",
        },
    }


def _apply_service_params(service: dict[str, Any], request: Request) -> None:
    for param, (field, kind) in SERVICE_PARAMS.items():
        raw = request.param(param)
        if raw is None:
            continue
        if kind == "bool":
            value: Any = boolean(request, param)
        elif kind == "int":
            try:
                value = int(raw)
            except ValueError as error:
                raise TwilioError(400, 20001, f"Invalid {param}: {raw}") from error
            if not 1 <= value <= 36000:
                raise TwilioError(400, 20001, f"{param} must be between 1 and 36000")
        elif kind == "method":
            value = raw.upper()
            if value not in ("GET", "POST"):
                raise TwilioError(400, 20001, f"Invalid {param}: {raw}")
        elif kind == "scan":
            value = raw
            if value not in ("inherit", "enable", "disable"):
                raise TwilioError(400, 20001, f"Invalid {param}: {raw}")
        elif kind == "usecase":
            value = raw
            if value not in {code for code, _, _ in SERVICE_USECASES}:
                raise TwilioError(400, 20001, f"Invalid {param}: {raw}")
        else:
            value = raw
        if field == "friendly_name" and len(value) > 64:
            raise TwilioError(400, 20001, "FriendlyName can be up to 64 characters long")
        service[field] = value


def _service_for(emulator: Emulator, request: Request, param: str = "Sid") -> dict[str, Any]:
    service = emulator.state.services.get(request.path_params[param])
    if service is None or service["account_sid"] != request.account_sid:
        raise not_found_error(request.path)
    return service


@router.route("POST", "/v1/Services")
def service_create(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    required(request, "FriendlyName")
    now = time.time()
    service: dict[str, Any] = {
        "sid": new_sid("MG"),
        "account_sid": request.account_sid,
        "friendly_name": "",
        "inbound_request_url": None,
        "inbound_method": "POST",
        "fallback_url": None,
        "fallback_method": "POST",
        "status_callback": None,
        "sticky_sender": True,
        "mms_converter": True,
        "smart_encoding": True,
        "scan_message_content": "inherit",
        "fallback_to_long_code": True,
        "area_code_geomatch": True,
        "synchronous_validation": False,
        "validity_period": 36000,
        "usecase": "undeclared",
        "use_inbound_webhook_on_number": False,
        "_created": now,
        "_updated": now,
    }
    _apply_service_params(service, request)
    with state.lock:
        state.services[service["sid"]] = service
        body = service_resource(state, service)
    state.changed()
    return Response(201, body)


@router.route("GET", "/v1/Services")
def service_list(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    with state.lock:
        services = [s for s in state.services.values() if s["account_sid"] == request.account_sid]
        url = f"{MESSAGING_HOST}/v1/Services"
        render = functools.partial(service_resource, state)
        return Response(200, v1_page(request, "services", services, render, url=url))


@router.route("GET", "/v1/Services/{Sid}")
def service_fetch(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    with state.lock:
        _settle_campaigns(state)
        return Response(200, service_resource(state, _service_for(emulator, request)))


@router.route("POST", "/v1/Services/{Sid}")
def service_update(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    with state.lock:
        service = _service_for(emulator, request)
        _apply_service_params(service, request)
        service["_updated"] = time.time()
        body = service_resource(state, service)
    state.changed()
    return Response(200, body)


# -- the service's phone numbers --


def service_number_resource(number: dict[str, Any]) -> dict[str, Any]:
    service_sid = number["messaging_service_sid"]
    capabilities = number.get("capabilities") or {}
    return {
        "sid": number["sid"],
        "account_sid": number["account_sid"],
        "service_sid": service_sid,
        "date_created": iso8601(number.get("_service_added") or number["_created"]),
        "date_updated": iso8601(number["_updated"]),
        "phone_number": number["phone_number"],
        "country_code": "US" if number["phone_number"].startswith("+1") else None,
        "capabilities": [
            label
            for key, label in (("sms", "SMS"), ("mms", "MMS"), ("voice", "Voice"))
            if capabilities.get(key)
        ],
        "url": f"{_service_url(service_sid)}/PhoneNumbers/{number['sid']}",
    }


@router.route("POST", "/v1/Services/{ServiceSid}/PhoneNumbers")
def service_number_add(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    number_sid = required(request, "PhoneNumberSid")
    with state.lock:
        service = _service_for(emulator, request, "ServiceSid")
        number = state.numbers.get(number_sid)
        if number is None or number["account_sid"] != request.account_sid:
            raise TwilioError(400, 20001, f"Phone Number {number_sid} not found in this account")
        current = number.get("messaging_service_sid")
        if current == service["sid"]:
            raise TwilioError(
                409, 21710, "Phone Number or Short Code is already in the Messaging Service."
            )
        if current:
            raise TwilioError(
                409,
                21712,
                "Phone Number or Short Code is associated with another Messaging Service.",
            )
        now = time.time()
        number["messaging_service_sid"] = service["sid"]
        number["_service_added"] = now
        number["_updated"] = now
        body = service_number_resource(number)
    state.changed()
    return Response(201, body)


@router.route("GET", "/v1/Services/{ServiceSid}/PhoneNumbers")
def service_number_list(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    with state.lock:
        service = _service_for(emulator, request, "ServiceSid")
        numbers = [
            n for n in state.numbers.values() if n["messaging_service_sid"] == service["sid"]
        ]
        url = f"{_service_url(service['sid'])}/PhoneNumbers"
        return Response(
            200, v1_page(request, "phone_numbers", numbers, service_number_resource, url=url)
        )


@router.route("GET", "/v1/Services/{ServiceSid}/PhoneNumbers/{Sid}")
def service_number_fetch(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    with state.lock:
        service = _service_for(emulator, request, "ServiceSid")
        number = state.numbers.get(request.path_params["Sid"])
        if number is None or number["messaging_service_sid"] != service["sid"]:
            raise not_found_error(request.path)
        return Response(200, service_number_resource(number))


# -- Usa2p campaigns --


def campaign_resource(campaign: dict[str, Any]) -> dict[str, Any]:
    return {
        **public(campaign),
        "date_created": iso8601(campaign["_created"]),
        "date_updated": iso8601(campaign["_updated"]),
        "url": f"{_service_url(campaign['messaging_service_sid'])}/Compliance/Usa2p/"
        f"{campaign['sid']}",
    }


def _settle_campaigns(state: EmulatorState) -> None:
    changed = False
    for campaign in state.registry["campaigns"].values():
        changed |= review.settle(campaign)
    if changed:
        state.changed()


def _rate_limits(brand_score: int | None) -> dict[str, Any]:
    """Twilio's informational carrier limits for a verified campaign of a brand with this score."""
    tier = next((t for t in RATE_LIMIT_TIERS if (brand_score or 0) >= t[0]), (0, 4, "F", "LOW"))
    _, mps, att_class, tmobile_tier = tier
    return {"att": {"mps": mps, "msg_class": att_class}, "tmobile": {"brand_tier": tmobile_tier}}


def _campaign_content(request: Request) -> dict[str, Any]:
    """The reviewed fields that create and update share (the contract has checked them:
    contract_rules.py holds the lengths and counts the spec describes)."""
    description = required(request, "Description")
    message_flow = required(request, "MessageFlow")
    samples = repeated(request, "MessageSamples")
    links = boolean(request, "HasEmbeddedLinks")
    phone = boolean(request, "HasEmbeddedPhone")
    return {
        "description": description,
        "message_flow": message_flow,
        "message_samples": samples,
        "has_embedded_links": links,
        "has_embedded_phone": phone,
        "age_gated": bool(boolean(request, "AgeGated", False)),
        "direct_lending": bool(boolean(request, "DirectLending", False)),
    }


def _schedule_campaign_review(state: EmulatorState, campaign: dict[str, Any]) -> None:
    brand = state.registry["brands"].get(campaign["brand_registration_sid"]) or {}
    outcome = review.campaign_outcome(campaign["description"])
    if outcome["campaign_status"] == "VERIFIED":
        outcome["rate_limits"] = _rate_limits(brand.get("brand_score"))
    review.schedule(state, campaign, outcome)


@router.route("POST", "/v1/Services/{MessagingServiceSid}/Compliance/Usa2p")
def campaign_create(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    brand_sid = required(request, "BrandRegistrationSid")
    content = _campaign_content(request)
    usecase = required(request, "UsAppToPersonUsecase")
    if usecase not in A2P_USECASE_CODES:
        raise TwilioError(400, 20001, f"Invalid UsAppToPersonUsecase {usecase}")
    messages = {}
    for param, field in (
        ("OptInMessage", "opt_in_message"),
        ("OptOutMessage", "opt_out_message"),
        ("HelpMessage", "help_message"),
    ):
        messages[field] = request.param(param) or None
    with state.lock:
        service = _service_for(emulator, request, "MessagingServiceSid")
        brand = state.registry["brands"].get(brand_sid)
        if brand is None or brand["account_sid"] != request.account_sid:
            raise TwilioError(400, 20001, f"Brand {brand_sid} not found in this account")
        review.settle(brand)
        if brand["status"] != "APPROVED":
            raise TwilioError(
                400, 20001, f"Brand {brand_sid} is {brand['status']}; it must be APPROVED first"
            )
        for other in state.registry["campaigns"].values():
            if other["messaging_service_sid"] == service["sid"]:
                raise TwilioError(
                    409, 20409, f"Messaging Service {service['sid']} already has a campaign"
                )
        now = time.time()
        campaign = {
            "sid": new_sid("QE"),
            "account_sid": request.account_sid,
            "brand_registration_sid": brand_sid,
            "messaging_service_sid": service["sid"],
            **content,
            "us_app_to_person_usecase": usecase,
            "subscriber_opt_in": bool(boolean(request, "SubscriberOptIn", False)),
            "campaign_status": "IN_PROGRESS",
            "campaign_id": None,
            "is_externally_registered": False,
            "rate_limits": None,
            **messages,
            "opt_in_keywords": repeated(request, "OptInKeywords") or None,
            "opt_out_keywords": repeated(request, "OptOutKeywords") or None,
            "help_keywords": repeated(request, "HelpKeywords") or None,
            "mock": bool(brand["mock"]),
            "errors": [],
            "_created": now,
            "_updated": now,
            "_review_due": None,
            "_review_result": None,
        }
        _schedule_campaign_review(state, campaign)
        state.registry["campaigns"][campaign["sid"]] = campaign
        body = campaign_resource(campaign)
    state.changed()
    return Response(201, body)


def _campaign_for(emulator: Emulator, request: Request) -> dict[str, Any]:
    campaign = owned(emulator.state, "campaigns", request.path_params["Sid"], request)
    if campaign["messaging_service_sid"] != request.path_params["MessagingServiceSid"]:
        raise not_found_error(request.path)
    if review.settle(campaign):
        emulator.state.changed()
    return campaign


@router.route("GET", "/v1/Services/{MessagingServiceSid}/Compliance/Usa2p/{Sid}")
def campaign_fetch(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        return Response(200, campaign_resource(_campaign_for(emulator, request)))


@router.route("POST", "/v1/Services/{MessagingServiceSid}/Compliance/Usa2p/{Sid}")
def campaign_update(emulator: Emulator, request: Request) -> Response:
    """Edit a campaign that is not in review; it goes back to review (how a FAILED one is
    resubmitted)."""
    state = emulator.state
    content = _campaign_content(request)
    with state.lock:
        campaign = _campaign_for(emulator, request)
        if campaign["campaign_status"] not in ("FAILED", "VERIFIED"):
            raise TwilioError(
                400, 20001, f"A campaign in status {campaign['campaign_status']} cannot be edited"
            )
        campaign.update(content)
        campaign.update({"campaign_status": "IN_PROGRESS", "errors": [], "_updated": time.time()})
        _schedule_campaign_review(state, campaign)
        body = campaign_resource(campaign)
    state.changed()
    return Response(200, body)


@router.route("GET", "/v1/Services/{MessagingServiceSid}/Compliance/Usa2p")
def campaign_list(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    with state.lock:
        service = _service_for(emulator, request, "MessagingServiceSid")
        _settle_campaigns(state)
        campaigns = [
            c
            for c in state.registry["campaigns"].values()
            if c["messaging_service_sid"] == service["sid"]
        ]
        url = f"{_service_url(service['sid'])}/Compliance/Usa2p"
        return Response(200, v1_page(request, "compliance", campaigns, campaign_resource, url=url))
