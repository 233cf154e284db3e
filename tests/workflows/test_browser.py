"""In a real browser: build "when a contact is added to list X, text them", add a contact to X,
see the text reach the emulator and the action log, reply from the handset through the
emulator, and find the reply in the inbox and on the contact's timeline."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from contacts import services as contact_services
from messaging.services.settings import sending_settings
from tests.conftest import client_for, emulated_texts
from tests.messaging.test_webhooks import INBOUND_URL
from workflows.models import Workflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+12125550142"


@pytest.fixture
def noon():
    """Real time here: the browser keeps its own clock, and a session cookie set from a frozen
    one would look expired to it. Quiet hours are opened all day instead."""


def sign_in(page, live_server, user) -> None:
    from django.conf import settings as django_settings

    client = client_for(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def test_build_a_list_workflow_text_a_contact_and_continue_the_conversation(
    page, live_server, flows, emulator, settings
):
    settings.PUBLIC_BASE_URL = live_server.url
    rules = sending_settings(flows.account)
    rules.quiet_hours_start, rules.quiet_hours_end = dt.time(0, 0), dt.time.max
    rules.save()
    vip = contact_services.contact_list_create(account=flows.account, name="VIP")
    maya = flows.contact("Maya", PHONE)
    sign_in(page, live_server, flows.user)

    # Build it.
    page.goto("/workflows/")
    page.get_by_role("button", name="Create workflow").click()
    page.get_by_label("Name").fill("VIP welcome")
    page.locator("#id_trigger_type").select_option("list_added")
    page.locator("#id_list").select_option(label="VIP")  # swapped in by htmx
    page.get_by_role("button", name="Create and add steps").click()
    page.get_by_role("button", name="Add step").click()  # Send SMS is the default kind
    # The step's composer (and htmx) are ready once the page's scripts ran.
    page.locator("html[data-composer-ready=yes]").wait_for(state="attached")
    page.locator("#id_from_number").select_option(flows.sending.sender.public_id)
    page.locator(f"#id_sender_user option[value='{flows.user.public_id}']").wait_for(
        state="attached"
    )
    page.locator("#id_sender_user").select_option(flows.user.public_id)
    page.locator("#id_phone_property").select_option("mobile_phone")
    page.locator("#id_body").fill('Welcome to VIP, {{ contact.first_name | default: "friend" }}!')
    page.get_by_role("button", name="Save step").click()
    page.get_by_text("Send SMS step saved.").wait_for()
    page.get_by_role("button", name="Turn on").click()
    page.locator("#workflow-status", has_text="On").wait_for()
    workflow = Workflow.objects.get(name="VIP welcome")
    assert workflow.enabled

    # Add Maya to the list from the contacts page.
    page.goto("/contacts/")
    page.get_by_label(f"Select {maya}").check()
    # The action bar appears once a contact is selected.
    page.locator("#bulk-actions").wait_for()
    page.locator("select[name=contact_list]").select_option(vip.public_id)
    page.get_by_role("button", name="Add to list").click()
    page.get_by_text("Added 1 contact(s) to VIP.").wait_for()

    [text] = emulated_texts(emulator, PHONE)
    assert text["body"] == "Welcome to VIP, Maya!\nReply STOP to opt out"

    page.goto(f"/workflows/{workflow.public_id}/logs/")
    sent = page.locator("#workflow-log tr[data-outcome='sent']")
    assert "SID " + text["sid"] in sent.inner_text()
    assert sent.get_by_role("link", name="Maya").get_attribute("href") == (
        f"/contacts/{maya.public_id}/"
    )

    # Maya answers from her phone.
    response = requests.post(
        f"{emulator.url}/_emulator/inbound",
        data={
            "From": PHONE,
            "To": flows.sending.sender.e164,
            "Body": "Thank you! Is parking free?",
            "Url": live_server.url + INBOUND_URL,
        },
        timeout=10,
    )
    assert response.json()["webhook_status"] == 200, response.text

    page.goto("/sms/inbox/")
    page.get_by_role("link", name="Maya").click()
    thread = page.locator("#thread")
    thread.get_by_text("Is parking free?").wait_for()
    assert "Workflow: VIP welcome: text 1" in thread.inner_text()
    page.locator("#id_body").fill("Yes, it is!")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Reply sent.").wait_for()
    assert [t["body"] for t in emulated_texts(emulator, PHONE)][-1] == "Yes, it is!"

    page.goto(f"/contacts/{maya.public_id}/")
    timeline = page.locator("body")
    timeline.get_by_text("Is parking free?").first.wait_for()
