"""The editor's tabs in Chromium: Content -> Settings -> Send or schedule without losing a
keystroke."""

from __future__ import annotations

import pytest

from messaging.models import SmsMessage
from messaging.services import compose
from tests.messaging.test_browser_composer import open_composer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_content_then_settings_then_send_or_schedule(page, live_server, sending):
    message = compose.message_create(account=sending.account, owner=sending.tenant.bob, name="Sale")
    open_composer(page, live_server, sending.tenant, message)
    page.locator("#message-body").fill("Tents are 20% off this weekend. Reply STOP to opt out")
    page.get_by_role("button", name="Next: Settings").click()
    assert page.locator("#panel-settings").is_visible()
    assert not page.locator("#message-body").is_visible()
    assert page.url.endswith("?tab=settings")
    assert page.get_by_label("Subscription type").is_visible()

    # Straight on, before autosave's pause: the last keystrokes are saved on the way out.
    page.get_by_role("button", name="Next: Send or schedule").click()
    page.wait_for_url(f"**/sms/{message.public_id}/send/")
    assert page.locator(".editor-tabs [aria-current=page]").inner_text() == "3. Send or schedule"
    message = SmsMessage.objects.get(pk=message.pk)
    assert message.body == "Tents are 20% off this weekend. Reply STOP to opt out"
