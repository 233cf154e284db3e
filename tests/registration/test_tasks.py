"""The periodic poller task."""

from __future__ import annotations

import pytest

from registration.models import BrandRegistration
from registration.tasks import registration_status_poll_task
from tests.registration.conftest import review_control

pytestmark = pytest.mark.django_db


def test_the_poll_task_carries_every_account_forward(setup_flow, emulator):
    review_control(emulator, Delay="3600")
    setup_flow.brand_submit()
    assert registration_status_poll_task.delay().get()["brands"] == 1
    assert BrandRegistration.objects.get().status == "in_review"

    review_control(emulator, Complete="true")
    result = registration_status_poll_task.delay().get()

    assert result == {"brands": 1, "use_cases": 0, "numbers": 0, "errors": 0}
    assert BrandRegistration.objects.get().status == "approved"


def test_the_poll_task_survives_an_unreachable_twilio(setup_flow, emulator, settings):
    review_control(emulator, Delay="3600")
    setup_flow.brand_submit()
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    result = registration_status_poll_task.delay().get()
    assert result["errors"] == 1
    assert BrandRegistration.objects.get().status == "in_review"
