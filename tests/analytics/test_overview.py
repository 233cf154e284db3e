"""The Analyze tab's filters: what its charts and its CSV exports count."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
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
    assert sorted(h.split("export=")[1] for h in links) == [
        "campaigns",
        "methods",
        "series",
        "series",
    ]
    for href in links:
        assert f"campaign={spring.public_id}" in href and "start=2026-06-01" in href
        text = exported(alice_client, href)
        if "export=series" in href:
            assert "2026-06-01,5," in text  # Spring's 5, not 8
        elif "export=campaigns" in href:
            assert "Spring,5," in text and "Autumn" not in text
        else:
            assert "Regular,5," in text


@pytest.fixture
def three_methods(sending, emulator, client, tenant):
    """Alice's regular "Spring sale" (5 sent), her "Local time" send in each contact's zone and
    Bob's automated "Welcome text" (3 sent each: Cy is unreachable, Ed opted out)."""
    campaign_with_results(sending, client)
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(hours=1), tick=True):
        local = sending.message(body="Local hello", name="Local time", schedule_kind="contact_tz")
        send(sending, local)
        welcome = sending.message(body="Welcome!", name="Welcome text", schedule_kind="automated")
        SmsMessage.objects.filter(pk=welcome.pk).update(owner=tenant.bob)
        send(sending, welcome)
    rollups.rollups_apply_all()


def test_the_analyze_tab_filters_by_send_method_and_user_from_rollups(
    three_methods, alice_client, tenant
):
    url = reverse("analytics:overview")
    day = {"start": "2026-06-01", "end": "2026-06-01"}
    bob = tenant.membership(tenant.bob).public_id
    alice = tenant.membership(tenant.alice).public_id

    def sent(**params) -> int:
        return alice_client.get(url, {**day, **params}).context["data"].counters["sent"]

    assert sent() == 11
    assert sent(method="regular") == 5
    assert sent(method="contact_tz") == 3
    assert sent(method="automated") == 3
    assert sent(owner=bob) == 3
    assert sent(owner=alice) == 8
    assert sent(owner=alice, method="automated") == 0
    assert sent(method="nonsense") == 11
    # Someone of another account names nobody here.
    assert sent(owner=tenant.other_account.memberships.get().public_id) == 11

    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get(url, {**day, "owner": alice})
    assert not [q for q in queries if "messaging_outboundmessage" in q["sql"]]
    methods = [(m["method"], m["counters"]["sent"]) for m in response.context["data"].methods]
    assert methods == [("regular", 5), ("contact_tz", 3), ("automated", 0)]
    page = response.content.decode()
    assert 'id="by-method"' in page and "method-chart-data" in page
    [href] = [h for h in csv_links(page) if "export=methods" in h]
    assert f"owner={alice}" in href
    text = exported(alice_client, href)
    assert "Regular,5," in text and "Scheduled in contacts' time zones,3," in text


def test_the_overview_api_filters_by_send_method_and_user(three_methods, tenant):
    from accounts.services import api_token_create
    from tests.conftest import client_for

    _, token = api_token_create(account=tenant.account, user=tenant.vera, name="t")
    api = client_for(tenant.vera)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    day = {"start": "2026-06-01", "end": "2026-06-01"}
    data = api.get("/api/v1/analytics/overview", {**day, "method": "automated"}, **auth).json()
    assert data["counters"]["sent"] == 3
    assert [m["method"] for m in data["methods"]] == ["regular", "contact_tz", "automated"]
    bob = tenant.membership(tenant.bob).public_id
    data = api.get("/api/v1/analytics/overview", {**day, "owner": bob}, **auth).json()
    assert data["counters"]["sent"] == 3
    response = api.get("/api/v1/analytics/overview", {**day, "owner": "mem_nobody"}, **auth)
    assert response.status_code == 404
    assert response.json()["error"]["fields"] == {"owner": ["No such member in your account."]}
