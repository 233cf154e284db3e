"""A new admin takes the account from nothing to an approved number, in the browser."""

from __future__ import annotations

import pytest

from registration.models import BrandRegistration, PhoneNumber, UseCaseRegistration
from tests.conftest import PASSWORD
from tests.registration.conftest import USE_CASE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_walk_sms_setup_to_an_approved_number(page, tenant, emulator):
    page.goto("/login/")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#settings-menu summary").click()
    page.get_by_role("link", name="SMS setup").click()
    page.get_by_role("heading", name="SMS setup").wait_for()
    assert "US Virgin Islands" in page.locator("#destination-notice").inner_text()

    # Eligibility
    page.get_by_role("link", name="Check eligibility").click()
    page.locator("#id_sole_proprietor_1").check()  # No
    page.get_by_label("Promotions, sales and offers").check()
    page.get_by_label("United States (+1)").check()
    page.get_by_role("button", name="Check eligibility").click()

    # Step 1: the business, four pages and a review
    page.get_by_role("heading", name="Company").wait_for()
    page.get_by_label("Legal business name").fill("Acme Outdoor LLC")
    page.get_by_label("Website URL").fill("https://acme-outdoor.example.com")
    page.get_by_label("Business type").select_option("llc")
    page.get_by_label("Industry").select_option("RETAIL")
    page.get_by_label("USA and Canada").check()
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_role("heading", name="Address").wait_for()
    page.get_by_label("Street address").fill("1 Market St")
    page.get_by_label("City").fill("San Francisco")
    page.get_by_label("State or province").select_option("CA")
    page.get_by_label("ZIP or postal code").fill("94105")
    page.get_by_label("Country").select_option("US")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_role("heading", name="Registration").wait_for()
    page.get_by_label("Private").check()
    page.get_by_label("Business registration number").fill("12-3456789")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_role("heading", name="Point of contact").wait_for()
    page.get_by_label("First name").fill("Alice")
    page.get_by_label("Last name").fill("Admin")
    page.get_by_label("Business email").fill("alice@acme-outdoor.example.com")
    page.get_by_label("Phone").fill("415 555 0142")
    page.get_by_label("Job title").fill("Head of Marketing")
    page.get_by_label("Position").select_option("VP")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_role("heading", name="Review your business registration").wait_for()
    assert "12-3456789" in page.content()
    page.get_by_role("button", name="Submit registration").click()

    # The setup page asks Twilio by itself until the brand is approved.
    page.locator("#brand-approved").wait_for()
    assert page.locator("#trust-score").inner_text() == "80"

    # Step 2: the SMS use case
    page.locator("#use-case-start").click()
    page.get_by_label("Campaign description").fill(USE_CASE["description"])
    page.get_by_label("Sample message 1").fill(USE_CASE["samples"][0])
    page.get_by_label("Sample message 2").fill(USE_CASE["samples"][1])
    page.get_by_label("A form on our website").check()
    page.get_by_label("Describe how consent is collected").fill(USE_CASE["consent_description"])
    page.get_by_label("Opt-in page URL").fill(USE_CASE["opt_in_url"])
    page.locator("#id_has_links_1").check()
    page.locator("#id_has_phone_numbers_1").check()
    page.get_by_label("Got it").check()
    page.get_by_role("button", name="Save and review").click()
    page.get_by_role("button", name="Submit SMS use case").click()
    page.locator(
        '#step-use-case [data-status="in_review"], #step-use-case [data-status="approved"]'
    ).first.wait_for()

    # Step 3: a number, while the use case may still be in review
    page.locator("#numbers-start").click()
    page.get_by_label("Area code").fill("415")
    page.get_by_role("button", name="Search numbers").click()
    page.locator("#number-results table").wait_for()
    page.locator("#number-results summary").first.click()
    page.get_by_role("button", name="Buy (415) 555-0100").click()
    page.locator('#phone-numbers tr[data-e164="+14155550100"]').wait_for()
    assert "+14155550100 is yours" in page.locator(".flash").inner_text()

    page.locator("nav[aria-label=breadcrumb] a").first.click()
    page.locator("#setup-complete").wait_for()
    page.goto("/settings/sms/numbers/")
    row = page.locator('tr[data-e164="+14155550100"]')
    assert row.locator('[data-status="active"]').is_visible()
    assert "75 msg/s" in row.inner_text()

    assert BrandRegistration.objects.get().status == "approved"
    assert UseCaseRegistration.objects.get().status == "approved"
    assert PhoneNumber.objects.get().status == PhoneNumber.Status.ACTIVE
