"""SMS setup over the API: the same steps, the same rules, the same permissions."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import Client

from accounts.models import Membership
from accounts.services import api_token_create
from registration.models import BrandRegistration, PhoneNumber, UseCaseRegistration
from tests.conftest import ROOT
from tests.registration.conftest import BUSINESS, USE_CASE

pytestmark = pytest.mark.django_db


def api_client(tenant, user, account=None) -> Client:
    _, raw = api_token_create(account=account or tenant.account, user=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def api(tenant):
    return api_client(tenant, tenant.alice)


def test_the_three_steps_over_the_api(api, tenant, emulator):
    eligibility = api.post(
        "/api/v1/sms-setup/eligibility",
        {"sole_proprietor": False, "categories": ["promotions"], "sending_country": "US"},
        content_type="application/json",
    )
    assert eligibility.json() == {"eligible": True, "reasons": []}

    draft = api.patch("/api/v1/sms-setup/business", BUSINESS, content_type="application/json")
    assert draft.status_code == 200, draft.json()
    assert draft.json()["errors"] == {}
    assert draft.json()["registration"]["draft"]["registration_number"] == "12-3456789"

    submitted = api.post("/api/v1/sms-setup/business/submit")
    assert submitted.status_code == 202
    assert submitted.json()["status"] == "in_review"
    assert submitted.json()["submitted_by"] == "alice@example.com"
    assert api.post("/api/v1/sms-setup/business/submit").status_code == 200  # already submitted

    overview = api.post("/api/v1/sms-setup/refresh").json()
    assert overview["brand"]["status"] == "approved"
    assert overview["brand"]["trust_score"] == 80
    assert overview["brand"]["throughput"] == {
        "messages_per_second": 75,
        "tmobile_daily_cap": 200_000,
    }
    assert overview["current_step"] == 2

    response = api.patch("/api/v1/sms-setup/use-case", USE_CASE, content_type="application/json")
    assert response.status_code == 200, response.json()
    use_case = api.post("/api/v1/sms-setup/use-case/submit")
    assert use_case.status_code == 202 and use_case.json()["status"] == "in_review"

    codes = api.get("/api/v1/sms-setup/area-codes", {"q": "415"}).json()
    assert codes == [{"code": "415", "state": "California"}]
    available = api.get("/api/v1/sms-setup/available-numbers", {"area_code": "415"}).json()
    assert available[0]["phone_number"] == "+14155550100"
    bought = api.post(
        "/api/v1/phone-numbers", {"phone_number": "+14155550100"}, content_type="application/json"
    )
    assert bought.status_code == 201
    assert bought.json()["status"] == "pending"

    overview = api.post("/api/v1/sms-setup/refresh").json()
    assert overview["complete"] is True
    assert overview["numbers"][0]["status"] == "active"
    events = api.get("/api/v1/sms-setup/events").json()
    assert {e["kind"] for e in events["results"]} >= {"brand_submitted", "number_purchased"}


def test_a_draft_keeps_what_is_sent_and_says_what_breaks_the_rules(api, tenant):
    """As the wizard's pages keep a draft: a body the schema refuses is a 400 and saves
    nothing; anything else is kept, and `errors` says what still breaks the rules."""
    for body in (
        {"legal_name": "Acme", "favourite_colour": "red"},
        {"legal_name": 7},
        ["legal_name", "Acme"],
    ):
        refused = api.patch("/api/v1/sms-setup/business", body, content_type="application/json")
        assert refused.status_code == 400, body
    assert refused.json()["error"]["code"] == "invalid"
    assert all(brand.draft == {} for brand in BrandRegistration.objects.all())
    response = api.patch(
        "/api/v1/sms-setup/business",
        {"legal_name": "Acme", "registration_number": "12-34"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert "EIN" in response.json()["errors"]["registration_number"][0]
    draft = BrandRegistration.objects.get(account=tenant.account).draft
    assert draft == {"legal_name": "Acme", "registration_number": "12-34"}


def test_the_draft_bodies_are_in_the_schema_and_take_nothing_else():
    schemas = Client().get("/api/schema/?format=json").json()["components"]["schemas"]
    business = schemas["SmsBusinessDraftInput"]
    assert business["additionalProperties"] is False
    assert business["properties"]["regions"]["type"] == "array"
    use_case = schemas["SmsUseCaseDraftInput"]
    assert use_case["properties"]["has_links"]["type"] == ["boolean", "null"]


def test_the_draft_reports_what_is_still_missing(api):
    body = api.get("/api/v1/sms-setup/business").json()
    assert body["registration"]["status"] == "draft"
    assert body["errors"]["legal_name"] == ["This field is required."]


def test_submitting_an_incomplete_or_ineligible_registration(api, tenant):
    response = api.post("/api/v1/sms-setup/business/submit")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_eligible"
    api.post(
        "/api/v1/sms-setup/eligibility",
        {"sole_proprietor": False, "categories": ["promotions"], "sending_country": "US"},
        content_type="application/json",
    )
    api.patch("/api/v1/sms-setup/business", {"legal_name": "Acme"}, content_type="application/json")
    response = api.post("/api/v1/sms-setup/business/submit")
    # The draft as saved is what can't be submitted: a conflict, each field to fix named.
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "incomplete"
    assert error["message"] == "Some answers need fixing before this can be submitted."
    assert error["fields"]["website"] == ["This field is required."]
    assert BrandRegistration.objects.get(account=tenant.account).status == "draft"


def test_use_case_rules_over_the_api(api, tenant):
    response = api.patch(
        "/api/v1/sms-setup/use-case",
        {"samples": ["Acme Outdoor sale!", "Reply STOP to opt out of Acme Outdoor texts"]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["errors"]["samples"] == [
        "Sample 1 has 18 characters; each sample needs 20 to 1,024."
    ]
    response = api.post("/api/v1/sms-setup/use-case/submit")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "brand_missing")
    assert not UseCaseRegistration.objects.exclude(status="draft").exists()


def test_eligibility_refusal_over_the_api(api):
    response = api.post(
        "/api/v1/sms-setup/eligibility",
        {"sole_proprietor": True, "categories": ["gambling"], "sending_country": "other"},
        content_type="application/json",
    )
    body = response.json()
    assert body["eligible"] is False and len(body["reasons"]) == 3


def test_number_endpoints(api, setup_flow, tenant, monkeypatch):
    number = setup_flow.complete()
    url = f"/api/v1/phone-numbers/{number.public_id}"
    assert api.get(url).json()["e164"] == "+14155550100"
    users = api.put(
        f"{url}/users", {"users": [tenant.bob.public_id]}, content_type="application/json"
    )
    assert [u["email"] for u in users.json()["users"]] == ["bob@example.com"]
    refused = api.put(
        f"{url}/users", {"users": [tenant.charlie.public_id]}, content_type="application/json"
    )
    assert refused.status_code == 404
    assert refused.json()["error"]["fields"]["users"] == [
        "Only members of this account can use its numbers."
    ]
    bad = api.post(f"{url}/link-domain", {"link_domain": "nope"}, content_type="application/json")
    assert bad.status_code == 400
    domain = api.post(
        f"{url}/link-domain", {"link_domain": "go.acme.com"}, content_type="application/json"
    ).json()
    assert (domain["link_domain"], domain["link_domain_verified"]) == ("go.acme.com", False)
    assert domain["link_preview"].startswith("https://go.acme.com/")
    from registration.services import links

    monkeypatch.setattr(links, "resolve_addresses", lambda host: {"10.0.0.1"})
    assert api.post(f"{url}/link-domain/verify").json()["link_domain_verified"] is True


@pytest.mark.parametrize("who", ["bob", "vera"])
def test_members_without_the_permission_get_403(tenant, who):
    client = api_client(tenant, getattr(tenant, who))
    for path in ("/api/v1/sms-setup", "/api/v1/phone-numbers", "/api/v1/sms-setup/area-codes"):
        assert client.get(path).status_code == 403
    response = client.post("/api/v1/sms-setup/business/submit")
    assert response.status_code == 403
    assert response.json()["error"]["message"] in (
        "You need the SMS setup permission.",
        "Viewers can't change anything.",
    )


def test_another_accounts_number_is_not_found(setup_flow, tenant):
    number = setup_flow.complete()
    charlie = api_client(tenant, tenant.charlie, account=tenant.other_account)
    url = f"/api/v1/phone-numbers/{number.public_id}"
    assert charlie.get(url).status_code == 404
    assert charlie.post(f"{url}/link-domain", {"link_domain": "x.com"}).status_code == 404
    assert charlie.get("/api/v1/phone-numbers").json() == []
    assert PhoneNumber.objects.get().link_domain == ""


def test_the_schema_describes_the_setup_api():
    schema = Client().get("/api/schema/").content.decode()
    assert "/api/v1/sms-setup/business/submit" in schema
    assert "SmsBrandRegistration" in schema


def test_a_draft_update_is_checked_against_what_is_already_saved(api, tenant):
    """Cross-field rules (country, company status) use the saved draft for the fields the
    PATCH leaves out, as the wizard's pages do."""
    saved = api.patch(
        "/api/v1/sms-setup/business",
        {
            "country": "CA",
            "company_status": "public",
            "stock_exchange": "TSX",
            "stock_ticker": "ACME",
        },
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.json()

    number = api.patch(
        "/api/v1/sms-setup/business",
        {"registration_number": "123456789"},
        content_type="application/json",
    )
    assert number.status_code == 200, number.json()
    # A Canadian business number, not reformatted as a US EIN (12-3456789).
    assert number.json()["registration"]["draft"]["registration_number"] == "123456789"

    address = api.patch(
        "/api/v1/sms-setup/business",
        {"postal_code": "K1A 0B1", "region": "ON"},
        content_type="application/json",
    )
    assert address.status_code == 200, address.json()

    status = api.patch(
        "/api/v1/sms-setup/business", {"company_status": "public"}, content_type="application/json"
    )
    assert status.status_code == 200, status.json()

    draft = BrandRegistration.objects.get(account=tenant.account).draft
    assert draft == {
        "country": "CA",
        "company_status": "public",
        "stock_exchange": "TSX",
        "stock_ticker": "ACME",
        "registration_number": "123456789",
        "postal_code": "K1A 0B1",
        "region": "ON",
    }


def test_a_draft_update_is_judged_with_the_saved_draft(api, tenant):
    api.patch("/api/v1/sms-setup/business", {"country": "US"}, content_type="application/json")
    response = api.patch(
        "/api/v1/sms-setup/business", {"postal_code": "K1A 0B1"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["errors"]["postal_code"] == [
        "Enter a ZIP code such as 94105 or 94105-1234."
    ]
    draft = BrandRegistration.objects.get(account=tenant.account).draft
    assert draft == {"country": "US", "postal_code": "K1A 0B1"}


def test_a_use_case_update_is_checked_against_the_saved_answers(api, tenant):
    api.patch("/api/v1/sms-setup/use-case", {"has_links": False}, content_type="application/json")
    response = api.patch(
        "/api/v1/sms-setup/use-case",
        {"samples": [*USE_CASE["samples"][:1], "Acme Outdoor: shop now at www.acme.com today!"]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["errors"]["samples"] == [
        "Sample 2 contains a link, but you said your messages contain no links."
    ]


def test_a_viewer_with_the_permission_may_set_up_sms_over_the_api(tenant):
    """The pages let a viewer granted SMS setup do it; the API agrees."""
    Membership.objects.filter(user=tenant.vera).update(can_setup_sms=True)
    vera = api_client(tenant, tenant.vera)
    eligibility = vera.post(
        "/api/v1/sms-setup/eligibility",
        {"sole_proprietor": False, "categories": ["promotions"], "sending_country": "US"},
        content_type="application/json",
    )
    assert eligibility.status_code == 200, eligibility.json()
    draft = vera.patch(
        "/api/v1/sms-setup/business", {"legal_name": "Acme"}, content_type="application/json"
    )
    assert draft.status_code == 200, draft.json()
    assert BrandRegistration.objects.get(account=tenant.account).draft == {"legal_name": "Acme"}
    # The permission is for SMS setup only: elsewhere a viewer still only reads.
    refused = vera.post(
        "/api/v1/contacts/create", {"email": "x@example.com"}, content_type="application/json"
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/sms-setup/refresh"),
        ("post", "/api/v1/phone-numbers"),
        ("post", "/api/v1/phone-numbers/{id}/link-domain"),
        ("post", "/api/v1/phone-numbers/{id}/link-domain/verify"),
        ("put", "/api/v1/phone-numbers/{id}/users"),
    ],
)
def test_setup_writes_refuse_a_marketer_without_the_permission(setup_flow, tenant, method, path):
    number = setup_flow.complete()
    bob = api_client(tenant, tenant.bob)
    body = {
        "phone_number": "+14155550101",
        "link_domain": "go.acme.com",
        "users": [tenant.bob.public_id],
    }
    users = list(number.users.all())
    url = path.format(id=number.public_id)
    response = getattr(bob, method)(url, body, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "You need the SMS setup permission."
    number.refresh_from_db()
    assert (PhoneNumber.objects.count(), number.link_domain, list(number.users.all())) == (
        1,
        "",
        users,
    )


@pytest.mark.parametrize(("contains", "status"), [("5", 400), ("1" * 17, 400), ("0101", 200)])
def test_the_available_numbers_api_checks_contains(api, setup_flow, contains, status):
    setup_flow.brand_submit()

    response = api.get(
        "/api/v1/sms-setup/available-numbers", {"area_code": "415", "contains": contains}
    )

    assert response.status_code == status, response.json()
    if status == 400:
        assert "2 to 16 digits" in response.json()["error"]["fields"]["contains"][0]
    else:
        assert [n["phone_number"] for n in response.json()] == ["+14155550101"]


def test_eligibility_needs_a_category_as_the_schema_says(api):
    response = api.post(
        "/api/v1/sms-setup/eligibility",
        {"sole_proprietor": False, "categories": [], "sending_country": "US"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["categories"] == ["This list may not be empty."]
    schema = Client().get("/api/schema/?format=json").json()["components"]["schemas"]
    assert schema["SmsEligibilityInput"]["properties"]["categories"]["minItems"] == 1


def test_an_area_code_we_cant_search_is_refused_as_the_schema_says(api, setup_flow):
    setup_flow.brand_submit()
    response = api.get("/api/v1/sms-setup/available-numbers", {"area_code": "999"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["area_code"] == [
        '"999" is not a US area code we can search (see /api/v1/sms-setup/area-codes).'
    ]
    schema = Client().get("/api/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/sms-setup/available-numbers"]["get"]["parameters"]
    [area_code] = [p for p in parameters if p["name"] == "area_code"]
    assert "|415|" in area_code["schema"]["pattern"]


def test_loading_the_urls_leaves_the_area_codes_unread():
    """A worker loads the URLs (for the status callback's address) but never searches numbers:
    reading the area codes from phonenumbers' geodata costs it seconds at every start."""
    probe = (
        "import django; django.setup(); from django.urls import get_resolver; "
        "get_resolver().url_patterns; from registration.areacodes import us_area_codes; "
        "print(us_area_codes.cache_info().currsize)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "0"


def test_numbers_cant_be_searched_before_the_business_is_registered(api):
    response = api.get("/api/v1/sms-setup/available-numbers", {"area_code": "415"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "brand_missing"


@pytest.mark.parametrize("domain", ["nope", "https://go.acme.com/x", " go.acme.com", "-a.com"])
def test_a_link_domain_is_a_host_name_as_the_schema_says(api, setup_flow, domain):
    number = setup_flow.complete()
    response = api.post(
        f"/api/v1/phone-numbers/{number.public_id}/link-domain",
        {"link_domain": domain},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["link_domain"] == [
        "Enter a domain name you own, such as links.example.com."
    ]
    upper = api.post(
        f"/api/v1/phone-numbers/{number.public_id}/link-domain",
        {"link_domain": "Go.Acme.com"},
        content_type="application/json",
    )
    assert upper.json()["link_domain"] == "go.acme.com"
