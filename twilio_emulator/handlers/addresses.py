"""/2010-04-01/Accounts/{AccountSid}/Addresses: the business address a Trust Hub profile cites."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from twilio_emulator.resources import API_VERSION, page, public, rfc2822
from twilio_emulator.router import Request, Response, TwilioError, not_found_error, router
from twilio_emulator.state import new_sid
from twilio_emulator.v1 import boolean, required

if TYPE_CHECKING:
    from twilio_emulator.server import Emulator

# Form parameter -> field; IsoCountry is fixed at creation, as on Twilio.
UPDATABLE = {
    "FriendlyName": "friendly_name",
    "CustomerName": "customer_name",
    "Street": "street",
    "StreetSecondary": "street_secondary",
    "City": "city",
    "Region": "region",
    "PostalCode": "postal_code",
}


def address_resource(address: dict[str, Any]) -> dict[str, Any]:
    return {
        **public(address),
        "date_created": rfc2822(address["_created"]),
        "date_updated": rfc2822(address["_updated"]),
        "uri": f"/{API_VERSION}/Accounts/{address['account_sid']}/Addresses/{address['sid']}.json",
    }


@router.route("POST", "/2010-04-01/Accounts/{AccountSid}/Addresses.json")
def address_create(emulator: Emulator, request: Request) -> Response:
    values = {
        "customer_name": required(request, "CustomerName"),
        "street": required(request, "Street"),
        "city": required(request, "City"),
        "region": required(request, "Region"),
        "postal_code": required(request, "PostalCode"),
        "iso_country": required(request, "IsoCountry").upper(),
    }
    if len(values["iso_country"]) != 2 or not values["iso_country"].isalpha():
        raise TwilioError(400, 20001, f"Invalid IsoCountry {values['iso_country']}")
    now = time.time()
    address = {
        "sid": new_sid("AD"),
        "account_sid": request.path_params["AccountSid"],
        **values,
        "street_secondary": request.param("StreetSecondary"),
        "friendly_name": request.param("FriendlyName"),
        "emergency_enabled": bool(boolean(request, "EmergencyEnabled", False)),
        "validated": True,
        "verified": False,
        "_created": now,
        "_updated": now,
    }
    with emulator.state.lock:
        emulator.state.registry["addresses"][address["sid"]] = address
        body = address_resource(address)
    emulator.state.changed()
    return Response(201, body)


def _address_for(emulator: Emulator, request: Request) -> dict[str, Any]:
    address = emulator.state.registry["addresses"].get(request.path_params["Sid"])
    if address is None or address["account_sid"] != request.path_params["AccountSid"]:
        raise not_found_error(request.path)
    return address


@router.route("GET", "/2010-04-01/Accounts/{AccountSid}/Addresses/{Sid}.json")
def address_fetch(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        return Response(200, address_resource(_address_for(emulator, request)))


@router.route("POST", "/2010-04-01/Accounts/{AccountSid}/Addresses/{Sid}.json")
def address_update(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        address = _address_for(emulator, request)
        for param, field in UPDATABLE.items():
            if request.param(param) is not None:
                address[field] = request.param(param)
        address["_updated"] = time.time()
        body = address_resource(address)
    emulator.state.changed()
    return Response(200, body)


@router.route("GET", "/2010-04-01/Accounts/{AccountSid}/Addresses.json")
def address_list(emulator: Emulator, request: Request) -> Response:
    params = request.params()
    with emulator.state.lock:
        addresses = [
            address
            for address in emulator.state.registry["addresses"].values()
            if address["account_sid"] == request.path_params["AccountSid"]
            and params.get("CustomerName") in (None, address["customer_name"])
            and params.get("IsoCountry") in (None, address["iso_country"])
        ]
        return Response(200, page(request, "addresses", addresses, address_resource))
