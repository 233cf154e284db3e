"""The builder pages: list, create, add and edit steps (with errors shown), toggle, the log,
and the conversation a workflow text starts in the inbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from contacts import selectors as contact_selectors
from contacts.models import EngagementKind
from messaging.services.inbound import inbound_receive
from tests.conftest import client_for
from workflows.models import Workflow

pytestmark = pytest.mark.django_db


def test_build_a_workflow_through_the_pages(flows):
    bob = client_for(flows.user)
    assert bob.get("/workflows/").status_code == 200
    response = bob.post(
        "/workflows/new/",
        {
            "name": "Welcome",
            "trigger_type": "list_added",
            "list": flows.sending.audience.public_id,
        },
    )
    workflow = Workflow.objects.get()
    assert response.status_code == 302 and response.url == f"/workflows/{workflow.public_id}/"
    page = bob.get(response.url).content.decode()
    assert "No steps yet" in page

    step_url = f"/workflows/{workflow.public_id}/step/"
    form = bob.get(step_url, {"type": "send_sms"}).content.decode()
    assert flows.sending.sender.e164 in form
    bad = {
        "type": "send_sms",
        "from_number": flows.sending.sender.public_id,
        "sender_user": flows.user.public_id,
        "phone_property": "mobile_phone",
        "body": "Hi {{ contact.nope }}",
        "append_opt_out": "on",
    }
    response = bob.post(step_url, bad)
    assert response.status_code == 200
    assert "There is no contact property “nope”." in response.content.decode()
    response = bob.post(step_url, {**bad, "body": "Hi {{ contact.first_name }}!"})
    assert response.status_code == 302
    workflow.refresh_from_db()
    [send] = workflow.steps
    response = bob.post(
        step_url, {"type": "delay", "amount": "3", "unit": "days", "after": send["id"]}
    )
    assert response.status_code == 302
    workflow.refresh_from_db()
    assert [s["type"] for s in workflow.steps] == ["send_sms", "delay"]

    response = bob.post(f"/workflows/{workflow.public_id}/toggle/", {"enabled": "1"})
    workflow.refresh_from_db()
    assert workflow.enabled is True
    response = bob.post(f"/workflows/{workflow.public_id}/step/delete/", {"step": send["id"]})
    workflow.refresh_from_db()
    assert [s["type"] for s in workflow.steps] == ["delay"]


def test_the_partials_follow_the_choices(flows):
    bob = client_for(flows.user)
    fields = bob.get("/workflows/trigger-fields/", {"trigger_type": "inbound_keyword"})
    assert 'name="keyword"' in fields.content.decode()
    options = bob.get("/workflows/number-users/", {"from_number": flows.sending.sender.public_id})
    assert flows.user.public_id in options.content.decode()
    assert flows.sending.tenant.alice.public_id not in options.content.decode()


def test_the_log_page_shows_outcomes_and_links_the_contact(
    flows, django_capture_on_commit_callbacks
):
    workflow = flows.workflow()
    maya = flows.contact("Maya")
    with django_capture_on_commit_callbacks(execute=True):
        flows.sending.audience_add(maya)
    page = client_for(flows.sending.tenant.vera).get(f"/workflows/{workflow.public_id}/logs/")
    html = page.content.decode()
    assert f'href="/contacts/{maya.public_id}/"' in html
    assert 'data-outcome="sent"' in html and "SID SM" in html
    filtered = client_for(flows.user).get(
        f"/workflows/{workflow.public_id}/logs/", {"outcome": "failed"}
    )
    assert "Nothing logged for this filter" in filtered.content.decode()


def test_a_reply_to_a_workflow_text_continues_in_the_inbox_and_on_the_timeline(
    flows, time_machine, django_capture_on_commit_callbacks
):
    workflow = flows.workflow()
    maya = flows.contact("Maya", "+12125550101")
    with django_capture_on_commit_callbacks(execute=True):
        flows.sending.audience_add(maya)
    time_machine.shift(dt.timedelta(minutes=5))
    inbound_receive(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        message_sid="SM" + "7" * 32,
        from_phone="+12125550101",
        to_phone=flows.sending.sender.e164,
        body="Thanks! When do you open?",
    )
    time_machine.shift(dt.timedelta(minutes=5))
    bob = client_for(flows.user)
    assert "When do you open?" in bob.get("/sms/inbox/").content.decode()
    thread_url = f"/sms/inbox/{maya.public_id}/{flows.sending.sender.public_id}/"
    response = bob.post(thread_url, {"body": "At 9, see you!"})
    assert response.status_code == 302
    html = bob.get(thread_url).content.decode()
    workflow_text = html.index("Hi Maya!")
    reply = html.index("When do you open?")
    answer = html.index("At 9, see you!")
    assert workflow_text < reply < answer
    assert f"Workflow: {workflow.name}: text 1" in html and "One-to-one" in html
    assert html.count('class="delivery-status"') == 2

    timeline = contact_selectors.contact_timeline(account=flows.account, contact=maya)
    kinds = [item.kind for item in timeline]
    assert kinds.count(EngagementKind.SMS_REPLY) == 1
    # The workflow text shows once (read from the outbound table, not copied to engagements),
    # beside the one-to-one answer.
    sent = [item for item in timeline if item.kind == EngagementKind.SMS_SENT]
    assert sorted(bool(item.data.get("one_to_one")) for item in sent) == [False, True]
