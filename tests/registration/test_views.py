"""The SMS setup pages: who may use them, drafts on every step, review, submit, rejection."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from registration import services
from registration.models import BrandRegistration, PhoneNumber, UseCaseRegistration
from tests.conftest import client_for
from tests.registration.conftest import BUSINESS, USE_CASE

pytestmark = pytest.mark.django_db

PAGES = [
    "registration:setup",
    "registration:eligibility",
    "registration:business_company",
    "registration:business_review",
    "registration:use_case",
    "registration:use_case_review",
    "registration:numbers",
]


@pytest.mark.parametrize("name", PAGES)
def test_only_admins_and_the_sms_setup_permission_get_in(tenant, name, bob_client, vera_client):
    url = reverse(name)
    assert bob_client.get(url).status_code == 403
    assert vera_client.get(url).status_code == 403
    assert bob_client.post(url, {}).status_code in (403, 405)
    Membership.objects.filter(user=tenant.bob).update(can_setup_sms=True)
    assert bob_client.get(url).status_code in (200, 302)


def test_the_settings_menu_shows_sms_setup_only_to_those_allowed(alice_client, bob_client):
    setup_url = reverse("registration:setup")
    assert setup_url in alice_client.get(reverse("home")).content.decode()
    assert setup_url not in bob_client.get(reverse("home")).content.decode()


def eligible(client):
    client.post(
        reverse("registration:eligibility"),
        {"sole_proprietor": "no", "categories": ["promotions"], "sending_country": "US"},
    )


def step_data(step: str, **changes) -> dict:
    from registration.validation import BUSINESS_STEPS

    data = {k: BUSINESS[k] for k in BUSINESS_STEPS[step]}
    data.update(changes)
    return data


def test_the_wizard_needs_eligibility_first(alice_client):
    response = alice_client.get(reverse("registration:business_company"))
    assert response["Location"] == reverse("registration:eligibility")


def test_each_step_saves_a_draft_even_when_invalid(tenant, alice_client):
    eligible(alice_client)
    url = reverse("registration:business_company")

    page = alice_client.post(url, step_data("company", website="not a url", action="next"))

    assert page.status_code == 200
    assert "Enter a full web address" in page.content.decode()
    draft = BrandRegistration.objects.get(account=tenant.account).draft
    assert (draft["legal_name"], draft["website"]) == ("Acme Outdoor LLC", "not a url")
    # The half-filled form comes back as it was left.
    assert 'value="not a url"' in alice_client.get(url).content.decode()

    saved = alice_client.post(url, {"legal_name": "Acme", "action": "save"})
    assert saved["Location"] == reverse("registration:setup")
    assert BrandRegistration.objects.get().draft["legal_name"] == "Acme"


def test_walk_the_business_wizard_and_submit(tenant, alice_client, emulator):
    eligible(alice_client)
    for step, following in [
        ("company", "registration:business_address"),
        ("address", "registration:business_registration"),
        ("registration", "registration:business_contact"),
        ("contact", "registration:business_review"),
    ]:
        response = alice_client.post(
            reverse(f"registration:business_{step}"), {**step_data(step), "action": "next"}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"] == reverse(following)
    review = alice_client.get(reverse("registration:business_review"))
    body = review.content.decode()
    assert "Acme Outdoor LLC" in body and "12-3456789" in body and "Limited liability" in body

    submitted = alice_client.post(reverse("registration:business_review"))
    assert submitted["Location"] == reverse("registration:setup")
    brand = BrandRegistration.objects.get(account=tenant.account)
    assert (brand.status, brand.submitted_by) == ("in_review", tenant.alice)
    # A second click (or another tab) changes nothing.
    again = alice_client.post(reverse("registration:business_review"), follow=True)
    assert "already submitted" in again.content.decode()
    assert len(emulator.state.registry["brands"]) == 1
    setup = alice_client.get(reverse("registration:setup")).content.decode()
    assert 'data-status="in_review"' in setup and "Submitted by" in setup
    # The wizard is read-only now.
    assert alice_client.get(reverse("registration:business_company"))["Location"] == reverse(
        "registration:business_review"
    )


def test_the_review_page_lists_what_is_missing(alice_client):
    eligible(alice_client)
    alice_client.post(reverse("registration:business_company"), step_data("company"))
    review = alice_client.get(reverse("registration:business_review")).content.decode()
    assert "This field is required." in review
    assert "disabled" in review
    response = alice_client.post(reverse("registration:business_review"))
    assert response.status_code == 200
    assert BrandRegistration.objects.get().status == "draft"


def test_public_company_requires_exchange_and_ticker_on_its_step(alice_client):
    eligible(alice_client)
    page = alice_client.post(
        reverse("registration:business_registration"),
        {**step_data("registration", company_status="public"), "action": "next"},
    )
    body = page.content.decode()
    assert "A public company needs its stock exchange." in body
    assert "A public company needs its stock ticker." in body


def test_a_rejection_is_shown_and_can_be_edited_and_resubmitted(setup_flow, alice_client, emulator):
    setup_flow.brand_submit(legal_name="REJECT Outdoor LLC")
    refreshed = alice_client.post(reverse("registration:refresh"), HTTP_HX_REQUEST="true")
    body = refreshed.content.decode()
    assert 'id="brand-failure"' in body and "does not match the records" in body
    assert "Edit and resubmit" in body

    alice_client.post(
        reverse("registration:business_company"),
        {**step_data("company"), "action": "next"},
    )
    alice_client.post(reverse("registration:business_review"))
    alice_client.post(reverse("registration:refresh"))
    setup = alice_client.get(reverse("registration:setup")).content.decode()
    assert 'id="trust-score">80<' in setup
    assert "75</strong> messages per second" in setup


def test_the_use_case_page_explains_which_rule_a_sample_breaks(setup_flow, alice_client):
    setup_flow.brand_submit()
    url = reverse("registration:use_case")
    page = alice_client.post(
        url,
        {
            "description": USE_CASE["description"],
            "sample_1": "Big sale this weekend!",
            "sample_2": "short",
            "consent_methods": ["website"],
            "consent_description": USE_CASE["consent_description"],
            "opt_in_url": "",
            "has_links": "no",
            "has_phone_numbers": "no",
            "action": "next",
        },
    )
    body = page.content.decode()
    assert "Sample 2 has 5 characters; each sample needs 20 to 1,024." in body
    assert "At least one sample must name your business" in body
    assert "At least one sample must tell people how to opt out" in body
    assert "enter the address of the page with the opt-in form" in body
    assert "Confirm that you have read the checklist" in body
    draft = UseCaseRegistration.objects.get().draft
    assert draft["samples"] == ["Big sale this weekend!", "short"]


def test_walk_the_use_case_and_go_on_to_numbers_while_in_review(setup_flow, alice_client):
    setup_flow.brand_approved()
    form = {
        "description": USE_CASE["description"],
        "sample_1": USE_CASE["samples"][0],
        "sample_2": USE_CASE["samples"][1],
        "consent_methods": USE_CASE["consent_methods"],
        "consent_description": USE_CASE["consent_description"],
        "opt_in_url": USE_CASE["opt_in_url"],
        "has_links": "no",
        "has_phone_numbers": "no",
        "acknowledged": "on",
        "action": "next",
    }
    response = alice_client.post(reverse("registration:use_case"), form)
    assert response["Location"] == reverse("registration:use_case_review")
    assert alice_client.post(reverse("registration:use_case_review"))["Location"] == reverse(
        "registration:setup"
    )
    assert UseCaseRegistration.objects.get().status == "in_review"

    numbers = alice_client.get(reverse("registration:numbers"), {"area_code": "415"})
    body = numbers.content.decode()
    assert "(415) 555-0100" in body and 'value="415"' in body
    partial = alice_client.get(
        reverse("registration:numbers"),
        {"area_code": "415"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="number-results",
    )
    assert partial.content.decode().lstrip().startswith('<div id="number-results">')
    bought = alice_client.post(
        reverse("registration:number_buy"), {"phone_number": "+14155550100"}, follow=True
    )
    assert "+14155550100 is yours (pending)." in bought.content.decode()


def test_the_number_search_explains_a_contains_of_the_wrong_length(setup_flow, alice_client):
    setup_flow.use_case_in_review()
    url = reverse("registration:numbers")

    page = alice_client.get(url, {"area_code": "415", "contains": "5"}).content.decode()
    partial = alice_client.get(
        url,
        {"area_code": "415", "contains": "1" * 17},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="number-results",
    ).content.decode()
    found = alice_client.get(url, {"area_code": "415", "contains": "0101"}).content.decode()

    assert "Type 2 to 16 digits the number should contain (you typed 1)" in page
    assert "(415) 555-0100" not in page
    # The browser is told the limits too.
    assert 'minlength="2"' in page and 'maxlength="16"' in page
    assert "Type 2 to 16 digits the number should contain (you typed 17)" in partial
    assert "(415) 555-0101" in found and "(415) 555-0100" not in found


def test_an_unknown_area_code_is_explained(setup_flow, alice_client):
    setup_flow.use_case_in_review()
    page = alice_client.get(reverse("registration:numbers"), {"area_code": "340"})
    assert "340 is not a US area code we can search" in page.content.decode()


def test_number_actions_from_the_numbers_page(setup_flow, alice_client, tenant, monkeypatch):
    number = setup_flow.complete()
    page = alice_client.get(reverse("registration:numbers")).content.decode()
    assert number.e164 in page and "Add branded link" in page and "75 msg/s" in page

    alice_client.post(
        reverse("registration:number_link_domain", args=[number.public_id]),
        {f"{number.public_id}-link_domain": "go.acme.com"},
    )
    number.refresh_from_db()
    assert (number.link_domain, number.link_domain_verified) == ("go.acme.com", False)
    from registration.services import links

    monkeypatch.setattr(links, "resolve_addresses", lambda host: {"127.0.0.1"})
    alice_client.post(reverse("registration:number_link_domain_verify", args=[number.public_id]))
    number.refresh_from_db()
    assert number.link_domain_verified

    alice_client.post(
        reverse("registration:number_users", args=[number.public_id]),
        {f"{number.public_id}-users": [tenant.bob.public_id]},
    )
    assert list(number.users.all()) == [tenant.bob]


def test_number_routes_of_another_account_are_not_found(setup_flow, charlie_client):
    number = setup_flow.complete()
    for name in ("number_link_domain", "number_link_domain_verify", "number_users"):
        url = reverse(f"registration:{name}", args=[number.public_id])
        assert charlie_client.post(url, {}).status_code == 404
    assert PhoneNumber.objects.get().link_domain == ""


def test_the_setup_page_shows_the_history_with_who(setup_flow, alice_client):
    setup_flow.complete()
    page = alice_client.get(reverse("registration:setup")).content.decode()
    assert 'id="setup-complete"' in page
    assert "Business registration submitted" in page and "Number bought" in page
    assert str(setup_flow.tenant.alice) in page


def test_bob_with_the_permission_may_submit(tenant, setup_flow):
    Membership.objects.filter(user=tenant.bob).update(can_setup_sms=True)
    bob = client_for(tenant.bob)
    eligible(bob)
    services.brand_draft_save(account=tenant.account, user=tenant.bob, data=BUSINESS)
    bob.post(reverse("registration:business_review"))
    assert BrandRegistration.objects.get().submitted_by == tenant.bob


POST_ONLY_ROUTES = [
    ("registration:refresh", False),
    ("registration:number_buy", False),
    ("registration:number_link_domain", True),
    ("registration:number_link_domain_verify", True),
    ("registration:number_users", True),
]


@pytest.mark.parametrize(("name", "per_number"), POST_ONLY_ROUTES)
def test_post_only_routes_refuse_a_marketer_without_the_permission(
    setup_flow, tenant, bob_client, name, per_number
):
    number = setup_flow.complete()
    before = (
        PhoneNumber.objects.count(),
        list(PhoneNumber.objects.values_list("link_domain", "link_domain_verified")),
        list(number.users.all()),
    )
    url = reverse(name, args=[number.public_id] if per_number else [])
    data = {
        "phone_number": "+14155550101",
        f"{number.public_id}-link_domain": "go.acme.com",
        f"{number.public_id}-users": [tenant.bob.public_id],
    }

    assert bob_client.post(url, data).status_code == 403

    after = (
        PhoneNumber.objects.count(),
        list(PhoneNumber.objects.values_list("link_domain", "link_domain_verified")),
        list(number.users.all()),
    )
    assert after == before


def test_a_viewer_with_the_permission_may_set_up_sms_on_the_pages(tenant, vera_client):
    Membership.objects.filter(user=tenant.vera).update(can_setup_sms=True)
    eligible(vera_client)
    response = vera_client.post(
        reverse("registration:business_company"), step_data("company", action="save")
    )
    assert response.status_code == 302
    assert BrandRegistration.objects.get().draft["legal_name"] == "Acme Outdoor LLC"


def test_numbers_can_be_searched_by_state(setup_flow, alice_client):
    setup_flow.use_case_in_review()
    url = reverse("registration:numbers")

    for typed in ("California", "ca", " CA "):
        body = alice_client.get(url, {"area_code": typed}).content.decode()
        assert 'id="area-code-choices"' in body, typed
        assert "?area_code=415" in body and "?area_code=213" in body
        assert "?area_code=704" not in body  # North Carolina
        assert "at most 3 characters" not in body

    # A state with one area code, or a datalist label, searches at once.
    vermont = alice_client.get(url, {"area_code": "Vermont"}).content.decode()
    assert "(802) 555-0100" in vermont
    label = alice_client.get(url, {"area_code": "415 (California)"}).content.decode()
    assert "(415) 555-0100" in label

    unknown = alice_client.get(url, {"area_code": "Narnia"}).content.decode()
    assert "“Narnia” is not a US area code or state" in unknown


def test_the_area_code_api_and_the_page_read_a_state_alike(setup_flow, alice_client):
    from registration.areacodes import area_codes_search

    assert {a.state for a in area_codes_search("CA", limit=500)} == {"California"}
    assert {a.state for a in area_codes_search("wy")} == {"Wyoming"}
    assert [a.code for a in area_codes_search("802 (Vermont)")] == ["802"]
