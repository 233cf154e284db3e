"""The Analyze tab's filters: what its charts and its CSV exports count."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.urls import reverse

from analytics.services import rollups
from messaging.models import SmsMessage
from messaging.services.compose import campaign_get_or_create
from tests.analytics.helpers import NOON_NEW_YORK, campaign_with_results, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_campaigns(sending, emulator, client):
    """ "Spring sale" (5 sent) in campaign Spring; "Autumn sale" in Autumn, sent the same day to
    the 3 still reachable and subscribed."""
    spring_message, _, _ = campaign_with_results(sending, client)
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(hours=1), tick=True):
        autumn_message = sending.message(body="Autumn is here", name="Autumn sale")
        send(sending, autumn_message)
    spring = campaign_get_or_create(account=sending.account, name="Spring")
    autumn = campaign_get_or_create(account=sending.account, name="Autumn")
    SmsMessage.objects.filter(pk=spring_message.pk).update(campaign=spring)
    SmsMessage.objects.filter(pk=autumn_message.pk).update(campaign=autumn)
    rollups.rollups_apply_all()
    return spring, autumn


def csv_links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="(\?[^"]*export=[^"]*)"', page)]


def exported(client, href: str) -> str:
    response = client.get(reverse("analytics:overview") + href)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def test_csv_exports_hold_what_the_filtered_charts_show(two_campaigns, alice_client):
    spring, _ = two_campaigns
    url = reverse("analytics:overview")
    response = alice_client.get(
        url, {"start": "2026-06-01", "end": "2026-06-01", "campaign": spring.public_id}
    )
    assert response.context["data"].counters["sent"] == 5
    everything = alice_client.get(url, {"start": "2026-06-01", "end": "2026-06-01"})
    assert everything.context["data"].counters["sent"] == 8
    links = csv_links(response.content.decode())
    assert {("export=series" in h, "export=campaigns" in h) for h in links} == {
        (True, False),
        (False, True),
    }
    for href in links:
        assert f"campaign={spring.public_id}" in href and "start=2026-06-01" in href
        text = exported(alice_client, href)
        if "export=series" in href:
            assert "2026-06-01,5," in text  # Spring's 5, not 8
        else:
            assert "Spring,5," in text and "Autumn" not in text
