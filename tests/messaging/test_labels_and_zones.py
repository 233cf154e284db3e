"""Pages speak in words and in the account's time zone, with the zone shown: a send's progress
("Not sent", "quiet hours"), the results, the contact timeline, the inbox and the action log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Account
from analytics.services import rollups
from messaging.models import OutboundMessage, OutboundStatus, SmsMessage
from tests.analytics.helpers import NOON_NEW_YORK, campaign_with_results
from tests.conftest import client_for
from tests.factories import OutboundMessageFactory, WorkflowLogFactory

pytestmark = pytest.mark.django_db


def test_a_sends_progress_names_statuses_and_why_texts_wait(sending):
    message = sending.message(status=SmsMessage.Status.SENDING)
    ann = sending.contact("Ann", phone="+12125550101")
    bo = sending.contact("Bo", phone="+12125550102")
    common = {"account": sending.account, "message": message, "to_phone": "+12125550101"}
    OutboundMessageFactory(
        **common, contact=ann, status=OutboundStatus.NOT_SENT, not_sent_reason="opted_out"
    )
    OutboundMessageFactory(
        **common, contact=bo, status=OutboundStatus.PENDING, deferred_reason="quiet_hours"
    )
    page = client_for(sending.tenant.bob).get(reverse("messaging:send", args=[message.public_id]))
    page = page.content.decode()
    counts = page.split('id="status-counts"', 1)[1].split("</table>", 1)[0]
    assert "<td>Not sent</td>" in counts and "<td>Pending</td>" in counts
    assert "Not_sent" not in page and "quiethours" not in page
    assert "Waiting: 1 for quiet hours." in page


def test_times_are_in_the_accounts_zone_with_the_zone_shown(sending, emulator, client):
    Account.objects.filter(pk=sending.account.pk).update(time_zone="America/Los_Angeles")
    message, rows, contacts = campaign_with_results(sending, client)
    rollups.rollups_apply_all()
    SmsMessage.objects.filter(pk=message.pk).update(started_at=NOON_NEW_YORK)
    OutboundMessage.objects.filter(message=message).update(sent_at=NOON_NEW_YORK)
    bob = client_for(sending.tenant.bob)

    # 16:00 UTC is 09:00 in Los Angeles (PDT in June).
    results = bob.get(reverse("analytics:message", args=[message.public_id])).content.decode()
    assert "sent Jun 1, 2026 09:00 PDT" in results
    recipients = bob.get(
        reverse("analytics:message", args=[message.public_id]), {"tab": "recipients"}
    ).content.decode()
    assert "Jun 1, 09:00 PDT" in recipients and "16:00" not in recipients

    timeline = bob.get(reverse("contacts:detail", args=[contacts["Ann"].public_id]))
    assert "Jun 1, 2026 09:00 PDT" in timeline.content.decode()

    log = WorkflowLogFactory(
        account=sending.account,
        record_id=contacts["Ann"].pk,
        event="enrolled",
        outcome="enrolled",
        created_at=NOON_NEW_YORK,
    )
    logs = bob.get(reverse("workflows:logs", args=[log.workflow.public_id])).content.decode()
    assert "Jun 1, 09:00:00 PDT" in logs
