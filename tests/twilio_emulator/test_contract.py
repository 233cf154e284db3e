"""The emulator holds the project to Twilio's published contract.

1. The project's own gateway (the twilio_gateway package, the one that imports the twilio
   SDK) is driven through every call it makes, with the values the project builds: the emulator
   accepts all of them, and every parameter sent is one the operation defines.
2. For each of those operations, requests built from the project's accepted one break one
   parameter at a time in a way the spec's request schema forbids (missing when required, wrong
   type, bad format, outside the enum, past a limit, a SID off its pattern): each is refused with
   Twilio's error body. The bad values come from the vendored spec, read here on its own, not
   through the emulator's validator.
3. The known leniencies of the old emulator, and the rules that live only in descriptions, are
   refused by name.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.test import override_settings

from registration.services import brand as brand_services
from registration.services import use_case as use_case_services
from registration.validation import message_flow
from tests.registration.conftest import BUSINESS, USE_CASE
from twilio_emulator.contract import SPEC_DIR
from twilio_emulator.contract_rules import FORMAT_OVERRIDES, RULES
from twilio_emulator.server import EmulatorHandle, start_in_thread
from twilio_gateway import messages as twilio_messages
from twilio_gateway import provisioning as twilio_provisioning
from twilio_gateway.client import Credentials
from twilio_gateway.messages import (
    inbound_url,
    message_fetch,
    message_send,
    messages_list,
    status_callback_url,
)
from twilio_gateway.provisioning import (
    A2P_MESSAGING_PROFILE_POLICY_SID,
    SECONDARY_CUSTOMER_PROFILE_POLICY_SID,
    a2p_usecases,
    address_create,
    address_update,
    available_numbers_search,
    brand_registration_create,
    brand_registration_fetch,
    brand_registration_resubmit,
    brand_registrations_list,
    campaign_create,
    campaign_fetch,
    campaign_update,
    campaigns_list,
    end_user_create,
    end_user_update,
    incoming_number_buy,
    incoming_numbers_list,
    messaging_service_create,
    messaging_service_fetch,
    messaging_service_number_add,
    messaging_service_update,
    subaccount_create,
    supporting_document_create,
    supporting_document_update,
    trust_bundle_assign,
    trust_bundle_assigned,
    trust_bundle_create,
    trust_bundle_evaluate,
    trust_bundle_fetch,
    trust_bundle_submit,
)

SPEC_FILES = ("twilio_api_v2010.json", "twilio_messaging_v1.json", "twilio_trusthub_v1.json")
HANDSET = "+12065550100"

# Every Twilio operation the project calls, as the flow below drives them.
OPERATIONS = (
    "CreateAccount",
    "CreateAddress",
    "UpdateAddress",
    "CreateSupportingDocument",
    "UpdateSupportingDocument",
    "CreateEndUser",
    "UpdateEndUser",
    "CreateCustomerProfile",
    "FetchCustomerProfile",
    "UpdateCustomerProfile",
    "CreateCustomerProfileEntityAssignment",
    "ListCustomerProfileEntityAssignment",
    "CreateCustomerProfileEvaluation",
    "CreateTrustProduct",
    "FetchTrustProduct",
    "UpdateTrustProduct",
    "CreateTrustProductEntityAssignment",
    "ListTrustProductEntityAssignment",
    "CreateTrustProductEvaluation",
    "CreateBrandRegistrations",
    "FetchBrandRegistrations",
    "UpdateBrandRegistrations",
    "ListBrandRegistrations",
    "CreateService",
    "FetchService",
    "UpdateService",
    "ListAvailablePhoneNumberLocal",
    "CreateIncomingPhoneNumber",
    "ListIncomingPhoneNumber",
    "CreatePhoneNumber",
    "FetchUsAppToPersonUsecase",
    "CreateUsAppToPerson",
    "FetchUsAppToPerson",
    "UpdateUsAppToPerson",
    "ListUsAppToPerson",
    "CreateMessage",
    "FetchMessage",
    "ListMessage",
)
# Gateway names that make no Twilio request.
NOT_TWILIO_CALLS = {"inbound_url", "signature_is_valid", "status_callback_url"}


@dataclass
class ProjectRun:
    emulator: EmulatorHandle
    tenant: Credentials
    called: set[str]  # gateway functions driven
    operations: dict[str, dict[str, Any]]  # GET /_emulator/operations

    def auth(self, operation_id: str) -> tuple[str, str]:
        if operation_id == "CreateAccount":
            return (self.emulator.account_sid, self.emulator.auth_token)
        return (self.tenant.account_sid, self.tenant.auth_token)


def _project_calls(calls: Callable[..., Any]) -> Credentials:
    """Every Twilio call of the gateway, with inputs the project's services build."""
    tenant = calls(subaccount_create, friendly_name="Acme Outdoor")
    creds = {"credentials": tenant}
    address = {
        "customer_name": BUSINESS["legal_name"],
        "street": BUSINESS["street"],
        "street_secondary": BUSINESS["street2"],
        "city": BUSINESS["city"],
        "region": BUSINESS["region"],
        "postal_code": BUSINESS["postal_code"],
    }
    address_sid = calls(address_create, **creds, iso_country="US", **address)
    calls(address_update, **creds, sid=address_sid, **address)
    document = calls(
        supporting_document_create,
        **creds,
        friendly_name="Acme Outdoor address",
        type="customer_profile_address",
        attributes={"address_sids": address_sid},
    )
    calls(
        supporting_document_update,
        **creds,
        sid=document,
        attributes={"address_sids": address_sid},
    )
    # A business name with REJECT fails the brand review, so the brand can be resubmitted.
    rejected = {**BUSINESS, "legal_name": "REJECT Acme Outdoor LLC"}
    business = calls(
        end_user_create,
        **creds,
        friendly_name="Acme Outdoor business",
        type="customer_profile_business_information",
        attributes=brand_services._business_attributes(rejected),
    )
    representative = calls(
        end_user_create,
        **creds,
        friendly_name="Alice Admin",
        type="authorized_representative_1",
        attributes=brand_services._representative_attributes(BUSINESS),
    )
    profile_info = calls(
        end_user_create,
        **creds,
        friendly_name="Acme Outdoor messaging profile",
        type="us_a2p_messaging_profile_information",
        attributes=brand_services._messaging_profile_attributes(BUSINESS),
    )
    bundles = {}
    for kind, policy, objects in (
        (
            "customer_profile",
            SECONDARY_CUSTOMER_PROFILE_POLICY_SID,
            [business, representative, document],
        ),
        ("trust_product", A2P_MESSAGING_PROFILE_POLICY_SID, [profile_info]),
    ):
        sid = calls(
            trust_bundle_create,
            **creds,
            kind=kind,
            friendly_name=f"Acme Outdoor {kind}",
            email=BUSINESS["contact_email"],
            policy_sid=policy,
        )
        if kind == "trust_product":
            objects = [*objects, bundles["customer_profile"]]
        for object_sid in objects:
            calls(trust_bundle_assign, **creds, kind=kind, sid=sid, object_sid=object_sid)
        calls(trust_bundle_assigned, **creds, kind=kind, sid=sid)
        assert calls(trust_bundle_evaluate, **creds, kind=kind, sid=sid, policy_sid=policy)
        calls(trust_bundle_submit, **creds, kind=kind, sid=sid)
        calls(trust_bundle_fetch, **creds, kind=kind, sid=sid)
        bundles[kind] = sid
    brand = calls(
        brand_registration_create,
        **creds,
        customer_profile_sid=bundles["customer_profile"],
        a2p_profile_sid=bundles["trust_product"],
    )
    assert calls(brand_registration_fetch, **creds, sid=brand.sid).status == "FAILED"
    calls(
        end_user_update,
        **creds,
        sid=business,
        attributes=brand_services._business_attributes(BUSINESS),
    )
    calls(brand_registration_resubmit, **creds, sid=brand.sid)
    assert calls(brand_registrations_list, **creds)[0].status == "APPROVED"
    webhooks = {
        "inbound_request_url": inbound_url(),
        "status_callback": status_callback_url(),
    }
    service = calls(messaging_service_create, **creds, friendly_name="Acme Outdoor SMS", **webhooks)
    calls(messaging_service_update, **creds, sid=service, **webhooks)
    assert calls(messaging_service_fetch, **creds, sid=service).status_callback
    [available, *_] = calls(available_numbers_search, **creds, area_code="415", contains="5550")
    number = calls(incoming_number_buy, **creds, phone_number=available.phone_number)
    calls(incoming_numbers_list, **creds, phone_number=number.phone_number)
    calls(
        messaging_service_number_add,
        **creds,
        messaging_service_sid=service,
        phone_number_sid=number.sid,
    )
    usecase = "MARKETING"
    assert usecase in calls(
        a2p_usecases, **creds, messaging_service_sid=service, brand_sid=brand.sid
    )
    content = {
        "description": USE_CASE["description"],
        "message_flow": message_flow(USE_CASE),
        "message_samples": USE_CASE["samples"],
        "has_embedded_links": USE_CASE["has_links"],
        "has_embedded_phone": USE_CASE["has_phone_numbers"],
    }
    campaign = calls(
        campaign_create,
        **creds,
        messaging_service_sid=service,
        brand_sid=brand.sid,
        usecase=usecase,
        opt_out_message="Acme Outdoor LLC: You are unsubscribed and will receive no more messages.",
        help_message="Acme Outdoor LLC: Reply STOP to unsubscribe. Msg & data rates may apply.",
        opt_out_keywords=use_case_services.OPT_OUT_KEYWORDS,
        help_keywords=use_case_services.HELP_KEYWORDS,
        **content,
    )
    calls(campaign_fetch, **creds, messaging_service_sid=service, sid=campaign.sid)
    calls(campaigns_list, **creds, messaging_service_sid=service)
    calls(campaign_update, **creds, messaging_service_sid=service, sid=campaign.sid, **content)
    messages = {"credentials": tenant}
    sent = calls(
        message_send,
        **messages,
        to=HANDSET,
        body="Acme Outdoor: spring sale, 20% off tents. Reply STOP to opt out",
        from_=number.phone_number,
        status_callback=status_callback_url(),
    )
    calls(
        message_send,
        **messages,
        to=HANDSET,
        body="Acme Outdoor: see you Saturday",
        messaging_service_sid=service,
    )
    calls(message_fetch, **messages, sid=sent.sid)
    calls(
        messages_list,
        **messages,
        to=HANDSET,
        date_sent_after=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
    )
    return tenant


@pytest.fixture(scope="module")
def project_run() -> Iterator[ProjectRun]:
    from django.conf import settings

    emulator = start_in_thread(
        callback_delay=0,
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN,
    )
    called: set[str] = set()

    def calls(function: Callable[..., Any], **kwargs: Any) -> Any:
        called.add(function.__name__)
        return function(**kwargs)

    try:
        with override_settings(
            TWILIO_API_BASE_URL=emulator.url, PUBLIC_BASE_URL="https://sms.example.com"
        ):
            tenant = _project_calls(calls)
        operations = requests.get(f"{emulator.url}/_emulator/operations", timeout=5).json()
        yield ProjectRun(emulator, tenant, called, operations["operations"])
    finally:
        emulator.stop()


def test_the_flow_drives_every_twilio_call_of_the_gateway(project_run):
    gateway_calls = {
        name
        for module in (twilio_messages, twilio_provisioning)
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }
    assert project_run.called == gateway_calls - NOT_TWILIO_CALLS


def test_the_emulator_accepted_every_call_the_project_made(project_run):
    assert sorted(project_run.operations) == sorted(OPERATIONS)
    refused = {
        op: seen["refused"] for op, seen in project_run.operations.items() if seen["refused"]
    }
    assert refused == {}


def test_every_parameter_the_project_sends_is_one_the_operation_defines(project_run):
    unknown = {
        op: seen["unknown_parameters"]
        for op, seen in project_run.operations.items()
        if seen["unknown_parameters"]
    }
    assert unknown == {}


# -- the spec, read on its own --


def _spec_operations() -> dict[str, tuple[dict[str, Any], str, str, dict[str, Any]]]:
    """operationId -> (spec, method, path template, operation)."""
    found = {}
    for name in SPEC_FILES:
        spec = json.loads((SPEC_DIR / name).read_text())
        for template, item in spec["paths"].items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    found[operation["operationId"]] = (spec, method.upper(), template, operation)
    return found


SPEC = _spec_operations()


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, section, name = node["$ref"].removeprefix("#/").split("/", 2)
        node = spec["components"][section][name]
    return node


@dataclass(frozen=True)
class SpecParameter:
    name: str
    location: str  # path, query, body
    required: bool
    schema: dict[str, Any]


def spec_parameters(operation_id: str) -> list[SpecParameter]:
    spec, _, template, operation = SPEC[operation_id]
    path_item = spec["paths"][template]
    found = []
    for declared in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        declared = _resolve(spec, declared)
        if declared["in"] in ("path", "query"):
            found.append(
                SpecParameter(
                    declared["name"],
                    declared["in"],
                    bool(declared.get("required")),
                    _resolve(spec, declared.get("schema", {})),
                )
            )
    body = operation.get("requestBody", {}).get("content", {})
    form = body.get("application/x-www-form-urlencoded")
    if form:
        schema = _resolve(spec, form["schema"])
        for name, property_schema in schema.get("properties", {}).items():
            resolved = dict(_resolve(spec, property_schema))
            if "items" in resolved:
                resolved["items"] = _resolve(spec, resolved["items"])
            found.append(SpecParameter(name, "body", name in schema.get("required", []), resolved))
    return found


def bad_values(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(what is wrong, a form value) for each way this schema forbids a value."""
    is_list = schema.get("type") == "array"
    item = schema.get("items", {}) if is_list else schema
    kind = item.get("type")
    bad: list[tuple[str, str]] = []
    if kind == "boolean":
        bad.append(("not a boolean", "yes"))
    if kind in ("integer", "number"):
        bad.append(("not a number", "many"))
    if kind == "integer":
        bad.append(("not an integer", "1.5"))
    if "minimum" in item:
        bad.append(("under the minimum", str(item["minimum"] - 1)))
    if "maximum" in item:
        bad.append(("over the maximum", str(item["maximum"] + 1)))
    if "enum" in item:
        bad.append(("outside the enum", "not-" + "-".join(map(str, item["enum"]))))
    if "pattern" in item:
        prefix = re.match(r"\^\(?([A-Za-z]{2})", item["pattern"])
        candidates = [(prefix.group(1) if prefix else "XX") + "123", "ZZ" + "0" * 32, "!"]
        off_pattern = next(c for c in candidates if not re.search(item["pattern"], c))
        bad.append(("off the SID pattern", off_pattern))
    if "maxLength" in item:
        bad.append(("too long", "a" * (item["maxLength"] + 1)))
    if item.get("minLength", 0) > 1:
        bad.append(("too short", "a" * (item["minLength"] - 1)))
    ignore_format = (item.get("x-twilio") or {}).get("ignoreFormat")
    fmt = None if ignore_format else item.get("format")
    if fmt == "uri":
        bad.append(("not an absolute URL", "sms.example.com/webhooks/twilio/status"))
        bad.append(("not http(s)", "ftp://sms.example.com/webhooks"))
    if fmt == "phone-number":
        bad.append(("not a phone number", "not-a-phone!"))
    if fmt == "date-time":
        bad.append(("not a date", "next tuesday"))
    if fmt == "iso-country-code":
        bad.append(("not a country code", "USA"))
    return bad


def _send(run: ProjectRun, operation_id: str, path: str, query, form) -> requests.Response:
    _, method, _, _ = SPEC[operation_id]
    return requests.request(
        method,
        run.emulator.url + path,
        params=query,
        data=form if method == "POST" else None,
        auth=run.auth(operation_id),
        timeout=5,
    )


def _refused(run: ProjectRun, operation_id: str) -> int:
    operations = requests.get(f"{run.emulator.url}/_emulator/operations", timeout=5).json()
    return operations["operations"][operation_id]["refused"]


def _names(message: str, name: str) -> bool:
    """Whether an error message names the parameter (DateSent< included)."""
    return re.search(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", message) is not None


def _assert_twilio_error(response: requests.Response, statuses: tuple[int, ...]) -> dict:
    assert response.status_code in statuses, response.text
    error = response.json()
    assert set(error) == {"code", "message", "more_info", "status"}
    assert error["status"] == response.status_code
    assert error["more_info"] == f"https://www.twilio.com/docs/errors/{error['code']}"
    return error


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_the_emulator_refuses_what_the_spec_refuses(project_run, operation_id):
    last = project_run.operations[operation_id]["last_accepted"]
    _, _, template, _ = SPEC[operation_id]
    refused_before = _refused(project_run, operation_id)
    refusals = 0
    for parameter in spec_parameters(operation_id):
        if parameter.location == "path":
            # Which segment of the recorded path holds this parameter.
            parts, names = last["path"].split("/"), template.split("/")
            index = next(i for i, part in enumerate(names) if f"{{{parameter.name}}}" in part)
            for why, value in bad_values(parameter.schema):
                bad_parts = list(parts)
                bad_parts[index] = names[index].replace(f"{{{parameter.name}}}", value)
                response = _send(
                    project_run, operation_id, "/".join(bad_parts), last["query"], last["form"]
                )
                # An account the caller may not act on is refused before routing: 401.
                expected = (401, 404) if parameter.name == "AccountSid" else (404,)
                error = _assert_twilio_error(response, expected)
                assert error["code"] in (20003, 20404), (why, value, error)
                refusals += response.status_code == 404
            continue
        source = "query" if parameter.location == "query" else "form"
        if parameter.required:
            request = {key: dict(last[key]) for key in ("query", "form")}
            request[source].pop(parameter.name)
            error = _assert_twilio_error(
                _send(project_run, operation_id, last["path"], **request), (400,)
            )
            assert _names(error["message"], parameter.name), error
            refusals += 1
        for why, value in bad_values(parameter.schema):
            request = {key: dict(last[key]) for key in ("query", "form")}
            request[source][parameter.name] = [value]
            response = _send(project_run, operation_id, last["path"], **request)
            error = _assert_twilio_error(response, (400,))
            # The refusal names the parameter, so it is the contract refusing, not a handler.
            assert _names(error["message"], parameter.name), (
                why,
                value,
                error,
            )
            refusals += 1
    # Every one of them was refused by the contract check, before any handler ran.
    assert _refused(project_run, operation_id) - refused_before == refusals


def test_the_walk_tries_every_kind_of_bad_value():
    """The generator covers each kind of constraint the project's operations carry."""
    kinds = {
        why
        for operation_id in OPERATIONS
        for parameter in spec_parameters(operation_id)
        for why, _ in bad_values(parameter.schema)
    }
    assert kinds >= {
        "not a boolean",
        "not a number",
        "over the maximum",
        "under the minimum",
        "outside the enum",
        "off the SID pattern",
        "not an absolute URL",
        "not a phone number",
        "not a date",
    }


# -- rules stated in descriptions --


def _description(operation_id: str, name: str) -> str:
    spec, _, _, operation = SPEC[operation_id]
    for declared in operation.get("parameters", []):
        declared = _resolve(spec, declared)
        if declared.get("name") == name:
            return declared.get("description", "")
    form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    prop = form["properties"][name]
    return prop.get("description") or _resolve(spec, prop).get("description", "")


@pytest.mark.parametrize(
    "rule", RULES, ids=[f"{rule.operation}.{rule.parameter}" for rule in RULES]
)
def test_each_description_rule_quotes_its_spec(rule):
    assert rule.says in _description(rule.operation, rule.parameter)


@pytest.mark.parametrize(("key", "override"), FORMAT_OVERRIDES.items())
def test_each_widened_format_quotes_its_spec(key, override):
    assert override[0] in _description(*key)


# -- what the emulator used to accept --

SERVICE_SID = "MG" + "a" * 32
CAMPAIGN_PATH = f"/v1/Services/{SERVICE_SID}/Compliance/Usa2p/QE" + "b" * 32
CAMPAIGN_CONTENT = {
    "Description": USE_CASE["description"],
    "MessageFlow": USE_CASE["consent_description"],
    "MessageSamples": USE_CASE["samples"],
    "HasEmbeddedLinks": "false",
    "HasEmbeddedPhone": "false",
}


def _message(account, **params: str) -> tuple[str, str, dict[str, str]]:
    path = f"/2010-04-01/Accounts/{account.sid}/Messages.json"
    return "POST", path, {"To": HANDSET, "From": "+12065550199", "Body": "Hi", **params}


LENIENCIES = {
    "message with a non-URI StatusCallback": lambda account: _message(
        account, StatusCallback="sms.example.com/webhooks/twilio/status"
    ),
    "MessagingServiceSid=MG123": lambda account: _message(
        account, From="", MessagingServiceSid="MG123"
    ),
    "SmartEncoded=yes": lambda account: _message(account, SmartEncoded="yes"),
    "messages list with PageSize=5000": lambda account: (
        "GET",
        f"/2010-04-01/Accounts/{account.sid}/Messages.json",
        {"PageSize": "5000"},
    ),
    "service create with a non-URI InboundRequestUrl": lambda account: (
        "POST",
        "/v1/Services",
        {"FriendlyName": "Acme", "InboundRequestUrl": "sms.example.com/webhooks/twilio/inbound"},
    ),
    "service update with a non-URI StatusCallback": lambda account: (
        "POST",
        f"/v1/Services/{SERVICE_SID}",
        {"StatusCallback": "sms.example.com/webhooks/twilio/status"},
    ),
    "campaign update without AgeGated and DirectLending": lambda account: (
        "POST",
        CAMPAIGN_PATH,
        CAMPAIGN_CONTENT,
    ),
    "incoming number create with a non-URI SmsUrl": lambda account: (
        "POST",
        f"/2010-04-01/Accounts/{account.sid}/IncomingPhoneNumbers.json",
        {"PhoneNumber": "+14155550100", "SmsUrl": "sms.example.com/webhooks/twilio/inbound"},
    ),
}
LENIENCY_ERRORS = {
    "message with a non-URI StatusCallback": (21609, "StatusCallback"),
    "MessagingServiceSid=MG123": (21705, "MessagingServiceSid MG123"),
    "SmartEncoded=yes": (20001, "SmartEncoded"),
    "messages list with PageSize=5000": (20001, "greater than the maximum of 1000"),
    "service create with a non-URI InboundRequestUrl": (20001, "InboundRequestUrl"),
    "service update with a non-URI StatusCallback": (20001, "StatusCallback"),
    "campaign update without AgeGated and DirectLending": (20001, "AgeGated"),
    "incoming number create with a non-URI SmsUrl": (21502, "SmsUrl"),
}


@pytest.mark.parametrize("case", LENIENCIES)
def test_what_the_old_emulator_accepted_is_refused(http, subaccount, case):
    method, path, params = LENIENCIES[case](subaccount)

    if method == "GET":
        response = http.get(path, params, auth=subaccount)
    else:
        response = http.post(path, params, auth=subaccount)

    code, words = LENIENCY_ERRORS[case]
    assert response.status_code == 400
    error = response.json()
    assert (error["code"], error["status"]) == (code, 400)
    assert words in error["message"]
    assert error["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert http.control("GET", "/stats").json()["messages"] == 0


@pytest.mark.parametrize(
    ("contains", "accepted"),
    [
        ("5", False),  # 2 to 16 characters
        ("55", True),
        ("1" * 16, True),
        ("1" * 17, False),
        ("555-0100", False),  # digits, letters and * % + $ only
        ("%0100", True),
        ("55501**", True),
        ("55*01", False),  # no wildcards between digits
        ("*5", False),  # wildcards need two digits or letters
        ("+1415", True),
        ("0100$", True),
        ("4+15", False),
        ("+*415", False),  # meta-characters not side by side
        ("TENTS", True),  # letters are keypad digits
    ],
)
def test_the_number_search_contains_follows_the_spec(http, subaccount, contains, accepted):
    response = http.get(
        f"/2010-04-01/Accounts/{subaccount.sid}/AvailablePhoneNumbers/US/Local.json",
        {"AreaCode": "415", "Contains": contains},
        auth=subaccount,
    )

    assert response.status_code == (200 if accepted else 400), response.text
    if not accepted:
        assert response.json()["message"].startswith("Contains ")


@pytest.mark.parametrize(
    ("contains", "found"),
    [
        ("0100", ["+14155550100"]),
        ("+1415555010", [f"+1415555010{digit}" for digit in range(10)]),
        ("555015*", [f"+1415555015{digit}" for digit in range(10)]),
        ("%98$", ["+14155550198"]),
        ("0199$", []),  # voice-only: SmsEnabled leaves it out
    ],
)
def test_the_number_search_matches_like_twilio(http, subaccount, contains, found):
    response = http.get(
        f"/2010-04-01/Accounts/{subaccount.sid}/AvailablePhoneNumbers/US/Local.json",
        {"AreaCode": "415", "Contains": contains, "SmsEnabled": "true"},
        auth=subaccount,
    )

    assert [n["phone_number"] for n in response.json()["available_phone_numbers"]] == found


KEYWORD_FLOW = (
    "Customers text JOIN to our number, or tick an unchecked SMS box at checkout that states "
    "the message frequency."
)


@pytest.mark.parametrize(
    ("flow", "extra", "refused"),
    [
        (KEYWORD_FLOW, {}, "OptInKeywords and OptInMessage must be provided"),
        (KEYWORD_FLOW, {"OptInKeywords": ["JOIN"]}, "OptInMessage must be provided"),
        (USE_CASE["consent_description"], {"OptInKeywords": ["JOIN"]}, "OptInMessage"),
        ("People consent when they text a keyword to our number, as the sign says.", {}, "Opt"),
        (USE_CASE["consent_description"], {}, None),  # "reply STOP" is no opt-in keyword
    ],
)
def test_a_keyword_opt_in_campaign_needs_opt_in_keywords_and_message(
    http, subaccount, flow, extra, refused
):
    response = http.post(
        f"/v1/Services/{SERVICE_SID}/Compliance/Usa2p",
        {
            **CAMPAIGN_CONTENT,
            "MessageFlow": flow,
            "BrandRegistrationSid": "BN" + "c" * 32,
            "UsAppToPersonUsecase": "MARKETING",
            **extra,
        },
        auth=subaccount,
    )

    if refused:
        assert response.status_code == 400
        assert refused in response.json()["message"]
    else:  # past the contract: the handler finds no such Messaging Service
        assert (response.status_code, response.json()["code"]) == (404, 20404)
