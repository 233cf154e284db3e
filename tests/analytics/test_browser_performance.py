"""In headless Chromium: a message goes out through the emulator, its short link is tapped,
and the click shows on the message's performance page, in its numbers and its chart."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client

from analytics.services import rollups
from messaging import links
from messaging.models import OutboundMessage
from messaging.services.delivery import status_callbacks_apply
from tests.analytics.helpers import IPHONE, NOON_NEW_YORK, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@time_machine.travel(NOON_NEW_YORK, tick=True)  # inside quiet hours' opening
def test_a_tapped_short_link_shows_on_the_performance_page(
    page, live_server, sending, emulator, settings, tenant
):
    # The link domain is the live server, and the emulator's delivery callbacks reach it.
    host = live_server.url.split("://", 1)[1]
    settings.PUBLIC_LINK_DOMAIN = host
    settings.PUBLIC_BASE_URL = live_server.url
    sending.contact("Ann", phone="+12125550101")
    # The destination is the live server too (nothing outside resolves here).
    destination = f"{live_server.url}/healthz?ref=sms"
    message = sending.message(body=f"New arrivals: {destination}#top")
    send(sending, message)
    row = OutboundMessage.objects.get(message=message)

    def delivered() -> bool:
        # A callback can beat the dispatcher's write of the SID it answers; beat's periodic
        # apply picks those up, as this does.
        status_callbacks_apply()
        return OutboundMessage.objects.get(pk=row.pk).status == "delivered"

    wait_for(delivered, timeout=20)

    short_link = links.links_in(row.body)[0]
    assert short_link.startswith(f"https://{host}/")
    page.set_extra_http_headers({"User-Agent": IPHONE})
    # The live server speaks plain HTTP; the short link's path is what matters.
    response = page.goto(short_link.replace("https://", "http://", 1))
    assert response.ok
    assert page.url == (
        f"{destination}&utm_source=smsapp&utm_medium=sms&utm_campaign=Spring%20sale"
        f"&utm_content={message.public_id}#top"
    )

    rollups.rollups_apply_all()  # what the worker does every few seconds
    page.set_extra_http_headers({})
    sign_in(page, live_server, tenant.vera)
    page.goto(f"/analytics/messages/{message.public_id}/")
    assert page.locator("#kpi-clicks").inner_text() == "1"
    assert page.locator("#kpi-unique-clicks").inner_text() == "1"
    assert page.locator("#kpi-delivery-rate").inner_text() == "100.0%"
    page.locator("#series-chart[data-drawn=true]").wait_for(state="attached")
    page.locator("#funnel-chart[data-drawn=true]").wait_for(state="attached")
    # The chart's numbers, as a table beside it, hold the click.
    page.locator("#series-chart-figure summary").click()
    cells = page.locator("#series-chart-figure tbody tr td:nth-child(3)").all_inner_texts()
    assert sum(int(c) for c in cells) == 1
    # Dark theme: the chart is redrawn in the theme's text colour.
    page.evaluate("document.documentElement.setAttribute('data-theme', 'dark')")
    colour = page.evaluate("Chart.getChart('series-chart').options.scales.x.ticks.color")
    expected = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--pico-color').trim()"
    )
    assert colour == expected
