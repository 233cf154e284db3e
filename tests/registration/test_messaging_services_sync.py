"""After PUBLIC_BASE_URL changes, Messaging Services are pointed at the new webhook URLs by
`manage.py messaging_services_sync`, and `check --deploy --database default` reports the ones
that still post to the old ones."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command

from registration.models import TwilioSubaccount

pytestmark = pytest.mark.django_db

NEW_BASE = "https://sms.example.com"


def held_webhooks(emulator, service_sid: str) -> tuple[str, str]:
    service = emulator.state.services[service_sid]
    return service["inbound_request_url"], service["status_callback"]


def sync(*args: str) -> str:
    out = StringIO()
    call_command("messaging_services_sync", *args, stdout=out, stderr=out)
    return out.getvalue()


def deploy_problems(**kwargs) -> list[str]:
    return [
        problem.id
        for problem in run_checks(include_deployment_checks=True, tags=["twilio"], **kwargs)
    ]


@pytest.fixture
def service_sid(setup_flow) -> str:
    setup_flow.use_case_in_review()
    return TwilioSubaccount.objects.get(account=setup_flow.account).messaging_service_sid


def test_a_changed_public_base_url_reaches_the_messaging_service(service_sid, emulator, settings):
    old = held_webhooks(emulator, service_sid)
    assert old == (
        f"{settings.PUBLIC_BASE_URL}/webhooks/twilio/inbound",
        f"{settings.PUBLIC_BASE_URL}/webhooks/twilio/status",
    )
    settings.PUBLIC_BASE_URL = NEW_BASE

    with pytest.raises(CommandError, match="Run `manage.py messaging_services_sync`"):
        sync("--check")
    assert held_webhooks(emulator, service_sid) == old  # --check changes nothing
    assert deploy_problems(databases=["default"]) == ["registration.E001"]

    output = sync()

    assert f"updated: {service_sid} (Acme Outdoor): InboundRequestUrl is '{old[0]}'" in output
    assert "1 of 1 Messaging Services updated" in output
    assert held_webhooks(emulator, service_sid) == (
        f"{NEW_BASE}/webhooks/twilio/inbound",
        f"{NEW_BASE}/webhooks/twilio/status",
    )
    assert deploy_problems(databases=["default"]) == []


def test_services_already_in_step_are_left_alone(service_sid, emulator):
    updates_before = emulator.emulator.operations_report().get("UpdateService")

    assert "0 of 1 Messaging Services updated" in sync()
    assert "0 of 1 Messaging Services differ" in sync("--check")
    assert emulator.emulator.operations_report().get("UpdateService") == updates_before


def test_a_service_twilio_cannot_find_is_reported(service_sid, emulator, settings):
    TwilioSubaccount.objects.update(messaging_service_sid="MG" + "0" * 32)
    settings.PUBLIC_BASE_URL = NEW_BASE

    with pytest.raises(CommandError, match="1 could not be read or updated"):
        sync()
    assert deploy_problems(databases=["default"]) == ["registration.W001"]


def test_the_deploy_check_reads_twilio_only_when_a_database_is_named(
    service_sid, emulator, settings
):
    settings.PUBLIC_BASE_URL = NEW_BASE
    fetches_before = emulator.emulator.operations_report().get("FetchService")

    assert deploy_problems() == []
    assert emulator.emulator.operations_report().get("FetchService") == fetches_before
