"""The Send SMS step counts and previews as the composer does, and Personalize inserts a token."""

from __future__ import annotations

import pytest

from messaging import selectors as messaging_selectors
from tests.conftest import client_for
from tests.messaging.test_browser_composer import sign_in
from workflows.models import Workflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_count_preview_and_personalize_in_the_send_sms_step(page, live_server, flows):
    client_for(flows.user).post(
        "/workflows/new/",
        {"name": "Welcome", "trigger_type": "list_added", "list": flows.sending.audience.public_id},
    )
    workflow = Workflow.objects.get()
    sign_in(page, live_server, flows.user)
    page.goto(f"/workflows/{workflow.public_id}/step/?type=send_sms")
    page.locator("html[data-composer-ready=yes]").wait_for(state="attached")
    page.locator("#id_body").fill("Welcome aboard, ")
    page.locator("#personalize-menu summary").click()
    page.locator("#token-field").select_option("first_name")
    page.locator("#token-default").fill("friend")
    page.get_by_role("button", name="Insert token").click()
    body = page.locator("#id_body").input_value()
    assert body == 'Welcome aboard, {{ contact.first_name | default: "friend" }}'
    assert page.locator("#preview-bubble").inner_text() == (
        "Welcome aboard, friend\nReply STOP to opt out"
    )
    expected = messaging_selectors.message_preview(
        account=flows.account, body=body, append_opt_out=True, sender=flows.sending.sender
    ).estimate
    counter = page.locator("#segment-counter")
    assert counter.get_attribute("data-segments") == str(expected.segments) == "1"
    assert counter.get_attribute("data-characters") == str(expected.characters)
    page.locator("#id_body").fill("Hola 😀 ")
    assert counter.get_attribute("data-encoding") == "UCS-2"
