"""The emulator's registration endpoints over raw HTTP: Twilio's shapes (checked against the
OpenAPI specs when present), the simulated review, its rejection triggers and its errors."""

from __future__ import annotations

import json
import re

import pytest

from tests.twilio_emulator.conftest import Credentials, TwilioHttp, subaccount_create
from tests.twilio_emulator.spec import RFC_2822, SPEC_DIR
from twilio_emulator.handlers.trusthub import (
    A2P_MESSAGING_PROFILE_POLICY,
    SECONDARY_CUSTOMER_PROFILE_POLICY,
)

BUSINESS = {
    "business_name": "Acme Outdoor LLC",
    "business_identity": "direct_customer",
    "business_type": "Limited Liability Corporation",
    "business_industry": "RETAIL",
    "business_registration_identifier": "EIN",
    "business_registration_number": "12-3456789",
    "business_regions_of_operation": "USA_AND_CANADA",
    "website_url": "https://acme.example.com",
}
REPRESENTATIVE = {
    "first_name": "Alice",
    "last_name": "Admin",
    "email": "alice@acme.example.com",
    "phone_number": "+14155550142",
    "business_title": "Head of Marketing",
    "job_position": "VP",
}
ISO_8601 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


def spec_fields(file: str, schema: str) -> set[str]:
    spec = json.loads((SPEC_DIR / file).read_text())
    return set(spec["components"]["schemas"][schema]["properties"])


@pytest.fixture
def tenant(http: TwilioHttp) -> Credentials:
    return subaccount_create(http, "Acme Outdoor")


@pytest.fixture
def as_tenant(emulator, tenant) -> TwilioHttp:
    return TwilioHttp(emulator.url, tenant)


def created(response, status: int = 201) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def end_user(api: TwilioHttp, kind: str, attributes: dict) -> str:
    body = {"FriendlyName": kind, "Type": kind, "Attributes": json.dumps(attributes)}
    return created(api.post("/v1/EndUsers", body))["sid"]


def customer_profile(api: TwilioHttp, tenant: Credentials, business: dict | None = None) -> str:
    business_sid = end_user(api, "customer_profile_business_information", business or BUSINESS)
    representative = end_user(api, "authorized_representative_1", REPRESENTATIVE)
    address = created(
        api.post(
            f"/2010-04-01/Accounts/{tenant.sid}/Addresses.json",
            {
                "CustomerName": "Acme Outdoor LLC",
                "Street": "1 Market St",
                "City": "San Francisco",
                "Region": "CA",
                "PostalCode": "94105",
                "IsoCountry": "US",
            },
        )
    )["sid"]
    document = created(
        api.post(
            "/v1/SupportingDocuments",
            {
                "FriendlyName": "address",
                "Type": "customer_profile_address",
                "Attributes": json.dumps({"address_sids": address}),
            },
        )
    )["sid"]
    profile = created(
        api.post(
            "/v1/CustomerProfiles",
            {
                "FriendlyName": "Acme",
                "Email": "a@acme.example.com",
                "PolicySid": SECONDARY_CUSTOMER_PROFILE_POLICY,
            },
        )
    )["sid"]
    for object_sid in (business_sid, representative, document):
        created(
            api.post(f"/v1/CustomerProfiles/{profile}/EntityAssignments", {"ObjectSid": object_sid})
        )
    return profile


def submitted_bundles(api: TwilioHttp, tenant: Credentials, **profile) -> tuple[str, str]:
    profile_sid = customer_profile(api, tenant, **profile)
    created(api.post(f"/v1/CustomerProfiles/{profile_sid}", {"Status": "pending-review"}), 200)
    a2p = end_user(api, "us_a2p_messaging_profile_information", {"company_type": "private"})
    product = created(
        api.post(
            "/v1/TrustProducts",
            {
                "FriendlyName": "Acme A2P",
                "Email": "a@acme.example.com",
                "PolicySid": A2P_MESSAGING_PROFILE_POLICY,
            },
        )
    )["sid"]
    for object_sid in (a2p, profile_sid):
        created(
            api.post(f"/v1/TrustProducts/{product}/EntityAssignments", {"ObjectSid": object_sid})
        )
    created(api.post(f"/v1/TrustProducts/{product}", {"Status": "pending-review"}), 200)
    return profile_sid, product


def brand(api: TwilioHttp, tenant: Credentials, **profile) -> dict:
    profile_sid, product = submitted_bundles(api, tenant, **profile)
    return created(
        api.post(
            "/v1/a2p/BrandRegistrations",
            {"CustomerProfileBundleSid": profile_sid, "A2PProfileBundleSid": product},
        )
    )


def test_trust_hub_shapes_match_the_spec(as_tenant, tenant):
    profile_sid = customer_profile(as_tenant, tenant)
    profile = created(as_tenant.get(f"/v1/CustomerProfiles/{profile_sid}"), 200)
    assert set(profile) == spec_fields("twilio_trusthub_v1.json", "trusthub.v1.customer_profile")
    assert profile["status"] == "draft"
    assert profile["url"] == f"https://trusthub.twilio.com/v1/CustomerProfiles/{profile_sid}"
    assert profile["links"]["customer_profiles_entity_assignments"].endswith("/EntityAssignments")
    assert re.match(ISO_8601, profile["date_created"])
    listed = created(as_tenant.get(f"/v1/CustomerProfiles/{profile_sid}/EntityAssignments"), 200)
    assert len(listed["results"]) == 3 and listed["meta"]["key"] == "results"
    assert set(listed["results"][0]) == spec_fields(
        "twilio_trusthub_v1.json",
        "trusthub.v1.customer_profile.customer_profile_entity_assignment",
    )
    user = listed["results"][0]["object_sid"]
    fetched = created(as_tenant.get(f"/v1/EndUsers/{user}"), 200)
    assert set(fetched) == spec_fields("twilio_trusthub_v1.json", "trusthub.v1.end_user")
    assert fetched["attributes"]["business_name"] == "Acme Outdoor LLC"


def test_an_incomplete_bundle_is_noncompliant_and_cannot_be_submitted(as_tenant):
    profile = created(
        as_tenant.post(
            "/v1/CustomerProfiles",
            {
                "FriendlyName": "A",
                "Email": "a@b.co",
                "PolicySid": SECONDARY_CUSTOMER_PROFILE_POLICY,
            },
        )
    )["sid"]
    evaluation = created(
        as_tenant.post(
            f"/v1/CustomerProfiles/{profile}/Evaluations",
            {"PolicySid": SECONDARY_CUSTOMER_PROFILE_POLICY},
        )
    )
    assert evaluation["status"] == "noncompliant"
    assert set(evaluation) == spec_fields(
        "twilio_trusthub_v1.json", "trusthub.v1.customer_profile.customer_profile_evaluation"
    )
    refused = as_tenant.post(f"/v1/CustomerProfiles/{profile}", {"Status": "pending-review"})
    assert refused.status_code == 400
    assert "not compliant" in refused.json()["message"]


def test_bundles_reject_bad_input(as_tenant):
    missing = as_tenant.post("/v1/CustomerProfiles", {"FriendlyName": "A", "Email": "a@b.co"})
    assert (missing.status_code, missing.json()["code"]) == (400, 20001)
    wrong_policy = as_tenant.post(
        "/v1/TrustProducts",
        {"FriendlyName": "A", "Email": "a@b.co", "PolicySid": SECONDARY_CUSTOMER_PROFILE_POLICY},
    )
    assert wrong_policy.status_code == 400
    bad_json = as_tenant.post(
        "/v1/EndUsers", {"FriendlyName": "x", "Type": "individual", "Attributes": "{nope"}
    )
    assert bad_json.status_code == 400


def test_resources_are_private_to_their_account(http, as_tenant, tenant):
    profile = customer_profile(as_tenant, tenant)
    other = TwilioHttp(as_tenant.base_url, subaccount_create(http, "Other"))
    assert other.get(f"/v1/CustomerProfiles/{profile}").status_code == 404
    assert (
        as_tenant.get(
            f"/v1/CustomerProfiles/{profile}", auth=Credentials("AC" + "9" * 32, "x")
        ).status_code
        == 401
    )


def test_brand_approval_with_the_configured_score(emulator, as_tenant, tenant):
    created(as_tenant.control("POST", "/review", {"BrandScore": "67"}), 200)
    body = brand(as_tenant, tenant)
    assert set(body) == spec_fields("twilio_messaging_v1.json", "messaging.v1.brand_registrations")
    assert body["status"] == "PENDING" and body["brand_score"] is None
    assert body["url"] == f"https://messaging.twilio.com/v1/a2p/BrandRegistrations/{body['sid']}"
    fetched = created(as_tenant.get(f"/v1/a2p/BrandRegistrations/{body['sid']}"), 200)
    assert (fetched["status"], fetched["brand_score"]) == ("APPROVED", 67)
    assert fetched["tcr_id"].startswith("B") and fetched["failure_reason"] is None
    listed = created(as_tenant.get("/v1/a2p/BrandRegistrations"), 200)
    assert [b["sid"] for b in listed["data"]] == [body["sid"]]


@pytest.mark.parametrize(
    ("business", "reason"),
    [
        ({**BUSINESS, "business_name": "Reject Me Inc"}, "does not match the records"),
        ({**BUSINESS, "business_registration_number": "00-0000000"}, "IRS records"),
    ],
)
def test_brand_rejection_triggers_and_resubmission(emulator, as_tenant, tenant, business, reason):
    body = brand(as_tenant, tenant, business=business)
    fetched = created(as_tenant.get(f"/v1/a2p/BrandRegistrations/{body['sid']}"), 200)
    assert fetched["status"] == "FAILED"
    assert reason in fetched["failure_reason"]
    assert fetched["errors"][0]["description"] == fetched["failure_reason"]

    business_sid = next(
        sid
        for sid, record in emulator.state.registry["end_users"].items()
        if record.get("type") == "customer_profile_business_information"
    )
    created(
        as_tenant.post(f"/v1/EndUsers/{business_sid}", {"Attributes": json.dumps(BUSINESS)}), 200
    )
    resubmitted = created(as_tenant.post(f"/v1/a2p/BrandRegistrations/{body['sid']}"), 202)
    assert resubmitted["status"] == "PENDING"
    again = created(as_tenant.get(f"/v1/a2p/BrandRegistrations/{body['sid']}"), 200)
    assert again["status"] == "APPROVED"
    refused = as_tenant.post(f"/v1/a2p/BrandRegistrations/{body['sid']}")
    assert refused.status_code == 400  # only a FAILED brand is resubmitted


def test_brand_needs_submitted_bundles_and_is_unique(as_tenant, tenant):
    profile = customer_profile(as_tenant, tenant)
    refused = as_tenant.post(
        "/v1/a2p/BrandRegistrations",
        {"CustomerProfileBundleSid": profile, "A2PProfileBundleSid": profile},
    )
    assert refused.status_code == 400
    body = brand(as_tenant, tenant)
    duplicate = as_tenant.post(
        "/v1/a2p/BrandRegistrations",
        {
            "CustomerProfileBundleSid": body["customer_profile_bundle_sid"],
            "A2PProfileBundleSid": body["a2p_profile_bundle_sid"],
        },
    )
    assert duplicate.status_code == 409


def test_review_delay_and_complete(as_tenant, tenant):
    created(as_tenant.control("POST", "/review", {"Delay": "3600"}), 200)
    body = brand(as_tenant, tenant)
    assert (
        created(as_tenant.get(f"/v1/a2p/BrandRegistrations/{body['sid']}"), 200)["status"]
        == "PENDING"
    )
    settings = created(as_tenant.control("GET", "/review"), 200)
    assert settings["review_delay"] == 3600 and settings["pending"] >= 1
    done = created(as_tenant.control("POST", "/review", {"Complete": "true"}), 200)
    assert done["completed"] >= 1 and done["pending"] == 0
    assert (
        created(as_tenant.get(f"/v1/a2p/BrandRegistrations/{body['sid']}"), 200)["status"]
        == "APPROVED"
    )
    assert as_tenant.control("POST", "/review", {"BrandScore": "0"}).status_code == 400


def service(api: TwilioHttp) -> dict:
    return created(
        api.post(
            "/v1/Services",
            {
                "FriendlyName": "Acme SMS",
                "InboundRequestUrl": "https://app.example.com/webhooks/twilio/inbound",
                "StatusCallback": "https://app.example.com/webhooks/twilio/status",
                "Usecase": "marketing",
            },
        )
    )


CAMPAIGN = {
    "Description": "Acme Outdoor sends texts about sales and store events to its customers.",
    "MessageFlow": "Customers opt in on the signup form at https://acme.example.com/sms.",
    "MessageSamples": [
        "Acme Outdoor: 20% off tents this weekend. Reply STOP to opt out.",
        "New boots just arrived at Acme Outdoor, come by on Saturday!",
    ],
    "UsAppToPersonUsecase": "MARKETING",
    "HasEmbeddedLinks": "false",
    "HasEmbeddedPhone": "false",
}


def test_messaging_service_shape_and_use_cases(as_tenant):
    body = service(as_tenant)
    assert set(body) == spec_fields("twilio_messaging_v1.json", "messaging.v1.service")
    assert body["inbound_request_url"] == "https://app.example.com/webhooks/twilio/inbound"
    assert body["us_app_to_person_registered"] is False
    updated = created(as_tenant.post(f"/v1/Services/{body['sid']}", {"StickySender": "false"}), 200)
    assert updated["sticky_sender"] is False
    codes = created(as_tenant.get(f"/v1/Services/{body['sid']}/Compliance/Usa2p/Usecases"), 200)
    assert "MARKETING" in {u["code"] for u in codes["us_app_to_person_usecases"]}
    assert created(as_tenant.get("/v1/Services/Usecases"), 200)["usecases"]
    assert created(as_tenant.get("/v1/Services"), 200)["meta"]["key"] == "services"


def test_campaign_review_rejection_and_update(as_tenant, tenant):
    brand_sid = brand(as_tenant, tenant)["sid"]
    created(as_tenant.get(f"/v1/a2p/BrandRegistrations/{brand_sid}"), 200)
    service_sid = service(as_tenant)["sid"]
    url = f"/v1/Services/{service_sid}/Compliance/Usa2p"
    campaign = created(
        as_tenant.post(
            url, {**CAMPAIGN, "BrandRegistrationSid": brand_sid, "Description": "REJECT " * 8}
        )
    )
    assert set(campaign) == spec_fields(
        "twilio_messaging_v1.json", "messaging.v1.service.us_app_to_person"
    )
    assert campaign["campaign_status"] == "IN_PROGRESS"
    failed = created(as_tenant.get(f"{url}/{campaign['sid']}"), 200)
    assert failed["campaign_status"] == "FAILED"
    assert "not detailed enough" in failed["errors"][0]["description"]
    second = as_tenant.post(url, {**CAMPAIGN, "BrandRegistrationSid": brand_sid})
    assert second.status_code == 409  # one campaign per Messaging Service
    update = {k: v for k, v in CAMPAIGN.items() if k not in ("UsAppToPersonUsecase",)}
    update.update(AgeGated="false", DirectLending="false")
    created(as_tenant.post(f"{url}/{campaign['sid']}", update), 200)
    verified = created(as_tenant.get(f"{url}/{campaign['sid']}"), 200)
    assert verified["campaign_status"] == "VERIFIED"
    assert verified["rate_limits"]["att"]["mps"] == 75
    assert created(as_tenant.get(f"/v1/Services/{service_sid}"), 200)["us_app_to_person_registered"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Description": "Too short"}, "Description must be 40 to 4096"),
        ({"MessageFlow": "x" * 39}, "MessageFlow must be 40 to 2048"),
        ({"MessageSamples": ["Only one sample, long enough"]}, "MessageSamples takes 2 to 5"),
        ({"MessageSamples": ["Short", "Another sample long enough"]}, "MessageSamples[1]"),
        ({"UsAppToPersonUsecase": "SPAM"}, "Invalid UsAppToPersonUsecase"),
        ({"HasEmbeddedLinks": ""}, "Missing required parameter HasEmbeddedLinks"),
    ],
)
def test_campaign_validation(as_tenant, tenant, change, message):
    brand_sid = brand(as_tenant, tenant)["sid"]
    service_sid = service(as_tenant)["sid"]
    response = as_tenant.post(
        f"/v1/Services/{service_sid}/Compliance/Usa2p",
        {**CAMPAIGN, "BrandRegistrationSid": brand_sid, **change},
    )
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_a_campaign_needs_an_approved_brand(as_tenant, tenant):
    created(as_tenant.control("POST", "/review", {"Delay": "3600"}), 200)
    brand_sid = brand(as_tenant, tenant)["sid"]
    response = as_tenant.post(
        f"/v1/Services/{service(as_tenant)['sid']}/Compliance/Usa2p",
        {**CAMPAIGN, "BrandRegistrationSid": brand_sid},
    )
    assert response.status_code == 400
    assert "must be APPROVED" in response.json()["message"]


def test_search_buy_and_attach_a_number(as_tenant, tenant, emulator):
    base = f"/2010-04-01/Accounts/{tenant.sid}"
    available = created(
        as_tenant.get(f"{base}/AvailablePhoneNumbers/US/Local.json", {"AreaCode": "212"}), 200
    )
    first = available["available_phone_numbers"][0]
    assert set(first) == spec_fields(
        "twilio_api_v2010.json",
        "api.v2010.account.available_phone_number_country.available_phone_number_local",
    )
    assert (first["phone_number"], first["friendly_name"]) == ("+12125550100", "(212) 555-0100")
    sms_only = created(
        as_tenant.get(
            f"{base}/AvailablePhoneNumbers/US/Local.json",
            {"AreaCode": "212", "SmsEnabled": "true", "PageSize": "200"},
        ),
        200,
    )["available_phone_numbers"]
    assert len(sms_only) == 99  # 0199 is voice-only
    bad = as_tenant.get(f"{base}/AvailablePhoneNumbers/US/Local.json", {"AreaCode": "12"})
    assert bad.status_code == 400

    number = created(
        as_tenant.post(f"{base}/IncomingPhoneNumbers.json", {"PhoneNumber": "+12125550100"})
    )
    assert set(number) == spec_fields(
        "twilio_api_v2010.json", "api.v2010.account.incoming_phone_number"
    )
    assert number["capabilities"] == {"fax": False, "mms": True, "sms": True, "voice": True}
    assert RFC_2822.match(number["date_created"])
    taken = as_tenant.post(f"{base}/IncomingPhoneNumbers.json", {"PhoneNumber": "+12125550100"})
    assert (taken.status_code, taken.json()["code"]) == (400, 21422)
    after = created(
        as_tenant.get(f"{base}/AvailablePhoneNumbers/US/Local.json", {"AreaCode": "212"}), 200
    )
    assert after["available_phone_numbers"][0]["phone_number"] == "+12125550101"
    by_area = created(as_tenant.post(f"{base}/IncomingPhoneNumbers.json", {"AreaCode": "212"}))
    assert by_area["phone_number"] == "+12125550101"
    listed = created(
        as_tenant.get(f"{base}/IncomingPhoneNumbers.json", {"PhoneNumber": "+12125550100"}), 200
    )
    assert [n["sid"] for n in listed["incoming_phone_numbers"]] == [number["sid"]]

    service_sid = service(as_tenant)["sid"]
    attached = created(
        as_tenant.post(
            f"/v1/Services/{service_sid}/PhoneNumbers", {"PhoneNumberSid": number["sid"]}
        )
    )
    assert set(attached) == spec_fields(
        "twilio_messaging_v1.json", "messaging.v1.service.phone_number"
    )
    assert attached["capabilities"] == ["SMS", "MMS", "Voice"]
    again = as_tenant.post(
        f"/v1/Services/{service_sid}/PhoneNumbers", {"PhoneNumberSid": number["sid"]}
    )
    assert (again.status_code, again.json()["code"]) == (409, 21710)
    other_service = service(as_tenant)["sid"]
    elsewhere = as_tenant.post(
        f"/v1/Services/{other_service}/PhoneNumbers", {"PhoneNumberSid": number["sid"]}
    )
    assert elsewhere.json()["code"] == 21712
    # Inbound messages to the number now reach the service's inbound URL.
    assert emulator.state.numbers[number["sid"]]["messaging_service_sid"] == service_sid


def test_registration_state_survives_a_restart(tmp_path, http, master):
    from twilio_emulator.server import start_in_thread

    state_file = tmp_path / "emulator.json"
    first = start_in_thread(state_file=state_file)
    api = TwilioHttp(first.url, Credentials(first.account_sid, first.auth_token))
    tenant = subaccount_create(api, "Acme")
    as_tenant = TwilioHttp(first.url, tenant)
    brand_sid = brand(as_tenant, tenant)["sid"]
    first.stop()

    second = start_in_thread(state_file=state_file)
    try:
        again = TwilioHttp(second.url, tenant)
        assert again.get(f"/v1/a2p/BrandRegistrations/{brand_sid}").json()["status"] == "APPROVED"
    finally:
        second.stop()
