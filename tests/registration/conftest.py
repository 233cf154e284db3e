"""SMS setup tests drive the real twilio SDK against an in-process emulator.

``emulator`` (tests/conftest.py): a running emulator, where reviews finish at the next read
unless a test sets a review delay; ``setup_flow``: helpers that take the tenant through the
steps with the services.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests

from registration import services
from registration.models import BrandRegistration, PhoneNumber, UseCaseRegistration
from tests.conftest import Tenant
from twilio_emulator.server import EmulatorHandle

ELIGIBLE = {"sole_proprietor": False, "categories": ["promotions"], "sending_country": "US"}

BUSINESS = {
    "legal_name": "Acme Outdoor LLC",
    "website": "https://acme-outdoor.example.com",
    "business_type": "llc",
    "industry": "RETAIL",
    "regions": ["USA_AND_CANADA"],
    "street": "1 Market St",
    "street2": "Suite 300",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
    "company_status": "private",
    "stock_exchange": "",
    "stock_ticker": "",
    "registration_number": "12-3456789",
    "contact_first_name": "Alice",
    "contact_last_name": "Admin",
    "contact_email": "alice@acme-outdoor.example.com",
    "contact_phone": "+1 415 555 0142",
    "contact_job_title": "Head of Marketing",
    "contact_job_position": "VP",
}

USE_CASE = {
    "description": (
        "Acme Outdoor sends marketing texts about seasonal sales, new gear arrivals and store "
        "events to customers who signed up on our website or at checkout."
    ),
    "samples": [
        "Acme Outdoor: Spring sale! 20% off all tents this weekend. Reply STOP to opt out.",
        "New hiking boots just arrived at Acme Outdoor. Come try them on this Saturday!",
    ],
    "consent_methods": ["website", "checkout"],
    "consent_description": (
        "Customers tick an unchecked SMS consent box on our signup form and at checkout, "
        "which states the message frequency and that they can reply STOP at any time."
    ),
    "opt_in_url": "https://acme-outdoor.example.com/sms-signup",
    "has_links": False,
    "has_phone_numbers": False,
    "acknowledged": True,
}


def review_control(emulator: EmulatorHandle, **params) -> dict:
    """POST /_emulator/review (Delay, BrandScore, Complete)."""
    response = requests.post(f"{emulator.url}/_emulator/review", data=params, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


@dataclass
class SetupFlow:
    """Takes the tenant (as alice) through SMS setup with the services, step by step."""

    tenant: Tenant
    emulator: EmulatorHandle

    @property
    def account(self):
        return self.tenant.account

    def eligible(self) -> None:
        result = services.eligibility_record(
            account=self.account, user=self.tenant.alice, answers=ELIGIBLE
        )
        assert result.eligible

    def brand_submit(self, **changes) -> BrandRegistration:
        self.eligible()
        services.brand_draft_save(
            account=self.account, user=self.tenant.alice, data={**BUSINESS, **changes}
        )
        brand, submitted = services.brand_registration_submit(
            account=self.account, user=self.tenant.alice
        )
        assert submitted
        return brand

    def poll(self) -> None:
        report = services.registration_status_poll(account=self.account)
        assert not report.errors, report.errors

    def brand_approved(self, **changes) -> BrandRegistration:
        self.brand_submit(**changes)
        self.poll()
        return BrandRegistration.objects.get(account=self.account)

    def use_case_submit(self, **changes) -> UseCaseRegistration:
        services.use_case_draft_save(
            account=self.account, user=self.tenant.alice, data={**USE_CASE, **changes}
        )
        use_case, submitted = services.use_case_submit(account=self.account, user=self.tenant.alice)
        assert submitted
        return use_case

    def use_case_in_review(self, **changes) -> UseCaseRegistration:
        """Brand approved, use case sent to Twilio (campaign IN_PROGRESS)."""
        self.brand_approved()
        use_case = self.use_case_submit(**changes)
        assert use_case.status == "in_review", use_case.failure_reason
        return use_case

    def number_buy(self, phone_number: str = "+14155550100") -> PhoneNumber:
        return services.number_purchase(
            account=self.account, user=self.tenant.alice, phone_number=phone_number
        )

    def complete(self) -> PhoneNumber:
        """Brand and use case approved, one active number."""
        self.use_case_in_review()
        self.poll()
        number = self.number_buy()
        assert number.status == PhoneNumber.Status.ACTIVE
        return number


@pytest.fixture
def setup_flow(tenant, emulator) -> SetupFlow:
    return SetupFlow(tenant, emulator)
