"""Workflow texts obey what campaign texts obey: consent, quiet hours, the frequency cap, valid
phones; and the action log says what became of each."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from contacts import services as contact_services
from messaging.models import OutboundMessage, OutboundStatus
from messaging.services.inbound import inbound_receive
from tests.factories import OutboundMessageFactory
from workflows import selectors
from workflows.models import LogEvent, LogOutcome

pytestmark = pytest.mark.django_db


def enroll(flows, *contacts, capture) -> None:
    with capture(execute=True):
        contact_services.contact_list_add(
            account=flows.account,
            contact_list=flows.sending.audience,
            contact_ids=[c.pk for c in contacts],
        )


def send_logs(flows, workflow):
    return {log.record_id: log for log in flows.logs(workflow, event=LogEvent.SEND_SMS)}


def test_no_consent_or_no_sms_phone_skips_the_text_with_the_reason(
    flows, django_capture_on_commit_callbacks
):
    workflow = flows.workflow()
    out = flows.contact("Out", "+12125550101", subscribed=False)
    unknown = flows.contact("Unknown", "+12125550102", subscribed=None)
    islands = flows.contact("Islands", "+13405550106")  # US Virgin Islands: no 10DLC
    nophone = contact_services.contact_create(account=flows.account, first_name="Nophone")
    cold = flows.contact("Cold", "+12125550103", marketing_contact=False)
    enroll(flows, out, unknown, islands, nophone, cold, capture=django_capture_on_commit_callbacks)
    logs = send_logs(flows, workflow)
    assert {pk: (log.outcome, log.reason) for pk, log in logs.items()} == {
        out.pk: (LogOutcome.SKIPPED, "opted_out"),
        unknown.pk: (LogOutcome.SKIPPED, "not_subscribed"),
        islands.pk: (LogOutcome.SKIPPED, "invalid_phone"),
        nophone.pk: (LogOutcome.SKIPPED, "no_phone"),
        cold.pk: (LogOutcome.SKIPPED, "not_marketing_contact"),
    }
    assert flows.texts(workflow) == []


def test_quiet_hours_defer_the_text_to_the_next_opening(
    flows, time_machine, django_capture_on_commit_callbacks
):
    late = dt.datetime(2026, 6, 2, 3, 0, tzinfo=dt.UTC)  # 23:00 in New York
    time_machine.move_to(late, tick=False)
    workflow = flows.workflow()
    maya = flows.contact("Maya")
    enroll(flows, maya, capture=django_capture_on_commit_callbacks)
    [text] = flows.texts(workflow)
    opening = dt.datetime(2026, 6, 2, 12, 0, tzinfo=dt.UTC)  # 8:00 in New York
    assert (text.status, text.due_at, text.deferred_reason) == (
        OutboundStatus.PENDING,
        opening,
        "quiet_hours",
    )
    [line] = [
        line
        for line in selectors.log_lines(
            flows.logs(workflow, event=LogEvent.SEND_SMS), account=flows.account, workflow=workflow
        )
    ]
    assert line.outcome == "deferred" and line.deferred_until == opening
    assert "quiet hours" in line.detail
    # Deferred, not dropped: it goes at the opening.
    time_machine.move_to(opening, tick=False)
    from messaging.tasks import dispatch_due_task

    dispatch_due_task()
    text.refresh_from_db()
    assert text.twilio_sid and text.status == OutboundStatus.QUEUED


def test_a_stop_before_a_deferred_text_goes_stops_it(
    flows, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(dt.datetime(2026, 6, 2, 3, 0, tzinfo=dt.UTC), tick=False)
    workflow = flows.workflow()
    enroll(flows, flows.contact("Maya", "+12125550101"), capture=django_capture_on_commit_callbacks)
    inbound_receive(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        message_sid="SM" + "5" * 32,
        from_phone="+12125550101",
        to_phone=flows.sending.sender.e164,
        body="STOP",
    )
    [text] = flows.texts(workflow)
    assert (text.status, text.not_sent_reason) == (OutboundStatus.NOT_SENT, "opted_out")
    [line] = selectors.log_lines(
        flows.logs(workflow, event=LogEvent.SEND_SMS), account=flows.account, workflow=workflow
    )
    assert line.outcome == "skipped" and "opted out" in line.detail


def test_the_frequency_cap_defers_a_workflow_text_at_dispatch(
    flows, django_capture_on_commit_callbacks
):
    workflow = flows.workflow()
    maya = flows.contact("Maya", "+12125550101")
    now = timezone.now()
    OutboundMessage.objects.bulk_create(
        OutboundMessageFactory.build(
            account=flows.account,
            contact=maya,
            sender=flows.sending.sender,
            to_phone="+12125550101",
            body=f"earlier {i}",
            status=OutboundStatus.DELIVERED,
            sent_at=now - dt.timedelta(hours=i + 1),
        )
        for i in range(3)
    )
    enroll(flows, maya, capture=django_capture_on_commit_callbacks)
    [text] = flows.texts(workflow)
    assert (text.status, text.deferred_reason) == (OutboundStatus.PENDING, "frequency_cap")
    assert text.due_at == now - dt.timedelta(hours=3) + dt.timedelta(hours=24)


def test_a_custom_phone_property_is_parsed_and_texted(flows, django_capture_on_commit_callbacks):
    contact_services.contact_property_create(
        account=flows.account, label="Assistant phone", type="text"
    )
    workflow = flows.workflow(steps=[flows.send_step(phone_property="assistant_phone")])
    maya = flows.contact("Maya", "+12125550101", properties={"assistant_phone": "(212) 555-0177"})
    # The assistant is a contact of their own who subscribed on that phone.
    flows.contact("Assistant", "+12125550177")
    enroll(flows, maya, capture=django_capture_on_commit_callbacks)
    [text] = flows.texts(workflow)
    assert text.to_phone == "+12125550177" and text.twilio_sid


def test_the_action_log_filters_by_outcome_event_and_contact(
    flows, django_capture_on_commit_callbacks
):
    workflow = flows.workflow()
    maya = flows.contact("Maya", "+12125550101")
    out = flows.contact("Out", "+12125550102", subscribed=False)
    enroll(flows, maya, out, capture=django_capture_on_commit_callbacks)

    def outcomes(**filters):
        logs = selectors.workflow_logs(account=flows.account, workflow=workflow, **filters)
        return sorted((log.record_id, log.event) for log in logs)

    assert outcomes(outcome="sent") == [(maya.pk, "send_sms")]
    assert outcomes(outcome="skipped") == [(out.pk, "send_sms")]
    assert outcomes(outcome="enrolled") == sorted([(maya.pk, "enrolled"), (out.pk, "enrolled")])
    assert len(outcomes(event="completed")) == 2
    assert {pk for pk, _ in outcomes(record=maya.public_id)} == {maya.pk}
    assert outcomes(record="con_nobody") == []
    lines = selectors.log_lines(
        list(selectors.workflow_logs(account=flows.account, workflow=workflow, outcome="sent")),
        account=flows.account,
        workflow=workflow,
    )
    [line] = lines
    assert line.sid.startswith("SM") and line.sid in line.detail
    assert line.record_url == f"/contacts/{maya.public_id}/"
