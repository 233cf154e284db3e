"""A marketer sends to a list, schedules in contacts' time zones, watches the outcomes arrive
from the emulator and answers a reply in the inbox, in the browser."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo

import pytest
import requests
import time_machine

from messaging.models import InboundMessage, OutboundMessage, SmsMessage
from messaging.services import sending as sending_service
from tests.conftest import PASSWORD
from tests.messaging.test_webhooks import INBOUND_URL

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")


def status_counts(page) -> dict[str, str]:
    rows = page.locator("#status-counts tbody tr")
    return {
        rows.nth(i).get_attribute("data-status"): rows.nth(i).locator("td").nth(1).inner_text()
        for i in range(rows.count())
    }


def reload_until(page, predicate, *, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)
        page.reload()


def test_send_now_watch_outcomes_answer_a_reply_and_schedule_by_time_zone(
    page, live_server, settings, sending, emulator
):
    # Early afternoon in New York tomorrow, inside quiet hours wherever the recipients are (the
    # day ahead keeps the browser's session cookie in its future).
    now = dt.datetime.now(dt.UTC)
    afternoon = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(18, 0), dt.UTC)
    traveller = time_machine.travel(afternoon, tick=True)
    traveller.start()
    try:
        _journey(page, live_server, settings, sending, emulator)
    finally:
        traveller.stop()


def _journey(page, live_server, settings, sending, emulator):
    # Twilio's callbacks reach the app under test; their signatures are made for this URL.
    settings.PUBLIC_BASE_URL = live_server.url
    ana = sending.contact("Ana", phone="+12125552001")
    sending.contact("Ben", phone="+12125550003")  # the emulator: undelivered, 30003
    sending.contact("Cy", phone="+12125550007")  # the emulator: failed
    sending.contact("Dee", phone="+12125552004", subscribed=False)
    sale = sending.message(name="Spring sale", sender=None)

    page.goto("/login/")
    page.get_by_label("Email").fill(sending.tenant.bob.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Send now, to the list, after the review says who gets it and who doesn't.
    page.goto(f"/sms/{sale.public_id}/send/")
    page.locator("#id_include_lists").select_option(label="Customers")
    page.locator("select[name=sender]").select_option(sending.sender.public_id)
    page.get_by_label("Send now").check()
    page.get_by_role("button", name="Review").click()
    assert page.locator("#sendable").inner_text() == "3"
    assert page.locator("#not-sendable").inner_text() == "1"
    assert "Opted out" in page.locator("#review").inner_text()
    page.locator("#send-button").click()

    page.locator("#send-progress").wait_for()
    counts = reload_until(
        page,
        lambda: (
            c
            if (c := status_counts(page)).get("delivered") == "1"
            and c.get("undelivered") == "1"
            and c.get("failed") == "1"
            else None
        ),
    )
    assert counts, f"outcomes never arrived: {status_counts(page)}"
    assert counts.get("not_sent") == "1"
    assert emulator.state.creates_by_recipient == {
        "+12125552001": 1,
        "+12125550003": 1,
        "+12125550007": 1,
    }
    undelivered = OutboundMessage.objects.get(message=sale, to_phone="+12125550003")
    assert undelivered.error_code == 30003

    # Ana answers; the reply shows in the inbox, unread, and the marketer answers back.
    answer = requests.post(
        f"{emulator.url}/_emulator/inbound",
        data={
            "From": "+12125552001",
            "To": sending.sender.e164,
            "Body": "Do you have size 9?",
            "Url": f"{live_server.url}{INBOUND_URL}",
        },
        timeout=10,
    )
    assert answer.status_code < 300, answer.text
    assert InboundMessage.objects.filter(contact=ana, body="Do you have size 9?").exists()
    page.get_by_role("link", name="Inbox").first.click()
    thread_link = page.locator("#threads").get_by_role("link", name="Ana")
    assert "1" in page.locator("#threads tr.unread").inner_text()
    thread_link.click()
    assert "Do you have size 9?" in page.locator("#thread").inner_text()
    page.get_by_label("Reply").fill("Yes, in stock!")
    page.get_by_role("button", name="Send reply").click()
    page.locator("#thread").get_by_text("Yes, in stock!").wait_for()
    assert emulator.state.creates_by_recipient["+12125552001"] == 2

    # Another message, at 10:00 tomorrow in each contact's own time zone.
    lee = sending.contact("Lee", phone="+13105552002")
    restock = sending.message(name="Restock", sender=None)
    local_day = (dt.datetime.now(NEW_YORK) + dt.timedelta(days=1)).date()
    page.goto(f"/sms/{restock.public_id}/send/")
    page.locator("#id_include_lists").select_option(label="Customers")
    page.locator("select[name=sender]").select_option(sending.sender.public_id)
    page.get_by_label("At that local time in each contact's time zone").check()
    page.get_by_role("textbox", name="Date and time").fill(f"{local_day.isoformat()}T10:00")
    page.get_by_role("button", name="Review").click()
    page.get_by_role("link", name="Review recipients' time zones").click()
    zones = page.locator("#zones").inner_text()
    assert "America/New_York" in zones and "America/Los_Angeles" in zones
    assert "phone number" in zones
    page.go_back()
    page.locator("#send-button").click()
    assert page.locator("#message-status").inner_text() == "Scheduled"
    restock.refresh_from_db()
    assert restock.status == SmsMessage.Status.SCHEDULED
    assert (
        "The recipients are read from its lists at"
        in page.locator("#audience-read-at").inner_text()
    )

    # Shortly before the first zone's 10:00, beat's sweep reads the audience.
    sending_service.scheduled_fanouts_start(now=restock.fanout_starts_at)
    due = dict(
        OutboundMessage.objects.filter(message=restock, status="pending").values_list(
            "contact_id", "due_at"
        )
    )
    ten = dt.time(10, 0)
    assert due[ana.pk] == dt.datetime.combine(local_day, ten, NEW_YORK)
    assert due[lee.pk] == dt.datetime.combine(local_day, ten, LOS_ANGELES)
