"""messaging.twilio.com/v1/a2p/BrandRegistrations, and ``/_emulator/review`` to steer reviews.

A brand needs a submitted (not draft) customer profile and A2P trust product of the caller's
account; one brand per customer profile. It is created PENDING, and after the review delay it is
APPROVED with the emulator's brand score, or FAILED with a reason (see review.py for the
triggers). A FAILED brand is resubmitted by POSTing to it (after fixing the profile's end users).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from twilio_emulator import review
from twilio_emulator.handlers.trusthub import end_user_of_type, owned
from twilio_emulator.router import Request, Response, TwilioError, router
from twilio_emulator.state import new_sid
from twilio_emulator.v1 import MESSAGING_HOST, boolean, iso8601, public, required, v1_page

if TYPE_CHECKING:
    from twilio_emulator.server import Emulator
    from twilio_emulator.state import EmulatorState

BRAND_TYPES = frozenset({"STANDARD", "SOLE_PROPRIETOR"})
SUBMITTED_BUNDLE = frozenset({"pending-review", "in-review", "twilio-approved"})


def brand_resource(brand: dict[str, Any]) -> dict[str, Any]:
    url = f"{MESSAGING_HOST}/v1/a2p/BrandRegistrations/{brand['sid']}"
    return {
        **public(brand),
        "date_created": iso8601(brand["_created"]),
        "date_updated": iso8601(brand["_updated"]),
        "url": url,
        "links": {
            "brand_vettings": f"{url}/Vettings",
            "brand_registration_otps": f"{url}/SmsOtp",
        },
    }


def _outcome(state: EmulatorState, brand: dict[str, Any]) -> dict[str, Any]:
    business = end_user_of_type(
        state, brand["customer_profile_bundle_sid"], "customer_profile_business_information"
    )
    profile = end_user_of_type(
        state, brand["a2p_profile_bundle_sid"], "us_a2p_messaging_profile_information"
    )
    return review.brand_outcome(state, business, profile)


@router.route("POST", "/v1/a2p/BrandRegistrations")
def brand_create(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    profile_sid = required(request, "CustomerProfileBundleSid")
    a2p_sid = required(request, "A2PProfileBundleSid")
    brand_type = (request.param("BrandType") or "STANDARD").upper()
    if brand_type not in BRAND_TYPES:
        raise TwilioError(400, 20001, f"Invalid BrandType {brand_type}")
    mock = bool(boolean(request, "Mock", False))
    skip_vetting = bool(boolean(request, "SkipAutomaticSecVet", False))
    with state.lock:
        for sid, kind in ((profile_sid, "customer_profile"), (a2p_sid, "trust_product")):
            bundle = state.registry["bundles"].get(sid)
            if bundle is None or bundle["account_sid"] != request.account_sid:
                raise TwilioError(400, 20001, f"Bundle {sid} not found in this account")
            review.settle(bundle)
            if bundle["_kind"] != kind:
                raise TwilioError(400, 20001, f"Bundle {sid} is not a {kind.replace('_', ' ')}")
            if bundle["status"] not in SUBMITTED_BUNDLE:
                raise TwilioError(
                    400, 20001, f"Bundle {sid} is {bundle['status']}; submit it for review first"
                )
        for other in state.registry["brands"].values():
            if other["customer_profile_bundle_sid"] == profile_sid:
                raise TwilioError(
                    409,
                    20409,
                    f"Brand {other['sid']} is already registered for customer profile "
                    f"{profile_sid}",
                )
        now = time.time()
        brand = {
            "sid": new_sid("BN"),
            "account_sid": request.account_sid,
            "customer_profile_bundle_sid": profile_sid,
            "a2p_profile_bundle_sid": a2p_sid,
            "brand_type": brand_type,
            "status": "PENDING",
            "tcr_id": None,
            "failure_reason": None,
            "errors": [],
            "brand_score": None,
            "brand_feedback": None,
            "identity_status": None,
            "russell_3000": False,
            "government_entity": False,
            "tax_exempt_status": None,
            "skip_automatic_sec_vet": skip_vetting,
            "mock": mock,
            "_created": now,
            "_updated": now,
            "_review_due": None,
            "_review_result": None,
        }
        review.schedule(state, brand, _outcome(state, brand))
        state.registry["brands"][brand["sid"]] = brand
        body = brand_resource(brand)
    state.changed()
    return Response(201, body)


def _brand_for(emulator: Emulator, request: Request) -> dict[str, Any]:
    brand = owned(emulator.state, "brands", request.path_params["Sid"], request)
    if review.settle(brand):
        emulator.state.changed()
    return brand


@router.route("GET", "/v1/a2p/BrandRegistrations/{Sid}")
def brand_fetch(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        return Response(200, brand_resource(_brand_for(emulator, request)))


@router.route("POST", "/v1/a2p/BrandRegistrations/{Sid}")
def brand_resubmit(emulator: Emulator, request: Request) -> Response:
    """Twilio's "update": resubmits a FAILED brand with its bundles' current information."""
    state = emulator.state
    with state.lock:
        brand = _brand_for(emulator, request)
        if brand["status"] != "FAILED":
            raise TwilioError(
                400, 20001, f"Only a FAILED brand can be resubmitted; this one is {brand['status']}"
            )
        brand.update(
            {"status": "PENDING", "failure_reason": None, "errors": [], "_updated": time.time()}
        )
        review.schedule(state, brand, _outcome(state, brand))
        body = brand_resource(brand)
    state.changed()
    return Response(202, body)


@router.route("GET", "/v1/a2p/BrandRegistrations")
def brand_list(emulator: Emulator, request: Request) -> Response:
    state = emulator.state
    with state.lock:
        brands = []
        for brand in state.registry["brands"].values():
            if brand["account_sid"] == request.account_sid:
                review.settle(brand)
                brands.append(brand)
        url = f"{MESSAGING_HOST}/v1/a2p/BrandRegistrations"
        return Response(200, v1_page(request, "data", brands, brand_resource, url=url))


# -- control --


def _review_settings(state: EmulatorState) -> dict[str, Any]:
    pending = sum(
        1 for records in state.registry.values() for r in records.values() if review.pending(r)
    )
    return {
        "review_delay": state.review_delay,
        "brand_score": state.brand_score,
        "pending": pending,
    }


@router.route("GET", "/_emulator/review", twilio_auth=False)
def review_settings(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        return Response(200, _review_settings(emulator.state))


@router.route("POST", "/_emulator/review", twilio_auth=False)
def review_control(emulator: Emulator, request: Request) -> Response:
    """Delay (seconds), BrandScore (1-100) for later reviews; Complete=true ends every pending
    review now, with the outcome decided at submission."""
    state = emulator.state
    try:
        delay = float(request.param("Delay")) if request.param("Delay") else None
        score = int(request.param("BrandScore")) if request.param("BrandScore") else None
    except ValueError as error:
        raise TwilioError(400, 20001, "Delay must be a number and BrandScore an integer") from error
    if delay is not None and delay < 0:
        raise TwilioError(400, 20001, "Delay must be 0 or more")
    if score is not None and not 1 <= score <= 100:
        raise TwilioError(400, 20001, "BrandScore must be between 1 and 100")
    completed = 0
    with state.lock:
        if delay is not None:
            state.review_delay = delay
        if score is not None:
            state.brand_score = score
        if boolean(request, "Complete", False):
            for records in state.registry.values():
                for record in records.values():
                    completed += review.settle(record, force=True)
        body = {**_review_settings(state), "completed": completed}
    state.changed()
    return Response(200, body)
