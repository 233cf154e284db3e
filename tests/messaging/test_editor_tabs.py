"""The message editor as HubSpot's three tabs, Content, Settings and Send or schedule, each with
its next step; the messages list leads to each message's next step; sent messages open on their
results, which show the text as a recipient got it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from analytics.services import rollups
from messaging.models import SmsMessage
from messaging.services import compose
from tests.analytics.helpers import campaign_with_results
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def panel(page: str, name: str) -> str:
    """The opening tag of an editor panel (to see whether it is hidden)."""
    return re.search(rf'<div id="panel-{name}"[^>]*>', page).group()


def test_the_composer_has_content_settings_and_send_tabs_with_next_steps(sending, bob_client):
    message = compose.message_create(account=sending.account, owner=sending.tenant.bob, name="Sale")
    url = reverse("messaging:compose", args=[message.public_id])
    send_url = reverse("messaging:send", args=[message.public_id])

    page = bob_client.get(url).content.decode()
    assert "{#" not in page and "#}" not in page  # no template comment shows as text
    assert "1. Content" in page and "2. Settings" in page and "3. Send or schedule" in page
    assert "hidden" not in panel(page, "content") and "hidden" in panel(page, "settings")
    assert 'id="next-settings"' in page and "Next: Settings" in page

    page = bob_client.get(url + "?tab=settings").content.decode()
    assert "hidden" in panel(page, "content") and "hidden" not in panel(page, "settings")
    # The settings tab's fields are there, in the same autosaved form as the body.
    settings_panel = page.split('id="panel-settings"', 1)[1]
    assert 'name="subscription_type"' in settings_panel and 'name="sender"' in settings_panel
    assert f'href="{send_url}" role="button" id="next-send">Next: Send or schedule' in page

    send_page = bob_client.get(send_url).content.decode()
    assert 'aria-current="page">3. Send or schedule' in send_page
    assert "Back: Settings" in send_page and "Next: Review" in send_page


def test_the_list_leads_drafts_to_the_editor_and_sent_messages_to_their_results(
    sending, emulator, client
):
    sent, _, _ = campaign_with_results(sending, client)
    draft = compose.message_create(account=sending.account, owner=sending.tenant.bob, name="Next")
    scheduled = sending.message(name="Later", status=SmsMessage.Status.SCHEDULED)
    page = client_for(sending.tenant.bob).get(reverse("messaging:index")).content.decode()

    def link_of(name: str) -> str:
        return re.search(rf'<a href="([^"]+)" class="message-link">{name}</a>', page).group(1)

    assert link_of("Next") == reverse("messaging:compose", args=[draft.public_id])
    assert link_of("Spring sale") == reverse("analytics:message", args=[sent.public_id])
    assert link_of("Later") == reverse("messaging:send", args=[scheduled.public_id])
    send_link = reverse("messaging:send", args=[draft.public_id])
    assert f'<a href="{send_link}" class="send-link">Send or schedule</a>' in page


def test_a_scheduled_message_says_scheduled_in_its_breadcrumb(sending, bob_client):
    message = sending.message(name="Later", status=SmsMessage.Status.SCHEDULED)
    page = bob_client.get(reverse("messaging:send", args=[message.public_id])).content.decode()
    breadcrumb = page.split('aria-label="breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert "<li>Scheduled</li>" in breadcrumb and "Sending" not in breadcrumb


def test_the_results_show_the_text_as_a_chosen_recipient_received_it(
    sending, emulator, client, vera_client
):
    message, rows, contacts = campaign_with_results(sending, client)
    rollups.rollups_apply_all()
    url = reverse("analytics:message", args=[message.public_id])

    page = vera_client.get(url).content.decode()
    received = page.split('id="original-message">', 1)[1].split("</p>", 1)[0]
    # The first recipient's own text: the token filled in, the link shortened; no token syntax.
    assert received.startswith("Hi Ann, new arrivals: ")
    assert "{{" not in received and "shop.example.com" not in received
    assert received == rows["Ann"].body.replace("&", "&amp;").replace("'", "&#x27;")

    page = vera_client.get(url, {"as": "(212) 555-0102"}).content.decode()
    received = page.split('id="original-message">', 1)[1].split("</p>", 1)[0]
    assert received.startswith("Hi Bo, new arrivals: ")
    assert "Bo" in page.split('id="as-received-who"', 1)[1].split("</p>", 1)[0]

    page = vera_client.get(url, {"as": "nobody"}).content.decode()
    assert "No recipient matches “nobody”." in page


def test_a_body_over_1600_characters_is_reported_once(sending, bob_client):
    message = compose.message_create(account=sending.account, owner=sending.tenant.bob, name="Sale")
    saved = bob_client.post(
        reverse("messaging:save", args=[message.public_id]),
        {"name": "Sale", "body": "x" * 1700, "append_opt_out": "on"},
    ).content.decode()
    assert saved.count("A message is limited to 1,600 characters") == 1
    page = bob_client.get(reverse("messaging:compose", args=[message.public_id])).content.decode()
    assert page.count("A message is limited to 1,600 characters") == 1
    send_page = bob_client.get(reverse("messaging:send", args=[message.public_id]))
    assert send_page.content.decode().count("A message is limited to 1,600 characters") <= 1
