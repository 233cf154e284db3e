"""trusthub.twilio.com/v1: Customer Profiles and Trust Products (both "bundles"), their entity
assignments and evaluations, End Users and Supporting Documents.

Resources belong to the account whose credentials created them and are visible only to it.
A bundle is submitted by updating its Status to ``pending-review``; that needs a compliant
evaluation against its policy (below), and Twilio's review approves it after the review delay.
"""

from __future__ import annotations

import functools
import json
import time
from typing import TYPE_CHECKING, Any

from twilio_emulator import review
from twilio_emulator.router import Request, Response, TwilioError, not_found_error, router
from twilio_emulator.state import new_sid
from twilio_emulator.v1 import TRUSTHUB_HOST, iso8601, public, required, v1_page

if TYPE_CHECKING:
    from twilio_emulator.server import Emulator
    from twilio_emulator.state import EmulatorState

# Twilio's policies for an ISV's secondary customer profile and the A2P messaging profile.
SECONDARY_CUSTOMER_PROFILE_POLICY = "RNdfbf3fae0e1107f8aded0e7cead80bf5"
A2P_MESSAGING_PROFILE_POLICY = "RNb0d4771c2c98518d916a3d4cd70a8f8b"

# What each policy requires: end-user types (with their required attributes), supporting
# document types, and whether a customer profile must be assigned (trust products).
POLICIES: dict[str, dict[str, Any]] = {
    SECONDARY_CUSTOMER_PROFILE_POLICY: {
        "friendly_name": "Secondary Customer Profile of type Business",
        "kind": "customer_profile",
        "end_users": {
            "customer_profile_business_information": (
                "business_name",
                "business_identity",
                "business_type",
                "business_industry",
                "business_registration_identifier",
                "business_registration_number",
                "business_regions_of_operation",
                "website_url",
            ),
            "authorized_representative_1": (
                "first_name",
                "last_name",
                "email",
                "phone_number",
                "business_title",
                "job_position",
            ),
        },
        "documents": ("customer_profile_address",),
        "customer_profile": False,
    },
    A2P_MESSAGING_PROFILE_POLICY: {
        "friendly_name": "A2P Messaging Profile",
        "kind": "trust_product",
        "end_users": {"us_a2p_messaging_profile_information": ("company_type",)},
        "documents": (),
        "customer_profile": True,
    },
}

END_USER_TYPES = frozenset(
    {
        "customer_profile_business_information",
        "authorized_representative_1",
        "authorized_representative_2",
        "us_a2p_messaging_profile_information",
        "individual",
        "business",
    }
)
DOCUMENT_TYPES = frozenset({"customer_profile_address", "business_registration"})
SUBMITTABLE_FROM = frozenset({"draft", "twilio-rejected"})

KINDS = {
    # kind -> (URL collection, path parameter of sub-resources, prefix of link names)
    "customer_profile": ("CustomerProfiles", "CustomerProfileSid", "customer_profiles"),
    "trust_product": ("TrustProducts", "TrustProductSid", "trust_products"),
}


def owned(state: EmulatorState, collection: str, sid: str, request: Request) -> dict[str, Any]:
    """A registration record of the caller's account, else Twilio's 404. Caller holds the lock."""
    record = state.registry[collection].get(sid)
    if record is None or record["account_sid"] != request.account_sid:
        raise not_found_error(request.path)
    return record


def _attributes(request: Request) -> dict[str, Any] | None:
    raw = request.param("Attributes")
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise TwilioError(400, 20001, "Attributes must be a JSON object") from error
    if not isinstance(value, dict):
        raise TwilioError(400, 20001, "Attributes must be a JSON object")
    return value


# -- bundles --


def _bundle_url(bundle: dict[str, Any]) -> str:
    return f"{TRUSTHUB_HOST}/v1/{KINDS[bundle['_kind']][0]}/{bundle['sid']}"


def bundle_resource(bundle: dict[str, Any]) -> dict[str, Any]:
    url = _bundle_url(bundle)
    prefix = KINDS[bundle["_kind"]][2]
    return {
        **public(bundle),
        "valid_until": iso8601(bundle["_valid_until"]),
        "date_created": iso8601(bundle["_created"]),
        "date_updated": iso8601(bundle["_updated"]),
        "url": url,
        "links": {
            f"{prefix}_entity_assignments": f"{url}/EntityAssignments",
            f"{prefix}_evaluations": f"{url}/Evaluations",
            f"{prefix}_channel_endpoint_assignment": f"{url}/ChannelEndpointAssignments",
        },
    }


def assigned_objects(state: EmulatorState, bundle_sid: str) -> list[dict[str, Any]]:
    """The end users, documents and bundles assigned to a bundle. Caller holds the lock."""
    objects = []
    for assignment in state.registry["assignments"].values():
        if assignment["_bundle_sid"] != bundle_sid:
            continue
        sid = assignment["object_sid"]
        for collection in ("end_users", "documents", "bundles"):
            record = state.registry[collection].get(sid)
            if record is not None:
                objects.append(record)
    return objects


def end_user_of_type(state: EmulatorState, bundle_sid: str, end_user_type: str) -> dict[str, Any]:
    """The attributes of the bundle's end user of this type ({} when there is none)."""
    for record in assigned_objects(state, bundle_sid):
        if record["sid"].startswith("IT") and record["type"] == end_user_type:
            return record["attributes"] or {}
    return {}


def evaluate(state: EmulatorState, bundle: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(compliant | noncompliant, results) of a bundle against its policy."""
    policy = POLICIES[bundle["policy_sid"]]
    objects = assigned_objects(state, bundle["sid"])
    results = []
    for end_user_type, attributes in policy["end_users"].items():
        found = [o for o in objects if o["sid"].startswith("IT") and o["type"] == end_user_type]
        values = (found[0]["attributes"] or {}) if found else {}
        missing = [name for name in attributes if values.get(name) in (None, "", [])]
        if found and values.get("company_type") == "public":
            missing += [n for n in ("stock_exchange", "stock_ticker") if not values.get(n)]
        results.append(_result(end_user_type, "end_user", found, missing))
    for document_type in policy["documents"]:
        found = [o for o in objects if o["sid"].startswith("RD") and o["type"] == document_type]
        missing = []
        if found:
            addresses = (found[0]["attributes"] or {}).get("address_sids") or []
            if isinstance(addresses, str):
                addresses = [addresses]
            if not any(sid in state.registry["addresses"] for sid in addresses):
                missing = ["address_sids"]
        results.append(_result(document_type, "supporting_document", found, missing))
    if policy["customer_profile"]:
        found = [o for o in objects if o["sid"].startswith("BU")]
        results.append(_result("customer_profile", "customer_profile", found, []))
    compliant = all(result["passed"] for result in results)
    return ("compliant" if compliant else "noncompliant"), results


def _result(name: str, object_type: str, found: list, missing: list[str]) -> dict[str, Any]:
    if not found:
        reason = f"{name} is required but none is assigned"
    elif missing:
        reason = f"{name} is missing {', '.join(missing)}"
    else:
        reason = None
    return {
        "requirement_name": name,
        "requirement_friendly_name": name.replace("_", " ").capitalize(),
        "object_type": object_type,
        "passed": reason is None,
        "failure_reason": reason,
        "error_code": None,
        "invalid": [{"friendly_name": field, "object_field": field} for field in missing],
        "valid": [],
    }


def _bundle_create(emulator: Emulator, request: Request, kind: str) -> Response:
    state = emulator.state
    friendly_name = required(request, "FriendlyName")
    email = required(request, "Email")
    policy_sid = required(request, "PolicySid")
    policy = POLICIES.get(policy_sid)
    if policy is None or policy["kind"] != kind:
        raise TwilioError(400, 20001, f"Invalid PolicySid {policy_sid} for this resource")
    now = time.time()
    bundle = {
        "sid": new_sid("BU"),
        "account_sid": request.account_sid,
        "policy_sid": policy_sid,
        "friendly_name": friendly_name,
        "status": "draft",
        "email": email,
        "status_callback": request.param("StatusCallback"),
        "errors": None,
        "_kind": kind,
        "_valid_until": None,
        "_created": now,
        "_updated": now,
        "_review_due": None,
        "_review_result": None,
    }
    with state.lock:
        state.registry["bundles"][bundle["sid"]] = bundle
        body = bundle_resource(bundle)
    state.changed()
    return Response(201, body)


def _bundle_for(emulator: Emulator, request: Request, kind: str, param: str) -> dict[str, Any]:
    bundle = owned(emulator.state, "bundles", request.path_params[param], request)
    if bundle["_kind"] != kind:
        raise not_found_error(request.path)
    if review.settle(bundle):
        emulator.state.changed()
    return bundle


def _bundle_fetch(emulator: Emulator, request: Request, kind: str) -> Response:
    with emulator.state.lock:
        return Response(200, bundle_resource(_bundle_for(emulator, request, kind, "Sid")))


def _bundle_list(emulator: Emulator, request: Request, kind: str) -> Response:
    state = emulator.state
    params = request.params()
    with state.lock:
        bundles = []
        for bundle in state.registry["bundles"].values():
            if bundle["account_sid"] != request.account_sid or bundle["_kind"] != kind:
                continue
            review.settle(bundle)
            if params.get("Status") in (None, bundle["status"]) and params.get("PolicySid") in (
                None,
                bundle["policy_sid"],
            ):
                bundles.append(bundle)
        url = f"{TRUSTHUB_HOST}/v1/{KINDS[kind][0]}"
        return Response(200, v1_page(request, "results", bundles, bundle_resource, url=url))


def _bundle_update(emulator: Emulator, request: Request, kind: str) -> Response:
    state = emulator.state
    with state.lock:
        bundle = _bundle_for(emulator, request, kind, "Sid")
        status = request.param("Status")
        if status is not None and status != bundle["status"]:
            if status != "pending-review":
                raise TwilioError(400, 20001, f"Status can only be set to pending-review: {status}")
            if bundle["status"] not in SUBMITTABLE_FROM:
                raise TwilioError(
                    400, 20001, f"A bundle in status {bundle['status']} cannot be submitted"
                )
            compliance, results = evaluate(state, bundle)
            if compliance != "compliant":
                failures = "; ".join(r["failure_reason"] for r in results if not r["passed"])
                raise TwilioError(400, 20001, f"The bundle is not compliant: {failures}")
            bundle["status"] = "pending-review"
            bundle["errors"] = None
            review.schedule(state, bundle, review.bundle_outcome())
        for param, field in (
            ("FriendlyName", "friendly_name"),
            ("Email", "email"),
            ("StatusCallback", "status_callback"),
        ):
            if request.param(param) is not None:
                bundle[field] = request.param(param)
        bundle["_updated"] = time.time()
        body = bundle_resource(bundle)
    state.changed()
    return Response(200, body)


def _assignment_resource(assignment: dict[str, Any], kind: str) -> dict[str, Any]:
    collection, _, _ = KINDS[kind]
    return {
        "sid": assignment["sid"],
        f"{kind}_sid": assignment["_bundle_sid"],
        "account_sid": assignment["account_sid"],
        "object_sid": assignment["object_sid"],
        "date_created": iso8601(assignment["_created"]),
        "url": f"{TRUSTHUB_HOST}/v1/{collection}/{assignment['_bundle_sid']}/EntityAssignments/"
        f"{assignment['sid']}",
    }


def _assignment_create(emulator: Emulator, request: Request, kind: str) -> Response:
    state = emulator.state
    object_sid = required(request, "ObjectSid")
    with state.lock:
        bundle = _bundle_for(emulator, request, kind, KINDS[kind][1])
        collection = {"IT": "end_users", "RD": "documents", "BU": "bundles"}.get(object_sid[:2])
        target = state.registry[collection].get(object_sid) if collection else None
        if target is None or target["account_sid"] != request.account_sid:
            raise TwilioError(400, 20001, f"ObjectSid {object_sid} is not a resource of yours")
        if target["sid"] == bundle["sid"]:
            raise TwilioError(400, 20001, "A bundle cannot be assigned to itself")
        for assignment in state.registry["assignments"].values():
            if (
                assignment["_bundle_sid"] == bundle["sid"]
                and assignment["object_sid"] == object_sid
            ):
                raise TwilioError(400, 20001, f"{object_sid} is already assigned to this bundle")
        assignment = {
            "sid": new_sid("BV"),
            "account_sid": request.account_sid,
            "object_sid": object_sid,
            "_bundle_sid": bundle["sid"],
            "_created": time.time(),
        }
        state.registry["assignments"][assignment["sid"]] = assignment
        body = _assignment_resource(assignment, kind)
    state.changed()
    return Response(201, body)


def _assignment_list(emulator: Emulator, request: Request, kind: str) -> Response:
    state = emulator.state
    with state.lock:
        bundle = _bundle_for(emulator, request, kind, KINDS[kind][1])
        assignments = [
            a for a in state.registry["assignments"].values() if a["_bundle_sid"] == bundle["sid"]
        ]
        url = f"{_bundle_url(bundle)}/EntityAssignments"
        render = functools.partial(_assignment_resource, kind=kind)
        return Response(200, v1_page(request, "results", assignments, render, url=url))


def _evaluation_create(emulator: Emulator, request: Request, kind: str) -> Response:
    state = emulator.state
    policy_sid = required(request, "PolicySid")
    with state.lock:
        bundle = _bundle_for(emulator, request, kind, KINDS[kind][1])
        if policy_sid != bundle["policy_sid"]:
            raise TwilioError(400, 20001, f"PolicySid {policy_sid} is not this bundle's policy")
        status, results = evaluate(state, bundle)
        sid = new_sid("EL")
        body = {
            "sid": sid,
            "account_sid": request.account_sid,
            "policy_sid": policy_sid,
            f"{kind}_sid": bundle["sid"],
            "status": status,
            "results": results,
            "date_created": iso8601(time.time()),
            "url": f"{_bundle_url(bundle)}/Evaluations/{sid}",
        }
    return Response(201, body)


def _register_bundle_routes(kind: str) -> None:
    collection, parent_param, _ = KINDS[kind]
    base = f"/v1/{collection}"
    router.route("POST", base)(lambda e, r: _bundle_create(e, r, kind))
    router.route("GET", base)(lambda e, r: _bundle_list(e, r, kind))
    router.route("GET", base + "/{Sid}")(lambda e, r: _bundle_fetch(e, r, kind))
    router.route("POST", base + "/{Sid}")(lambda e, r: _bundle_update(e, r, kind))
    sub = f"{base}/{{{parent_param}}}"
    router.route("POST", sub + "/EntityAssignments")(lambda e, r: _assignment_create(e, r, kind))
    router.route("GET", sub + "/EntityAssignments")(lambda e, r: _assignment_list(e, r, kind))
    router.route("POST", sub + "/Evaluations")(lambda e, r: _evaluation_create(e, r, kind))


_register_bundle_routes("customer_profile")
_register_bundle_routes("trust_product")


# -- end users and supporting documents --


def _item_resource(record: dict[str, Any], collection_path: str) -> dict[str, Any]:
    return {
        **public(record),
        "date_created": iso8601(record["_created"]),
        "date_updated": iso8601(record["_updated"]),
        "url": f"{TRUSTHUB_HOST}/v1/{collection_path}/{record['sid']}",
    }


def end_user_resource(record: dict[str, Any]) -> dict[str, Any]:
    return _item_resource(record, "EndUsers")


def document_resource(record: dict[str, Any]) -> dict[str, Any]:
    return _item_resource(record, "SupportingDocuments")


@router.route("POST", "/v1/EndUsers")
def end_user_create(emulator: Emulator, request: Request) -> Response:
    friendly_name = required(request, "FriendlyName")
    end_user_type = required(request, "Type")
    if end_user_type not in END_USER_TYPES:
        raise TwilioError(400, 20001, f"Invalid end user Type {end_user_type}")
    now = time.time()
    record = {
        "sid": new_sid("IT"),
        "account_sid": request.account_sid,
        "friendly_name": friendly_name,
        "type": end_user_type,
        "attributes": _attributes(request) or {},
        "_created": now,
        "_updated": now,
    }
    with emulator.state.lock:
        emulator.state.registry["end_users"][record["sid"]] = record
        body = end_user_resource(record)
    emulator.state.changed()
    return Response(201, body)


@router.route("GET", "/v1/EndUsers/{Sid}")
def end_user_fetch(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        record = owned(emulator.state, "end_users", request.path_params["Sid"], request)
        return Response(200, end_user_resource(record))


@router.route("POST", "/v1/EndUsers/{Sid}")
def end_user_update(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        record = owned(emulator.state, "end_users", request.path_params["Sid"], request)
        attributes = _attributes(request)
        if attributes is not None:
            record["attributes"] = attributes
        if request.param("FriendlyName") is not None:
            record["friendly_name"] = request.param("FriendlyName")
        record["_updated"] = time.time()
        body = end_user_resource(record)
    emulator.state.changed()
    return Response(200, body)


@router.route("POST", "/v1/SupportingDocuments")
def document_create(emulator: Emulator, request: Request) -> Response:
    friendly_name = required(request, "FriendlyName")
    document_type = required(request, "Type")
    if document_type not in DOCUMENT_TYPES:
        raise TwilioError(400, 20001, f"Invalid supporting document Type {document_type}")
    now = time.time()
    record = {
        "sid": new_sid("RD"),
        "account_sid": request.account_sid,
        "friendly_name": friendly_name,
        "mime_type": None,
        "status": "DRAFT",
        "type": document_type,
        "attributes": _attributes(request) or {},
        "_created": now,
        "_updated": now,
    }
    with emulator.state.lock:
        emulator.state.registry["documents"][record["sid"]] = record
        body = document_resource(record)
    emulator.state.changed()
    return Response(201, body)


@router.route("GET", "/v1/SupportingDocuments/{Sid}")
def document_fetch(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        record = owned(emulator.state, "documents", request.path_params["Sid"], request)
        return Response(200, document_resource(record))


@router.route("POST", "/v1/SupportingDocuments/{Sid}")
def document_update(emulator: Emulator, request: Request) -> Response:
    with emulator.state.lock:
        record = owned(emulator.state, "documents", request.path_params["Sid"], request)
        attributes = _attributes(request)
        if attributes is not None:
            record["attributes"] = attributes
        if request.param("FriendlyName") is not None:
            record["friendly_name"] = request.param("FriendlyName")
        record["_updated"] = time.time()
        body = document_resource(record)
    emulator.state.changed()
    return Response(200, body)
