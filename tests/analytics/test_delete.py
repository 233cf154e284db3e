"""Deleting a message that went out: its texts go in one statement whatever their number (no row
is loaded into the app), and its clicks, opt-outs and analytics with them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import selectors
from analytics.models import MessageDayStats, MessageHourStats, MessageStats, OptOutAttribution
from analytics.services import rollups
from messaging.models import LinkClick, MessageLink, OutboundMessage, SmsMessage
from tests.analytics.helpers import NOON_NEW_YORK, campaign_with_results
from tests.factories import WorkflowFactory, WorkflowLogFactory
from workflows.models import LogEvent, LogOutcome

pytestmark = pytest.mark.django_db


def test_deleting_a_message_deletes_its_texts_in_one_statement_and_its_analytics(
    sending, emulator, client, bob_client
):
    message, rows, _ = campaign_with_results(sending, client)
    rollups.rollups_apply_all()
    assert MessageStats.objects.get(message=message).sent == 5
    assert OptOutAttribution.objects.filter(message=message).exists()
    # A workflow's log points at one of the texts (as it does for every automated text).
    workflow = WorkflowFactory(account=sending.account, name="Flow", trigger_type="x")
    log = WorkflowLogFactory(
        account=sending.account,
        workflow=workflow,
        record_type="contact",
        record_id=rows["Ann"].contact_id,
        event=LogEvent.SEND_SMS,
        outcome=LogOutcome.QUEUED,
        message="Queued.",
        outbound=rows["Ann"],
    )
    SmsMessage.objects.filter(pk=message.pk).update(status=SmsMessage.Status.SENT)

    url = reverse("messaging:delete_with_results", args=[message.public_id])
    with CaptureQueriesContext(connection) as queries:
        response = bob_client.post(url, {"confirm_name": message.name})
    assert response.status_code == 302
    touching = [q["sql"] for q in queries if "messaging_outboundmessage" in q["sql"]]
    assert len(touching) == 1, touching
    assert touching[0].startswith('DELETE FROM "messaging_outboundmessage" WHERE')
    assert "message_id" in touching[0]

    assert not SmsMessage.objects.filter(pk=message.pk).exists()
    assert not OutboundMessage.objects.filter(message_id=message.pk).exists()
    assert not LinkClick.objects.filter(message_id=message.pk).exists()
    assert not MessageLink.objects.filter(message_id=message.pk).exists()
    for model in (MessageStats, MessageHourStats, MessageDayStats, OptOutAttribution):
        assert not model.objects.filter(message_id=message.pk).exists(), model
    day = NOON_NEW_YORK.date()
    overview = selectors.account_overview(
        account=sending.account, start=day - dt.timedelta(days=1), end=day + dt.timedelta(days=1)
    )
    assert overview.counters["sent"] == 0 and overview.counters["clicks"] == 0
    # The log keeps its line and says what became of the text.
    [line] = selectors_log_lines(sending.account, workflow)
    assert line.log.pk == log.pk and "deleted with its message" in line.detail


def selectors_log_lines(account, workflow):
    from workflows import selectors as workflow_selectors

    logs = list(workflow_selectors.workflow_logs(account=account, workflow=workflow))
    return workflow_selectors.log_lines(logs, account=account, workflow=workflow)
