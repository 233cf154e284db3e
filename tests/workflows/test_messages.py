"""What a Send SMS action's texts are filed under: short links with UTM tags and counted clicks,
one message per version of the action's text, and messages that finish."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from analytics.models import MessageStats
from analytics.services.rollups import rollups_apply
from messaging import links, shortlinks, tokens
from messaging.models import LinkClick, OutboundStatus, SmsMessage
from messaging.ratelimit import SenderRateLimiter
from messaging.services import dispatch
from messaging.services.lifecycle import messages_progress
from tests.workflows.conftest import NOON_NEW_YORK
from workflows import services
from workflows.models import Workflow

pytestmark = pytest.mark.django_db

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Safari/604.1"


def test_a_workflow_text_gets_short_links_with_utm_tags_and_its_clicks_count(
    flows, client, django_capture_on_commit_callbacks
):
    body = "Hi {{ contact.first_name }}, new in: https://shop.example.com/new?ref=wf"
    workflow = flows.workflow(steps=[flows.send_step(body)])
    maya = flows.contact("Maya")
    with django_capture_on_commit_callbacks(execute=True):
        flows.sending.audience_add(maya)

    [text] = flows.texts(workflow)
    [link] = links.links_in(text.body)
    assert link.startswith(f"https://{settings.PUBLIC_LINK_DOMAIN}/")
    assert text.body.startswith("Hi Maya, new in: https://")
    code = link.rsplit("/", 1)[1]
    assert shortlinks.code_decode(code) == (text.pk, 0)

    response = client.get(f"/{code}", HTTP_HOST=settings.PUBLIC_LINK_DOMAIN, HTTP_USER_AGENT=IPHONE)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.netloc, location.path) == ("shop.example.com", "/new")
    query = parse_qs(location.query)
    assert query["ref"] == ["wf"] and query["utm_medium"] == ["sms"]
    assert query["utm_campaign"] == [text.message.name]
    assert query["utm_content"] == [text.message.public_id]
    assert LinkClick.objects.get().contact_id == maya.pk

    rollups_apply()
    stats = MessageStats.objects.get(message=text.message)
    assert (stats.clicks, stats.unique_clicks) == (1, 1)


def test_the_length_check_counts_links_at_short_link_length(flows):
    short = len(links.short_link_placeholder(sender=flows.sending.sender))
    line = len("\n" + tokens.OPT_OUT_LINE)
    # Typed it fits (1,591 with the line), but its short link is longer than `www.a.co`.
    with pytest.raises(ValidationError) as error:
        flows.workflow(steps=[flows.send_step("x" * 1560 + " www.a.co")])
    counted = 1560 + 1 + short + line
    [problem] = [
        m for key, ms in error.value.message_dict.items() if key.endswith(".body") for m in ms
    ]
    assert (
        f"this one has {counted:,} with the opt-out line and links at short-link length" in problem
    )
    # A long URL goes out short: 1,749 characters as typed, 1,4xx as sent.
    workflow = flows.workflow(
        steps=[flows.send_step("x" * 1400 + " https://shop.example.com/" + "p" * 300)]
    )
    assert Workflow.objects.filter(pk=workflow.pk).exists()


def _dispatch(flows) -> None:
    dispatch.sender_dispatch(
        sender_id=flows.sending.sender.pk, time_budget=10, limiter=SenderRateLimiter(redis_url="")
    )


def test_editing_the_text_starts_a_new_message_and_the_old_one_finishes_as_sent(
    flows, bob_client, time_machine, django_capture_on_commit_callbacks
):
    workflow = flows.workflow(steps=[flows.send_step("Hello {{ contact.first_name }}!")])
    # 1 a.m. in Tokyo: her text waits for the morning (quiet hours).
    kai = flows.contact("Kai", "+12125550103", time_zone="Asia/Tokyo")
    maya = flows.contact("Maya", "+12125550101")
    with django_capture_on_commit_callbacks(execute=True):
        flows.sending.audience_add(kai)
        flows.sending.audience_add(maya)
    first = SmsMessage.objects.get(outbound__contact=maya)
    messages_progress()
    first.refresh_from_db()
    assert first.status == SmsMessage.Status.SENDING  # it still takes texts

    step = workflow.steps[0]
    services.workflow_step_save(
        account=flows.account,
        workflow=workflow,
        step={**step, "body": "Welcome {{ contact.first_name }}!"},
    )
    ivy = flows.contact("Ivy", "+12125550102")
    with django_capture_on_commit_callbacks(execute=True):
        flows.sending.audience_add(ivy)

    second = SmsMessage.objects.get(outbound__contact=ivy)
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.body == "Hello {{ contact.first_name }}!"
    assert second.body == "Welcome {{ contact.first_name }}!"
    assert second.name == "Welcome: text 1 (version 2)"
    assert first.outbound.get(contact=maya).body.startswith("Hello Maya!")
    assert second.outbound.get(contact=ivy).body.startswith("Welcome Ivy!")
    page = bob_client.get(f"/analytics/messages/{first.public_id}/").content.decode()
    # The results show the text as Maya got it, and the template it was written as.
    as_sent = page.split('id="original-message">', 1)[1].split("</p>", 1)[0]
    assert as_sent.startswith("Hello Maya!")
    written = page.split('id="message-template">', 1)[1].split("</details>", 1)[0]
    assert "Hello {{ contact.first_name }}!" in written

    # Kai's text still waits: the old message is sending until it goes, then sent.
    messages_progress()
    first.refresh_from_db()
    assert first.status == SmsMessage.Status.SENDING
    time_machine.move_to(NOON_NEW_YORK + dt.timedelta(hours=8), tick=False)
    _dispatch(flows)
    assert first.outbound.get(contact=kai).status != OutboundStatus.PENDING
    messages_progress()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == SmsMessage.Status.SENT and first.completed_at is not None
    assert second.status == SmsMessage.Status.SENDING


def test_a_deleted_workflows_messages_finish_as_sent(flows, django_capture_on_commit_callbacks):
    workflow = flows.workflow()
    maya = flows.contact("Maya")
    with django_capture_on_commit_callbacks(execute=True):
        flows.sending.audience_add(maya)
    message = SmsMessage.objects.get(outbound__contact=maya)
    services.workflow_delete(account=flows.account, workflow=workflow)
    messages_progress()
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT
