"""Step 1: the business registration, sent to Twilio through the SDK, reviewed by the emulator."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from registration import services
from registration.models import (
    BrandRegistration,
    RegistrationEvent,
    TwilioSubaccount,
)
from registration.services import brand as brand_services
from tests.factories import PhoneNumberFactory
from tests.registration.conftest import BUSINESS, review_control
from twilio_gateway import provisioning as gateway
from twilio_gateway.errors import PermanentSendError, TransientSendError

pytestmark = pytest.mark.django_db


def registry(emulator, collection: str) -> list[dict]:
    return list(emulator.state.registry[collection].values())


def test_submission_creates_the_twilio_resources_and_the_brand(setup_flow, emulator):
    brand = setup_flow.brand_submit()

    assert brand.status == "in_review"
    assert brand.twilio_status == "PENDING"
    assert brand.submitted_by == setup_flow.tenant.alice and brand.submitted_at
    subaccount = TwilioSubaccount.objects.get(account=setup_flow.account)
    assert emulator.state.accounts[subaccount.sid]["friendly_name"].startswith("Acme Outdoor")
    end_users = {u["type"]: u for u in registry(emulator, "end_users")}
    business = end_users["customer_profile_business_information"]["attributes"]
    assert business["business_name"] == "Acme Outdoor LLC"
    assert business["business_registration_number"] == "12-3456789"
    assert business["business_type"] == "Limited Liability Corporation"
    assert business["business_regions_of_operation"] == "USA_AND_CANADA"
    representative = end_users["authorized_representative_1"]["attributes"]
    assert representative["phone_number"] == "+14155550142"
    assert end_users["us_a2p_messaging_profile_information"]["attributes"] == {
        "company_type": "private"
    }
    (address,) = registry(emulator, "addresses")
    assert (address["street"], address["region"], address["iso_country"]) == (
        "1 Market St",
        "CA",
        "US",
    )
    bundles = {b["_kind"]: b for b in registry(emulator, "bundles")}
    assert bundles["customer_profile"]["sid"] == brand.customer_profile_sid
    assert bundles["customer_profile"]["status"] == "twilio-approved"  # reviewed at once here
    assert bundles["trust_product"]["sid"] == brand.trust_product_sid
    (twilio_brand,) = registry(emulator, "brands")
    assert twilio_brand["sid"] == brand.brand_sid
    assert twilio_brand["account_sid"] == subaccount.sid
    assert twilio_brand["brand_type"] == "STANDARD"
    kinds = list(
        RegistrationEvent.objects.filter(account=setup_flow.account)
        .order_by("pk")
        .values_list("kind", "user__email")
    )
    assert kinds == [
        ("eligibility_passed", "alice@example.com"),
        ("brand_submitted", "alice@example.com"),
        ("brand_in_review", None),
    ]


def test_approval_records_the_trust_score_and_the_throughput(setup_flow, emulator):
    review_control(emulator, BrandScore="62")
    existing = PhoneNumberFactory(account=setup_flow.account, e164="+14155550177")
    demo = PhoneNumberFactory(
        account=setup_flow.account, e164="+14155550199", is_demo=True, messages_per_second=10
    )
    setup_flow.brand_submit()

    setup_flow.poll()

    brand = BrandRegistration.objects.get(account=setup_flow.account)
    assert (brand.status, brand.twilio_status, brand.trust_score) == ("approved", "APPROVED", 62)
    assert brand.tcr_id.startswith("B") and brand.approved_at
    existing.refresh_from_db()
    assert (existing.messages_per_second, existing.tmobile_daily_cap) == (40, 40_000)
    demo.refresh_from_db()
    assert demo.messages_per_second == 10  # the demo number keeps its own rate
    assert RegistrationEvent.objects.filter(kind="brand_approved").get().detail["trust_score"] == 62
    # Polling again changes nothing and records nothing.
    setup_flow.poll()
    assert RegistrationEvent.objects.filter(kind="brand_approved").count() == 1


def test_the_review_takes_its_time(setup_flow, emulator):
    review_control(emulator, Delay="3600")
    setup_flow.brand_submit()
    setup_flow.poll()
    assert BrandRegistration.objects.get().status == "in_review"

    assert review_control(emulator, Complete="true")["completed"] >= 1
    setup_flow.poll()
    assert BrandRegistration.objects.get().status == "approved"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"legal_name": "REJECT Outdoor LLC"}, "does not match the records"),
        ({"registration_number": "00-0000000"}, "not found in the IRS records"),
    ],
)
def test_rejection_shows_the_reason_and_resubmission_fixes_it(
    setup_flow, emulator, changes, reason
):
    setup_flow.brand_submit(**changes)
    setup_flow.poll()
    brand = BrandRegistration.objects.get()
    assert brand.status == "failed"
    assert reason in brand.failure_reason
    assert brand.is_editable
    first_brand_sid = brand.brand_sid

    services.brand_draft_save(
        account=setup_flow.account,
        user=setup_flow.tenant.bob,
        data={"legal_name": "Acme Outdoor LLC", "registration_number": "12-3456789"},
    )
    brand, submitted = services.brand_registration_submit(
        account=setup_flow.account, user=setup_flow.tenant.bob
    )
    assert submitted and brand.status == "in_review"
    assert (brand.submission_count, brand.submitted_by) == (2, setup_flow.tenant.bob)
    assert brand.brand_sid == first_brand_sid  # the same brand, resubmitted
    assert len(registry(emulator, "brands")) == 1
    assert len(registry(emulator, "end_users")) == 3  # updated, not duplicated
    business = next(u for u in registry(emulator, "end_users") if u["type"].startswith("customer"))
    assert business["attributes"]["business_name"] == "Acme Outdoor LLC"
    setup_flow.poll()
    brand.refresh_from_db()
    assert (brand.status, brand.failure_reason) == ("approved", "")
    kinds = list(RegistrationEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds.count("brand_submitted") == 2 and "brand_failed" in kinds


def test_a_public_company_sends_its_exchange_and_ticker(setup_flow, emulator):
    setup_flow.brand_submit(company_status="public", stock_exchange="NASDAQ", stock_ticker="ACME")
    profile = next(u for u in registry(emulator, "end_users") if u["type"].startswith("us_a2p"))
    assert profile["attributes"] == {
        "company_type": "public",
        "stock_exchange": "NASDAQ",
        "stock_ticker": "ACME",
    }


def test_an_invalid_draft_is_not_submitted(setup_flow, emulator):
    setup_flow.eligible()
    services.brand_draft_save(
        account=setup_flow.account,
        user=setup_flow.tenant.alice,
        data={**BUSINESS, "registration_number": "12-34", "contact_email": ""},
    )
    with pytest.raises(services.RegistrationInvalid) as raised:
        services.brand_registration_submit(account=setup_flow.account, user=setup_flow.tenant.alice)
    assert set(raised.value.errors) == {"registration_number", "contact_email"}
    assert BrandRegistration.objects.get().status == "draft"
    assert not TwilioSubaccount.objects.exists()
    assert registry(emulator, "end_users") == []


def test_a_submitted_registration_cannot_be_edited(setup_flow):
    setup_flow.brand_submit()
    with pytest.raises(services.RegistrationError, match="only if it is rejected"):
        services.brand_draft_save(
            account=setup_flow.account, user=setup_flow.tenant.alice, data={"legal_name": "X"}
        )


def test_submitting_twice_creates_one_registration(setup_flow, emulator):
    setup_flow.brand_submit()
    again, submitted = services.brand_registration_submit(
        account=setup_flow.account, user=setup_flow.tenant.alice
    )
    assert not submitted and again.status == "in_review"
    assert len(registry(emulator, "brands")) == 1
    assert len(emulator.state.accounts) == 2  # the master and one subaccount
    assert RegistrationEvent.objects.filter(kind="brand_submitted").count() == 1


def test_a_submission_that_loses_the_claim_does_nothing(setup_flow, emulator, monkeypatch):
    """Two tabs: both read a draft, the other one claims it first."""
    setup_flow.eligible()
    services.brand_draft_save(
        account=setup_flow.account, user=setup_flow.tenant.alice, data=BUSINESS
    )
    real_validate = brand_services.business_validate

    def other_tab_wins(data, **kwargs):
        BrandRegistration.objects.update(status="submitted")
        return real_validate(data, **kwargs)

    monkeypatch.setattr(brand_services, "business_validate", other_tab_wins)
    brand, submitted = services.brand_registration_submit(
        account=setup_flow.account, user=setup_flow.tenant.alice
    )
    assert not submitted and brand.status == "submitted"
    assert registry(emulator, "end_users") == []
    assert not RegistrationEvent.objects.filter(kind="brand_submitted").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_create_one_brand(tenant, emulator):
    from tests.registration.conftest import SetupFlow

    flow = SetupFlow(tenant, emulator)
    flow.eligible()
    services.brand_draft_save(account=tenant.account, user=tenant.alice, data=BUSINESS)
    barrier = threading.Barrier(4)
    results = []

    def submit():
        barrier.wait()
        try:
            results.append(
                services.brand_registration_submit(account=tenant.account, user=tenant.alice)[1]
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert len(registry(emulator, "brands")) == 1
    assert len(emulator.state.accounts) == 2


def test_an_unreachable_twilio_leaves_it_submitted_and_the_poller_resumes(
    setup_flow, emulator, monkeypatch
):
    real_create = gateway.trust_bundle_create
    calls = []

    def flaky_create(**kwargs):
        calls.append(kwargs["kind"])
        if len(calls) == 1:
            raise TransientSendError(None, "Connection refused", outcome_unknown=False)
        return real_create(**kwargs)

    monkeypatch.setattr(gateway, "trust_bundle_create", flaky_create)
    brand = setup_flow.brand_submit()
    assert brand.status == "submitted"
    assert "Twilio could not be reached" in brand.provision_error
    assert brand.business_end_user_sid and not brand.customer_profile_sid

    setup_flow.poll()

    brand.refresh_from_db()
    assert brand.status == "in_review" and brand.provision_error == ""
    # Resumed, not restarted: nothing was created twice.
    assert len(registry(emulator, "end_users")) == 3
    assert len(registry(emulator, "addresses")) == 1
    assert len(registry(emulator, "bundles")) == 2
    assert len(registry(emulator, "brands")) == 1


def test_a_brand_whose_answer_was_lost_is_adopted(setup_flow, emulator, monkeypatch):
    real_create = gateway.brand_registration_create
    answered = []

    def lost_answer(**kwargs):
        real_create(**kwargs)
        if not answered:
            answered.append(True)
            raise TransientSendError(20504, "Gateway Timeout", outcome_unknown=True)
        return real_create(**kwargs)

    monkeypatch.setattr(gateway, "brand_registration_create", lost_answer)
    brand = setup_flow.brand_submit()
    assert brand.status == "submitted" and not brand.brand_sid

    setup_flow.poll()  # creating again answers 409: the brand is found and adopted

    brand.refresh_from_db()
    (twilio_brand,) = registry(emulator, "brands")
    assert brand.brand_sid == twilio_brand["sid"]
    assert brand.status in ("in_review", "approved")


def test_twilio_refusing_the_content_rejects_it_with_the_reason(setup_flow, emulator, monkeypatch):
    def refuse(**kwargs):
        raise PermanentSendError(20001, "Invalid website_url", status=400)

    monkeypatch.setattr(gateway, "end_user_create", refuse)
    brand = setup_flow.brand_submit()
    assert brand.status == "failed"
    assert brand.failure_reason == "Twilio refused the registration: Invalid website_url"
    assert brand.is_editable


def test_moving_the_address_to_another_country_replaces_it(setup_flow, emulator):
    setup_flow.brand_submit(legal_name="REJECT Outdoor LLC")
    setup_flow.poll()
    first = BrandRegistration.objects.get()
    canada = {
        "legal_name": "Acme Outdoor LLC",
        "country": "CA",
        "region": "ON",
        "city": "Ottawa",
        "postal_code": "K1A 0B1",
        "registration_number": "123456789",
    }
    services.brand_draft_save(account=setup_flow.account, user=setup_flow.tenant.alice, data=canada)
    brand, _ = services.brand_registration_submit(
        account=setup_flow.account, user=setup_flow.tenant.alice
    )
    assert brand.address_sid != first.address_sid and brand.address_country == "CA"
    document = emulator.state.registry["documents"][brand.address_document_sid]
    assert document["attributes"] == {"address_sids": brand.address_sid}
    business = next(u for u in registry(emulator, "end_users") if u["type"].startswith("customer"))
    assert business["attributes"]["business_registration_identifier"] == "CBN"
    setup_flow.poll()
    assert BrandRegistration.objects.get().status == "approved"
