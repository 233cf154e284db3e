"""The workflows API: create, list, read, update, toggle and the log; the error shape; viewers
read-only; outsiders 404; all in the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.services import api_token_create
from contacts import services as contact_services
from workflows.models import Workflow

pytestmark = pytest.mark.django_db


def api(account, user) -> Client:
    _, raw = api_token_create(account=account, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def create_body(flows) -> dict:
    return {
        "name": "Welcome",
        "trigger_type": "list_added",
        "trigger": {"list": flows.sending.audience.public_id},
        "steps": [{"type": "delay", "amount": 5, "unit": "minutes"}, flows.send_step()],
    }


def test_create_read_update_toggle_and_list(flows):
    bob = api(flows.account, flows.user)
    response = bob.post("/api/v1/workflows", create_body(flows), content_type="application/json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["enabled"] is False and created["id"].startswith("wf_")
    delay_id, send_id = (step["id"] for step in created["steps"])
    url = f"/api/v1/workflows/{created['id']}"
    assert bob.get(url).json()["steps"][1]["body"] == flows.send_step()["body"]

    steps = created["steps"]
    steps[0]["amount"] = 10
    response = bob.patch(url, {"steps": steps, "name": "Hello"}, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert [s["id"] for s in response.json()["steps"]] == [delay_id, send_id]
    assert response.json()["steps"][0]["amount"] == 10

    response = bob.post(f"{url}/toggle", {"enabled": True}, content_type="application/json")
    assert response.status_code == 200 and response.json()["enabled"] is True
    listed = bob.get("/api/v1/workflows").json()
    assert [w["name"] for w in listed["results"]] == ["Hello"]


def test_a_workflow_naming_what_the_account_hasnt_is_a_conflict(flows):
    bob = api(flows.account, flows.user)
    body = create_body(flows)
    body["steps"][1]["body"] = "Hi {{ contact.nope }}"
    body["steps"][1]["sender_user"] = flows.sending.tenant.alice.public_id
    response = bob.post("/api/v1/workflows", body, content_type="application/json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "workflow_definition"
    fields = {key.rsplit(".", 1)[-1] for key in error["fields"]}
    assert fields == {"body", "sender_user"}
    assert not Workflow.objects.exists()


def test_a_body_the_schema_refuses_is_a_400_naming_the_field(flows):
    bob = api(flows.account, flows.user)
    for change, field in (
        ({"trigger": {}}, "trigger"),  # list_added needs its list
        ({"trigger": {"list": "x", "extra": 1}}, "trigger"),
        ({"steps": [{"type": "delay", "amount": 400, "unit": "days"}]}, "steps"),
        ({"steps": [{"type": "branch", "property": "tier", "operator": "is"}]}, "steps"),
        ({"name": 7}, "name"),
    ):
        response = bob.post(
            "/api/v1/workflows", {**create_body(flows), **change}, content_type="application/json"
        )
        assert response.status_code == 400, change
        assert field in response.json()["error"]["fields"], change
    assert not Workflow.objects.exists()


def test_turning_on_a_workflow_without_steps_is_a_conflict(flows):
    bob = api(flows.account, flows.user)
    body = {**create_body(flows), "steps": []}
    created = bob.post("/api/v1/workflows", body, content_type="application/json").json()
    response = bob.post(
        f"/api/v1/workflows/{created['id']}/toggle",
        {"enabled": True},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "workflow_cannot_run"
    assert response.json()["error"]["fields"]["steps"] == [
        "Add at least one step before turning it on."
    ]
    refused = bob.post(
        f"/api/v1/workflows/{created['id']}/toggle", {"enabled": 1}, content_type="application/json"
    )
    assert refused.status_code == 400


def test_the_trigger_schema_is_one_of_its_types(db):
    schema = Client().get("/api/schema/?format=json").json()["components"]["schemas"]
    create = schema["WorkflowCreateInput"]
    triggers = {
        branch["properties"]["trigger_type"]["enum"][0]: branch for branch in create["oneOf"]
    }
    assert set(triggers) == {"record_created", "property_changed", "list_added", "inbound_keyword"}
    assert triggers["list_added"]["required"] == ["trigger_type", "trigger"]
    assert schema["WorkflowTriggerListAdded"]["required"] == ["list"]
    assert schema["WorkflowBranchStep"]["oneOf"][1]["required"] == ["value"]


def test_the_log_through_the_api(flows, django_capture_on_commit_callbacks):
    workflow = flows.workflow()
    maya = flows.contact("Maya")
    with django_capture_on_commit_callbacks(execute=True):
        flows.sending.audience_add(maya)
    bob = api(flows.account, flows.user)
    url = f"/api/v1/workflows/{workflow.public_id}/logs"
    entries = bob.get(url).json()["results"]
    assert [e["event"] for e in entries] == ["completed", "send_sms", "enrolled"]
    sent = bob.get(url, {"outcome": "sent"}).json()["results"]
    assert len(sent) == 1 and sent[0]["message_sid"].startswith("SM")
    assert sent[0]["record"] == maya.public_id
    assert bob.get(url, {"record": maya.public_id, "event": "enrolled"}).json()["results"]
    assert bob.get(url, {"outcome": "bogus"}).status_code == 400


def test_viewers_read_and_outsiders_get_404(flows):
    workflow = flows.workflow(enabled=False)
    vera = api(flows.account, flows.sending.tenant.vera)
    url = f"/api/v1/workflows/{workflow.public_id}"
    assert vera.get(url).status_code == 200
    assert vera.patch(url, {"name": "x"}, content_type="application/json").status_code == 403
    charlie = api(flows.sending.tenant.other_account, flows.sending.tenant.charlie)
    for path in (url, f"{url}/logs"):
        assert charlie.get(path).status_code == 404
    assert charlie.post(f"{url}/toggle", {"enabled": True}).status_code == 404
    assert charlie.get("/api/v1/workflows").json()["results"] == []


def test_the_workflows_api_is_in_the_schema(db):
    schema = Client().get("/api/schema/").content.decode()
    for path in ("/api/v1/workflows", "/api/v1/workflows/{workflow_id}/logs"):
        assert path in schema


def test_a_list_from_another_account_is_refused(flows):
    theirs = contact_services.contact_list_create(
        account=flows.sending.tenant.other_account, name="Theirs"
    )
    bob = api(flows.account, flows.user)
    body = create_body(flows)
    body["trigger"] = {"list": theirs.public_id}
    response = bob.post("/api/v1/workflows", body, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {"trigger.list": ["There is no such list."]}
