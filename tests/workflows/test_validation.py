"""Workflows are validated on every save; an invalid one can't be stored and says why."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from consent import services as consent_services
from contacts import services as contact_services
from registration.models import UseCaseRegistration
from tests.factories import PhoneNumberFactory
from workflows import selectors, services
from workflows.models import Workflow

pytestmark = pytest.mark.django_db


def errors_of(flows, **kw) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        flows.workflow(**kw)
    assert not Workflow.objects.exists()
    return error.value.message_dict


def step_errors(flows, **step) -> dict[str, list[str]]:
    errors = errors_of(flows, steps=[flows.send_step(**step)])
    return {key.rsplit(".", 1)[-1]: messages for key, messages in errors.items()}


def test_a_valid_send_sms_action_saves(flows):
    workflow = flows.workflow()
    [step] = workflow.steps
    assert step["id"].startswith("stp_") and step["type"] == "send_sms"


def test_without_an_approved_number_the_list_is_empty_and_the_action_cannot_be_saved(flows):
    UseCaseRegistration.objects.filter(account=flows.account).update(status="in_review")
    assert selectors.sending_numbers(account=flows.account) == []
    errors = step_errors(flows)
    assert "no SMS-capable number with an approved use case" in errors["from_number"][0]


def test_numbers_that_cannot_send_are_not_offered(flows):
    PhoneNumberFactory(
        account=flows.account, e164="+14155550111", status="active", sms_capable=False
    )
    PhoneNumberFactory(account=flows.account, e164="+14155550112", status="pending")
    assert [n.e164 for n in selectors.sending_numbers(account=flows.account)] == [
        flows.sending.sender.e164
    ]


def test_the_sender_user_must_be_linked_to_the_number(flows):
    errors = step_errors(flows, sender_user=flows.sending.tenant.alice.public_id)
    assert "isn't linked to +14155550100" in errors["sender_user"][0]


def test_every_required_field_is_asked_for(flows):
    errors = step_errors(flows, from_number="", sender_user="", phone_property="", body="")
    assert set(errors) == {"from_number", "sender_user", "phone_property", "body"}


def test_tokens_length_and_opt_out_wording_are_checked(flows):
    errors = step_errors(flows, body="Hi {{ contact.shoe_size }} and {{ contact.first_name ")
    assert any("no contact property “shoe_size”" in m for m in errors["body"])
    assert any("can't be read" in m for m in errors["body"])
    errors = step_errors(flows, body="x" * 1580)
    assert (
        "limited to 1,600 characters; this one has 1,602 with the opt-out line"
        in (errors["body"][0])
    )
    errors = step_errors(flows, body="Hello", append_opt_out=False)
    assert "opt-out line can be switched off only" in errors["append_opt_out"][0]
    assert flows.workflow(
        steps=[flows.send_step("Hi! Reply STOP to opt out", append_opt_out=False)]
    )


def test_the_recipient_must_be_a_phone_property(flows):
    errors = step_errors(flows, phone_property="email")
    assert "not a phone property" in errors["phone_property"][0]


def test_triggers_are_checked(flows):
    active = contact_services.contact_list_create(
        account=flows.account,
        name="Chicago",
        kind="active",
        rules={"match": "all", "conditions": [{"field": "first_name", "op": "is_known"}]},
    )
    assert "active list" in errors_of(flows, trigger={"list": active.public_id})["trigger.list"][0]
    assert errors_of(flows, trigger={"list": "lst_nope"})["trigger.list"] == [
        "There is no such list."
    ]
    consent_services.account_defaults_ensure(account=flows.account)
    errors = errors_of(flows, trigger_type="inbound_keyword", trigger={"keyword": "stop"})
    assert "opt-out keyword" in errors["trigger.keyword"][0]
    errors = errors_of(flows, trigger_type="inbound_keyword", trigger={"keyword": "two words"})
    assert "one word" in errors["trigger.keyword"][0]
    errors = errors_of(flows, trigger_type="property_changed", trigger={"property": "shoe"})
    assert errors["trigger.property"] == ["There is no property “shoe”."]
    errors = errors_of(flows, trigger_type="nonsense")
    assert "trigger_type" in errors


def test_steps_are_checked(flows):
    errors = errors_of(
        flows,
        steps=[
            {"type": "delay", "amount": 0, "unit": "weeks"},
            {"type": "wait_until", "time": "25:00"},
            {"type": "branch", "property": "first_name", "operator": "is", "yes": [], "no": []},
            {"type": "teleport"},
        ],
    )
    fields = sorted(key.rsplit(".", 1)[-1] for key in errors)
    assert fields == ["amount", "time", "type", "type", "unit", "value"]
    assert any("ends its path" in m for messages in errors.values() for m in messages)


def test_a_workflow_turns_on_only_with_steps_and_a_still_valid_definition(flows):
    workflow = flows.workflow(enabled=False, steps=[])
    with pytest.raises(ValidationError, match="at least one step"):
        services.workflow_toggle(account=flows.account, workflow=workflow, enabled=True)
    workflow = flows.workflow(enabled=False, name="Second")
    flows.sending.sender.users.clear()  # bob is no longer linked to the number
    with pytest.raises(ValidationError) as error:
        services.workflow_toggle(account=flows.account, workflow=workflow, enabled=True)
    assert any("isn't linked" in m for ms in error.value.message_dict.values() for m in ms)
    workflow.refresh_from_db()
    assert workflow.enabled is False
