"""The periodic poller task, and the demo account's number."""

from __future__ import annotations

import pytest

from registration.demo import demo_number_ensure
from registration.models import BrandRegistration, PhoneNumber
from registration.tasks import registration_status_poll_task
from tests.registration.conftest import review_control

pytestmark = pytest.mark.django_db


def test_the_poll_task_carries_every_account_forward(setup_flow, twilio_emulator):
    review_control(twilio_emulator, Delay="3600")
    setup_flow.brand_submit()
    assert registration_status_poll_task.delay().get()["brands"] == 1
    assert BrandRegistration.objects.get().status == "in_review"

    review_control(twilio_emulator, Complete="true")
    result = registration_status_poll_task.delay().get()

    assert result == {"brands": 1, "use_cases": 0, "numbers": 0, "errors": 0}
    assert BrandRegistration.objects.get().status == "approved"


def test_the_poll_task_survives_an_unreachable_twilio(setup_flow, twilio_emulator, settings):
    review_control(twilio_emulator, Delay="3600")
    setup_flow.brand_submit()
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    result = registration_status_poll_task.delay().get()
    assert result["errors"] == 1
    assert BrandRegistration.objects.get().status == "in_review"


def test_the_demo_number_is_active_and_made_once(tenant):
    number = demo_number_ensure(tenant.account)
    assert number.is_demo and number.status == PhoneNumber.Status.ACTIVE
    assert number.e164.startswith("+1415555") and number.sms_capable
    assert number.messages_per_second == 10
    assert demo_number_ensure(tenant.account).pk == number.pk
    other = demo_number_ensure(tenant.other_account)
    assert other.e164 != number.e164
