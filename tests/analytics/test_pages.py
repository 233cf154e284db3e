"""The performance page, recipients (every filter, search, CSV), actions, compare, the Analyze
tab, the API, the messages list's filters and the contact timeline."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse

from accounts.services import api_token_create
from analytics.models import MessageStats
from analytics.services import rollups
from contacts.models import Contact
from messaging.models import LinkClick, OutboundMessage, SmsMessage
from tests.analytics.helpers import NOON_NEW_YORK, campaign_with_results
from tests.conftest import client_for
from tests.factories import SmsMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def results(sending, emulator, client):
    message, rows, contacts = campaign_with_results(sending, client)
    rollups.rollups_apply_all()
    return message, rows, contacts


def names_in(response) -> list[str]:
    return sorted(row.contact_name for row in response.context["rows"])


def test_the_performance_page_shows_rates_funnel_series_and_opt_outs(results, vera_client):
    message, _, contacts = results
    with time_machine.travel(NOON_NEW_YORK + dt.timedelta(hours=1)):
        response = vera_client.get(reverse("analytics:message", args=[message.public_id]))
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["rates"]["delivery_rate"] == 60.0  # 3 of 5 sent
    assert response.context["rates"]["click_rate"] == 66.7  # 2 unique of 3 delivered
    assert [s["value"] for s in response.context["funnel"]] == [5, 3, 2]
    assert 'id="kpi-clicks">3<' in page and 'id="kpi-unique-clicks">2<' in page
    assert "funnel-chart-data" in page and "series-chart-data" in page
    series = response.context["series"]
    assert series.unit == "hour" and sum(series.values["clicks"]) == 3
    assert sum(series.values["opt_outs"]) == 1
    assert response.context["opt_outs"][0].contact == contacts["Ed"]
    assert "https://shop.example.com/new?ref=sms" in page  # the original link, as typed
    assert "vendor/chart.js/dist/chart.umd.min.js" in page
    csv_response = vera_client.get(
        reverse("analytics:message_series_csv", args=[message.public_id])
    )
    lines = list(csv.reader(io.StringIO(b"".join(csv_response.streaming_content).decode())))
    assert lines[0][1:] == ["Deliveries", "Clicks", "Unique clicks", "Opt-outs"]
    assert sum(int(line[2]) for line in lines[1:]) == 3


@pytest.mark.parametrize(
    ("status_filter", "expected"),
    [
        ("", ["Ann", "Bo", "Cy", "Di", "Ed", "Nia"]),
        ("sent", ["Ann", "Bo", "Cy", "Di", "Ed"]),
        ("not_sent", ["Nia"]),
        ("not_delivered", ["Cy", "Di"]),
        ("delivered", ["Ann", "Bo", "Ed"]),
        ("clicked", ["Ann", "Bo"]),
    ],
)
def test_every_recipient_filter(results, alice_client, status_filter, expected):
    message, _, _ = results
    url = reverse("analytics:message", args=[message.public_id])
    response = alice_client.get(url, {"tab": "recipients", "filter": status_filter})
    assert [name.split()[0] for name in names_in(response)] == expected


def test_recipients_show_reasons_and_error_meanings_and_search(results, alice_client):
    message, _, _ = results
    url = reverse("analytics:message", args=[message.public_id])
    response = alice_client.get(url, {"tab": "recipients", "filter": "not_delivered"})
    details = {r.contact_name: r.detail for r in response.context["rows"]}
    assert details["Cy"].startswith("30003: Unreachable destination handset")
    assert details["Di"].startswith("30007: Filtered by the carrier")
    response = alice_client.get(url, {"tab": "recipients", "filter": "not_sent"})
    assert response.context["rows"][0].detail == "Opted out"
    assert names_in(alice_client.get(url, {"tab": "recipients", "q": "bo"})) == ["Bo"]
    assert names_in(alice_client.get(url, {"tab": "recipients", "q": "550103"})) == ["Cy"]
    assert names_in(alice_client.get(url, {"tab": "recipients", "q": "zed"})) == []
    # Unknown filters fall back to everyone; a junk cursor to the first page.
    response = alice_client.get(url, {"tab": "recipients", "filter": "x", "after": "junk"})
    assert len(response.context["rows"]) == 6


def test_recipients_page_through_with_a_cursor(results, alice_client):
    message, _, _ = results
    from analytics import selectors

    first, after = selectors.recipients_page(account=message.account, message=message, size=4)
    second, end = selectors.recipients_page(
        account=message.account, message=message, size=4, after=after
    )
    assert len(first) == 4 and len(second) == 2 and end is None
    assert {r.id for r in first}.isdisjoint({r.id for r in second})


def test_recipients_csv_is_filtered_and_formula_safe(results, alice_client):
    message, rows, contacts = results
    Contact.objects.filter(pk=contacts["Ann"].pk).update(first_name='=HYPERLINK("x")')
    url = reverse("analytics:message_recipients_csv", args=[message.public_id])
    response = alice_client.get(url, {"filter": "clicked"})
    assert response["Content-Type"] == "text/csv"
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:4] == ["Contact", "Contact ID", "Phone", "Status"]
    by_phone = {line[2]: line for line in lines[1:]}
    assert set(by_phone) == {rows["Ann"].to_phone, rows["Bo"].to_phone}
    assert by_phone[rows["Ann"].to_phone][0].startswith("'=HYPERLINK")
    assert by_phone[rows["Ann"].to_phone][8] == "2"  # clicks


def test_clone_archive_and_delete(results, bob_client):
    message, _, _ = results
    response = bob_client.post(reverse("messaging:clone", args=[message.public_id]))
    copy = SmsMessage.objects.exclude(pk=message.pk).get()
    assert response.url == reverse("messaging:compose", args=[copy.public_id])
    assert (copy.status, copy.body, copy.name) == ("draft", message.body, "Spring sale (copy)")
    assert list(copy.include_lists.all()) == list(message.include_lists.all())
    assert copy.subscription_type == message.subscription_type

    SmsMessage.objects.filter(pk=message.pk).update(status=SmsMessage.Status.SENT)
    bob_client.post(reverse("messaging:archive", args=[message.public_id]))
    message.refresh_from_db()
    assert message.archived_at is not None
    assert MessageStats.objects.filter(message=message).exists()  # archived keeps results

    delete_url = reverse("messaging:delete_with_results", args=[message.public_id])
    assert b"Delete for good" in bob_client.get(delete_url).content
    bob_client.post(delete_url, {"confirm_name": "wrong"})
    assert SmsMessage.objects.filter(pk=message.pk).exists()
    bob_client.post(delete_url, {"confirm_name": message.name})
    assert not SmsMessage.objects.filter(pk=message.pk).exists()
    assert not MessageStats.objects.filter(message_id=message.pk).exists()
    assert not OutboundMessage.objects.filter(message_id=message.pk).exists()
    assert not LinkClick.objects.filter(message_id=message.pk).exists()


def test_viewers_cannot_clone_or_delete(results, vera_client):
    message, _, _ = results
    assert vera_client.post(reverse("messaging:clone", args=[message.public_id])).status_code == 403
    delete_url = reverse("messaging:delete_with_results", args=[message.public_id])
    assert vera_client.post(delete_url, {"confirm_name": message.name}).status_code == 403
    assert SmsMessage.objects.count() == 1


def test_compare_puts_messages_side_by_side(results, sending, alice_client, tenant):
    message, _, _ = results
    other = sending.message(name="Quiet one")
    foreign = SmsMessageFactory(account=tenant.other_account, name="Not yours")
    response = alice_client.get(
        reverse("analytics:compare"),
        {"m": [message.public_id, other.public_id, foreign.public_id]},
    )
    compared = response.context["compared"]
    assert [c.message.name for c in compared] == ["Spring sale", "Quiet one"]
    assert compared[0].rates["delivery_rate"] == 60.0
    assert compared[1].rates["delivery_rate"] is None


def test_the_analyze_tab_totals_a_date_range_by_day_and_campaign(results, sending, alice_client):
    message, _, _ = results
    url = reverse("analytics:overview")
    response = alice_client.get(url, {"start": "2026-05-20", "end": "2026-06-10"})
    data = response.context["data"]
    assert data.counters["sent"] == 5 and data.counters["clicks"] == 3
    assert data.counters["opt_outs"] == 1
    assert [s["value"] for s in data.funnel] == [5, 3, 2]
    day = data.series.labels.index("2026-06-01")
    assert data.series.values["delivered"][day] == 3
    assert [row["campaign"] for row in data.campaigns] == ["No campaign"]
    assert "engagement-chart-data" in response.content.decode()
    # Outside the range: nothing.
    response = alice_client.get(url, {"start": "2026-07-01", "end": "2026-07-31"})
    assert response.context["data"].counters["sent"] == 0
    # Bad input is explained, and a sane range shown.
    response = alice_client.get(url, {"start": "yesterday", "end": "2026-06-01"})
    assert "“yesterday” is not a date" in response.content.decode()
    response = alice_client.get(url, {"start": "2026-06-05", "end": "2026-06-01"})
    assert "start date is after the end date" in response.content.decode()
    # Every chart's numbers as CSV.
    response = alice_client.get(
        url, {"start": "2026-05-20", "end": "2026-06-10", "export": "campaigns"}
    )
    text = b"".join(response.streaming_content).decode()
    assert "No campaign,5,3,2,3,2,1,60.0,66.7,33.3" in text
    response = alice_client.get(
        url, {"start": "2026-06-01", "end": "2026-06-01", "export": "series"}
    )
    assert "2026-06-01,5,3,3,2,1" in b"".join(response.streaming_content).decode()


def test_the_analyze_tab_filters_by_campaign(results, sending, alice_client):
    message, _, _ = results
    from messaging.services.compose import campaign_get_or_create

    spring = campaign_get_or_create(account=sending.account, name="Spring")
    other = campaign_get_or_create(account=sending.account, name="Other")
    SmsMessage.objects.filter(pk=message.pk).update(campaign=spring)
    url = reverse("analytics:overview")
    params = {"start": "2026-06-01", "end": "2026-06-01"}
    response = alice_client.get(url, {**params, "campaign": spring.public_id})
    assert response.context["data"].counters["sent"] == 5
    assert response.context["data"].campaigns[0]["campaign"] == "Spring"
    response = alice_client.get(url, {**params, "campaign": other.public_id})
    assert response.context["data"].counters["sent"] == 0


def test_the_api_gives_performance_recipients_and_overview(results, tenant):
    message, _, _ = results
    _, token = api_token_create(account=tenant.account, user=tenant.vera, name="t")
    api = client_for(tenant.vera)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = api.get(f"/api/v1/messages/{message.public_id}/performance", **auth)
    body = response.json()
    assert body["counters"]["unique_clicks"] == 2 and body["rates"]["delivery_rate"] == 60.0
    assert [s["value"] for s in body["funnel"]] == [5, 3, 2]
    response = api.get(
        f"/api/v1/messages/{message.public_id}/recipients", {"filter": "not_delivered"}, **auth
    )
    assert sorted(r["error_code"] for r in response.json()["results"]) == [30003, 30007]
    response = api.get(f"/api/v1/messages/{message.public_id}/recipients", {"filter": "x"}, **auth)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["filter"]
    response = api.get(
        "/api/v1/analytics/overview", {"start": "2026-05-01", "end": "2026-06-30"}, **auth
    )
    assert response.json()["counters"]["sent"] == 5
    response = api.get(
        "/api/v1/analytics/overview", {"start": "2026-07-01", "end": "2026-06-30"}, **auth
    )
    assert (response.json()["start"], response.json()["end"]) == ("2026-06-01", "2026-06-30")
    assert response.json()["notes"] == [
        "The start date is after the end date; showing the 30 days before the end."
    ]
    refused = api.get("/api/v1/analytics/overview", {"start": ""}, **auth)
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["start"] == ["A day from 2000 on, as YYYY-MM-DD."]
    # Someone else's message is not found.
    _, charlie_token = api_token_create(account=tenant.other_account, user=tenant.charlie, name="c")
    response = api.get(
        f"/api/v1/messages/{message.public_id}/performance",
        HTTP_AUTHORIZATION=f"Bearer {charlie_token}",
    )
    assert response.status_code == 404


def test_outsiders_get_404_on_a_performance_page(results, charlie_client):
    message, _, _ = results
    for name in ("analytics:message", "analytics:message_recipients_csv"):
        assert charlie_client.get(reverse(name, args=[message.public_id])).status_code == 404


def test_the_messages_list_filters_by_campaign_send_method_and_user(sending, alice_client, tenant):
    from messaging.services.compose import campaign_get_or_create

    spring = campaign_get_or_create(account=sending.account, name="Spring")
    sending.message(name="Regular", campaign=spring)
    sending.message(name="Local time", schedule_kind="contact_tz")
    workflow = sending.message(name="Workflow", schedule_kind="automated")
    SmsMessage.objects.filter(pk=workflow.pk).update(owner=tenant.bob)
    sending.message(name="Later", schedule_kind="at")
    url = reverse("messaging:index")

    def listed(**params) -> list[str]:
        response = alice_client.get(url, params)
        return sorted(m.name for m in response.context["page"].object_list)

    assert listed(campaign=spring.public_id) == ["Regular"]
    assert listed(method="regular") == ["Later", "Regular"]
    assert listed(method="contact_tz") == ["Local time"]
    assert listed(method="automated") == ["Workflow"]
    assert listed(owner=tenant.membership(tenant.bob).public_id) == ["Workflow"]
    assert listed(owner=tenant.membership(tenant.alice).public_id) == [
        "Later",
        "Local time",
        "Regular",
    ]
    assert listed(method="nonsense") == ["Later", "Local time", "Regular", "Workflow"]
    # Someone of another account names nobody here.
    other = tenant.other_account.memberships.get().public_id
    assert listed(owner=other) == []


def test_the_contact_timeline_shows_sent_delivered_clicked_and_failed(results, alice_client):
    message, rows, contacts = results
    from contacts.selectors import contact_timeline

    items = contact_timeline(account=message.account, contact=contacts["Ann"])
    kinds = [i.kind for i in items]
    assert kinds.count("sms_clicked") == 2
    assert "sms_sent" in kinds and "sms_delivered" in kinds
    performance = reverse("analytics:message", args=[message.public_id])
    assert {i.link_url for i in items if i.kind.startswith("sms_")} == {performance}
    cy = contact_timeline(account=message.account, contact=contacts["Cy"])
    failed = next(i for i in cy if i.kind == "sms_delivered")
    assert "not delivered" in failed.summary and "30003" in failed.summary
    only_clicks = contact_timeline(
        account=message.account, contact=contacts["Ann"], kinds=["sms_clicked"]
    )
    assert {i.kind for i in only_clicks} == {"sms_clicked"}
    page = alice_client.get(reverse("contacts:detail", args=[contacts["Ann"].public_id]))
    assert performance in page.content.decode()
