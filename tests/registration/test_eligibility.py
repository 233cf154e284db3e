"""Who may register: sole proprietors, prohibited categories and non-US senders are refused."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services import api_token_create
from registration import services
from registration.eligibility import (
    DESTINATION_NOTICE,
    PROHIBITED_CATEGORIES,
    eligibility_check,
    sender_number_is_us,
)
from registration.models import BrandRegistration, RegistrationEvent
from tests.registration.conftest import BUSINESS, ELIGIBLE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"sole_proprietor": True}, "Sole proprietors can't register"),
        ({"categories": ["promotions", "cannabis"]}, "Cannabis, CBD or other drugs"),
        ({"categories": ["debt_collection"]}, "Third-party debt collection"),
        ({"categories": ["high_risk_financial"]}, "High-risk financial services"),
        ({"categories": ["gambling"]}, "Gambling"),
        ({"categories": ["firearms"]}, "Firearms"),
        ({"sending_country": "other"}, "Only US phone numbers can send"),
    ],
)
def test_refusals_give_the_reason(changes, reason):
    result = eligibility_check({**ELIGIBLE, **changes})
    assert not result.eligible
    assert any(reason in r for r in result.reasons), result.reasons


def test_every_reason_is_given_at_once():
    result = eligibility_check(
        {"sole_proprietor": True, "categories": ["gambling"], "sending_country": "other"}
    )
    assert len(result.reasons) == 3


def test_the_prohibited_list_lives_in_one_place():
    for key in ("high_risk_financial", "debt_collection", "debt_forgiveness", "gambling"):
        assert key in PROHIBITED_CATEGORIES
    assert {"cannabis", "firearms"} <= set(PROHIBITED_CATEGORIES)


@pytest.mark.parametrize(
    ("e164", "us"),
    [
        ("+14155550100", True),
        ("+13405550100", False),  # US Virgin Islands
        ("+14165550100", False),  # Toronto
        ("+17875550100", False),  # Puerto Rico
        ("+442071838750", False),
        ("garbage", False),
    ],
)
def test_only_us_numbers_may_send(e164, us):
    assert sender_number_is_us(e164) is us


def test_a_refusal_is_recorded_with_who_and_blocks_submission(tenant):
    answers = {**ELIGIBLE, "categories": ["gambling"]}
    result = services.eligibility_record(account=tenant.account, user=tenant.alice, answers=answers)
    assert not result.eligible
    event = RegistrationEvent.objects.get(account=tenant.account)
    assert (event.kind, event.user) == ("eligibility_refused", tenant.alice)
    assert "Gambling" in event.detail["reasons"][0]

    services.brand_draft_save(account=tenant.account, user=tenant.alice, data=BUSINESS)
    with pytest.raises(services.RegistrationError, match="prohibited"):
        services.brand_registration_submit(account=tenant.account, user=tenant.alice)
    assert BrandRegistration.objects.get(account=tenant.account).status == "draft"


def test_submission_needs_the_eligibility_answers(tenant):
    services.brand_draft_save(account=tenant.account, user=tenant.alice, data=BUSINESS)
    with pytest.raises(services.RegistrationError, match="eligibility"):
        services.brand_registration_submit(account=tenant.account, user=tenant.alice)


def test_the_eligibility_page_refuses_with_the_reason_and_the_destination_rule(alice_client):
    url = reverse("registration:eligibility")
    page = alice_client.get(url)
    assert DESTINATION_NOTICE in page.content.decode()
    assert "US Virgin Islands" in DESTINATION_NOTICE

    refused = alice_client.post(
        url, {"sole_proprietor": "yes", "categories": ["cannabis"], "sending_country": "US"}
    )
    body = refused.content.decode()
    assert refused.status_code == 200
    assert "Sole proprietors can&#x27;t register" in body
    assert "Cannabis, CBD or other drugs" in body
    # The refusal stays visible when the page is opened again.
    assert "Cannabis, CBD or other drugs" in alice_client.get(url).content.decode()

    accepted = alice_client.post(
        url, {"sole_proprietor": "no", "categories": ["promotions"], "sending_country": "US"}
    )
    assert accepted.status_code == 302
    assert accepted["Location"] == reverse("registration:business_company")


def test_the_eligibility_form_requires_every_answer(alice_client):
    page = alice_client.post(reverse("registration:eligibility"), {})
    assert page.status_code == 200
    assert "Choose at least one category." in page.content.decode()
    assert not BrandRegistration.objects.filter(eligible_at__isnull=False).exists()


REFUSED = {"sole_proprietor": "yes", "categories": ["cannabis"], "sending_country": "US"}


def test_eligibility_cannot_be_reanswered_once_the_business_is_submitted(setup_flow, alice_client):
    brand = setup_flow.brand_approved()
    eligible_at = brand.eligible_at
    with pytest.raises(services.RegistrationError, match="submitted"):
        services.eligibility_record(
            account=setup_flow.account,
            user=setup_flow.tenant.alice,
            answers={**ELIGIBLE, "categories": ["gambling"]},
        )

    url = reverse("registration:eligibility")
    page = alice_client.get(url).content.decode()
    assert "can be changed only if it is rejected" in page
    assert "Check eligibility</button>" not in page
    response = alice_client.post(url, REFUSED, follow=True)
    assert "can be changed only if it is rejected" in response.content.decode()

    brand.refresh_from_db()
    assert (brand.eligible_at, brand.eligibility["categories"]) == (eligible_at, ["promotions"])
    setup = alice_client.get(reverse("registration:setup")).content.decode()
    assert "Not eligible" not in setup and "Approved" in setup
    assert not RegistrationEvent.objects.filter(kind="eligibility_refused").exists()


def test_eligibility_over_the_api_is_refused_once_submitted(setup_flow):
    setup_flow.brand_approved()
    _, raw = api_token_create(account=setup_flow.account, user=setup_flow.tenant.alice, name="t")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        "/api/v1/sms-setup/eligibility",
        {"sole_proprietor": True, "categories": ["gambling"], "sending_country": "US"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_editable"
    assert BrandRegistration.objects.get().eligible_at is not None


def test_eligibility_may_be_reanswered_after_a_rejection(setup_flow, alice_client):
    setup_flow.brand_approved(legal_name="REJECT Acme Outdoor LLC")
    assert BrandRegistration.objects.get().status == "failed"
    response = alice_client.post(reverse("registration:eligibility"), REFUSED)
    assert response.status_code == 200
    assert BrandRegistration.objects.get().eligible_at is None
