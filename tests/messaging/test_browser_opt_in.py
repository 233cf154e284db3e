"""In headless Chromium at a phone's width: a visitor signs up on the hosted opt-in page, is told
what is missing, then to check their phone; the confirmation text reaches the emulator, and
the YES texted back subscribes them."""

from __future__ import annotations

import pytest
import requests

from consent import services as consent_services
from consent.models import ConsentState, ConsentStatus
from tests.conftest import emulated_texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+12125556101"


def test_a_visitor_signs_up_and_confirms_by_text(page, live_server, sending, emulator, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    opt_in_page = consent_services.opt_in_page_save(
        account=sending.account,
        subscription_type=sending.subscription_type,
        program_name="Acme Outdoor Deals",
        message_frequency="Up to 4 msgs/month",
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/optin/{opt_in_page.public_id}/")
    consent_text = page.locator("#consent-text").inner_text()
    assert "Msg & data rates may apply" in consent_text
    assert not page.locator("#consent").is_checked()
    # Nothing spills sideways at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#phone", "212 555 6101")
    page.click("button[type=submit]")
    assert "Tick the box to agree" in page.locator("#opt-in-form").inner_text()
    assert page.input_value("#phone") == "212 555 6101"  # what was typed stays
    page.check("#consent")
    page.click("button[type=submit]")
    done = page.locator("#opt-in-done").inner_text()
    assert "Check your phone" in done and PHONE in done
    [text] = [t for t in emulated_texts(emulator, PHONE) if t["direction"] != "inbound"]
    assert "Reply YES to confirm" in text["body"]
    requests.post(
        f"{emulator.url}/_emulator/inbound",
        data={
            "From": PHONE,
            "To": sending.sender.e164,
            "Body": "YES",
            "Url": live_server.url + "/webhooks/twilio/inbound",
        },
        timeout=10,
    ).raise_for_status()
    assert ConsentStatus.objects.get(phone_e164=PHONE).status == ConsentState.SUBSCRIBED
