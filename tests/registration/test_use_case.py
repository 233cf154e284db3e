"""Step 2: the SMS use case, its Messaging Service and Usa2p campaign, reviewed by the emulator."""

from __future__ import annotations

import pytest

from registration import selectors, services
from registration.models import (
    BrandRegistration,
    PhoneNumber,
    RegistrationEvent,
    TwilioSubaccount,
    UseCaseRegistration,
)
from tests.registration.conftest import USE_CASE, review_control

pytestmark = pytest.mark.django_db


def campaigns(emulator) -> list[dict]:
    return list(emulator.state.registry["campaigns"].values())


def test_the_use_case_needs_the_business_registration_first(tenant, emulator):
    services.use_case_draft_save(account=tenant.account, user=tenant.alice, data=USE_CASE)
    with pytest.raises(services.RegistrationError, match="step 1"):
        services.use_case_submit(account=tenant.account, user=tenant.alice)


def test_a_use_case_waits_for_the_brand_with_its_messaging_service_ready(
    setup_flow, emulator, settings
):
    review_control(emulator, Delay="3600")
    setup_flow.brand_submit()

    use_case = setup_flow.use_case_submit()

    assert use_case.status == "submitted"
    assert use_case.submitted_by == setup_flow.tenant.alice
    subaccount = TwilioSubaccount.objects.get(account=setup_flow.account)
    service = emulator.state.services[subaccount.messaging_service_sid]
    assert service["account_sid"] == subaccount.sid
    assert service["inbound_request_url"] == f"{settings.PUBLIC_BASE_URL}/webhooks/twilio/inbound"
    assert service["status_callback"] == f"{settings.PUBLIC_BASE_URL}/webhooks/twilio/status"
    assert service["usecase"] == "marketing"
    assert campaigns(emulator) == []
    setup_flow.poll()  # the brand is still in review: the use case keeps waiting
    assert UseCaseRegistration.objects.get().status == "submitted"

    review_control(emulator, Complete="true")
    setup_flow.poll()  # brand approved, then the campaign goes to Twilio

    use_case.refresh_from_db()
    assert use_case.status == "in_review"
    (campaign,) = campaigns(emulator)
    assert campaign["sid"] == use_case.campaign_sid
    assert campaign["messaging_service_sid"] == subaccount.messaging_service_sid
    assert campaign["us_app_to_person_usecase"] == "MARKETING"
    assert campaign["description"] == USE_CASE["description"]
    assert campaign["message_samples"] == USE_CASE["samples"]
    assert "https://acme-outdoor.example.com/sms-signup" in campaign["message_flow"]
    assert campaign["has_embedded_links"] is False
    assert "STOP" in campaign["opt_out_keywords"]

    review_control(emulator, Complete="true")
    setup_flow.poll()
    use_case.refresh_from_db()
    assert use_case.status == "approved" and use_case.campaign_id.startswith("C")


def test_rejection_and_resubmission(setup_flow, emulator):
    description = "REJECT " + USE_CASE["description"]
    use_case = setup_flow.use_case_in_review(description=description)
    setup_flow.poll()
    use_case.refresh_from_db()
    assert use_case.status == "failed"
    assert "not detailed enough" in use_case.failure_reason
    first_sid = use_case.campaign_sid

    services.use_case_draft_save(
        account=setup_flow.account,
        user=setup_flow.tenant.alice,
        data={"description": USE_CASE["description"]},
    )
    use_case, submitted = services.use_case_submit(
        account=setup_flow.account, user=setup_flow.tenant.alice
    )
    assert submitted and use_case.status == "in_review"
    assert use_case.campaign_sid == first_sid
    (campaign,) = campaigns(emulator)
    assert campaign["description"] == USE_CASE["description"]
    setup_flow.poll()
    use_case.refresh_from_db()
    assert (use_case.status, use_case.failure_reason) == ("approved", "")
    kinds = list(
        RegistrationEvent.objects.filter(kind__startswith="use_case").values_list("kind", flat=True)
    )
    assert kinds.count("use_case_submitted") == 2 and "use_case_failed" in kinds


def test_submitting_twice_creates_one_campaign(setup_flow, emulator):
    setup_flow.use_case_in_review()
    again, submitted = services.use_case_submit(
        account=setup_flow.account, user=setup_flow.tenant.alice
    )
    assert not submitted
    assert len(campaigns(emulator)) == 1
    assert len(emulator.state.services) == 1


def test_an_invalid_use_case_is_not_submitted(setup_flow):
    setup_flow.brand_submit()
    services.use_case_draft_save(
        account=setup_flow.account,
        user=setup_flow.tenant.alice,
        data={**USE_CASE, "samples": ["Too short"]},
    )
    with pytest.raises(services.RegistrationInvalid) as raised:
        services.use_case_submit(account=setup_flow.account, user=setup_flow.tenant.alice)
    assert raised.value.errors["samples"][0] == "Give 2 to 5 sample messages; you gave 1."
    assert UseCaseRegistration.objects.get().status == "draft"


def test_approval_activates_the_numbers_in_the_service(setup_flow, emulator):
    setup_flow.use_case_in_review()
    number = setup_flow.number_buy()
    assert number.status == PhoneNumber.Status.PENDING

    setup_flow.poll()

    number.refresh_from_db()
    assert number.status == PhoneNumber.Status.ACTIVE
    assert RegistrationEvent.objects.filter(kind="number_activated").count() == 1


def test_a_use_case_waiting_for_a_rejected_brand_can_be_corrected(setup_flow, emulator):
    """Submitted while the business was in review, then the business was rejected: the use case
    goes back to draft, and what reaches Twilio later is the corrected version."""
    review_control(emulator, Delay="3600")
    setup_flow.brand_submit(legal_name="REJECT Acme Outdoor LLC")
    setup_flow.use_case_submit()
    review_control(emulator, Complete="true")
    setup_flow.poll()

    use_case = UseCaseRegistration.objects.get()
    assert use_case.status == "draft" and use_case.is_editable
    assert "business registration was rejected" in use_case.failure_reason
    assert RegistrationEvent.objects.filter(kind="use_case_returned").count() == 1
    overview = selectors.setup_overview(setup_flow.account)
    assert (overview.current_step, overview.under_way) == (1, False)
    with pytest.raises(services.RegistrationError, match="business registration was rejected"):
        services.use_case_submit(account=setup_flow.account, user=setup_flow.tenant.alice)

    # The business is corrected and resubmitted; the samples name it by its new name.
    alice = setup_flow.tenant.alice
    services.brand_draft_save(
        account=setup_flow.account, user=alice, data={"legal_name": "Summit Gear LLC"}
    )
    services.brand_registration_submit(account=setup_flow.account, user=alice)
    samples = [
        "Summit Gear: Spring sale! 20% off all tents this weekend. Reply STOP to opt out.",
        "New hiking boots just arrived at Summit Gear. Come try them on this Saturday!",
    ]
    services.use_case_draft_save(account=setup_flow.account, user=alice, data={"samples": samples})
    review_control(emulator, Complete="true")
    setup_flow.poll()
    # The business is approved; the use case, not resubmitted yet, stays ours.
    assert BrandRegistration.objects.get().status == "approved"
    assert UseCaseRegistration.objects.get().status == "draft"
    assert campaigns(emulator) == []
    assert selectors.setup_overview(setup_flow.account).current_step == 2

    use_case, submitted = services.use_case_submit(account=setup_flow.account, user=alice)
    assert submitted and use_case.status == "in_review"
    assert use_case.failure_reason == ""
    (campaign,) = campaigns(emulator)
    assert campaign["message_samples"] == samples


def test_a_use_case_already_at_twilio_is_left_alone_when_the_brand_fails(setup_flow):
    use_case = setup_flow.use_case_in_review()
    brand = BrandRegistration.objects.get()
    BrandRegistration.objects.filter(pk=brand.pk).update(status="failed")
    UseCaseRegistration.objects.filter(pk=use_case.pk).update(status="submitted")

    services.use_case_provision(registration_id=use_case.pk)

    use_case.refresh_from_db()
    assert use_case.status != "draft" and use_case.campaign_sid
