"""Analytics > Consent and its API: the numbers a marketer reads are the ledger's, by day, week
and month, by source and keyword; opt-outs are attributed to the message before them; every
chart has its CSV; bad filters get clear errors."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest
from django.urls import reverse

from analytics.models import ConsentSnapshot, OptOutAttribution
from analytics.services import consent_rollups, rollups
from consent import services as consent_services
from consent.models import ConsentLedgerEntry, ConsentState
from tests.analytics.helpers import campaign_with_results, consent_history

pytestmark = pytest.mark.django_db

URL = "/analytics/consent/"
JUNE = {"start": "2026-06-01", "end": "2026-06-30"}


@pytest.fixture
def history(sending):
    contacts = consent_history(sending)
    consent_rollups.consent_rollups_apply_all()
    return contacts


def raw(account, **filters) -> int:
    """Ledger entries straight from the table (the history's days are all in June 2026)."""
    return ConsentLedgerEntry.objects.filter(account=account, **filters).count()


def exported(client, page: str, kind: str) -> list[list[str]]:
    href = next(
        html.unescape(h)
        for h in re.findall(r'href="(\?[^"]*export=[^"]*)"', page)
        if f"export={kind}" in html.unescape(h)
    )
    response = client.get(URL + href)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_analytics_has_a_consent_tab(alice_client, sending):
    page = alice_client.get(reverse("analytics:overview")).content.decode()
    assert f'href="{URL}"' in page
    assert alice_client.get(URL).status_code == 200


def test_totals_and_days_are_the_ledgers(alice_client, sending, history):
    account = sending.account
    response = alice_client.get(URL, JUNE)
    report = response.context["report"]
    assert report.opt_ins == raw(account, new_status=ConsentState.SUBSCRIBED) == 7
    assert report.opt_outs == raw(account, new_status=ConsentState.UNSUBSCRIBED) == 3
    assert report.net == 4
    page = response.content.decode()
    assert 'id="total-opt-ins">7<' in page and 'id="total-net">4<' in page
    rows = exported(alice_client, page, "series")
    assert rows[0] == ["Day", "Opt-ins", "Opt-outs", "Net growth"]
    by_day = {row[0]: row[1:] for row in rows[1:]}
    assert len(by_day) == 30
    assert by_day["2026-06-01"] == ["5", "0", "5"]  # the import and the reformat, New York's day
    assert by_day["2026-06-02"] == ["0", "3", "-3"]
    assert by_day["2026-06-03"] == ["2", "0", "2"]


def test_weeks_and_months(alice_client, sending, history):
    weeks = alice_client.get(URL, {**JUNE, "unit": "week"}).context["report"]
    # June 1, 2026 is a Monday: the whole history is in its week.
    assert [(b.label, b.opt_ins, b.opt_outs) for b in weeks.buckets][0] == ("2026-06-01", 7, 3)
    months = alice_client.get(
        URL, {"start": "2026-05-01", "end": "2026-07-31", "unit": "month"}
    ).context["report"]
    assert [(b.label, b.net) for b in months.buckets] == [
        ("2026-05", 0),
        ("2026-06", 4),
        ("2026-07", 0),
    ]


def test_by_source_and_by_keyword(alice_client, sending, history):
    response = alice_client.get(URL, JUNE)
    sources = {s.key: (s.opt_ins, s.opt_outs) for s in response.context["report"].sources}
    assert sources["import"] == (4, 0)
    assert sources["reformat"] == (1, 0)
    assert sources["keyword"] == (1, 2)
    assert sources["carrier"] == (0, 1)
    assert sources["manual"] == (1, 0)
    assert sources["form"] == sources["api"] == sources["bulk"] == (0, 0)
    page = response.content.decode()
    assert "Carrier error 21610" in page and "Phone reformat" in page
    keywords = exported(alice_client, page, "keywords")
    assert keywords[0] == ["Keyword", "Opt-ins", "Opt-outs", "Net growth"]
    assert sorted(keywords[1:]) == [
        ["QUIT", "0", "1", "-1"],
        ["START", "1", "0", "1"],
        ["STOP", "0", "1", "-1"],
    ]
    by_source = exported(alice_client, page, "sources")
    assert by_source[0][:3] == ["Day", "Keyword opt-ins", "Keyword opt-outs"]
    june_2 = next(row for row in by_source if row[0] == "2026-06-02")
    header = by_source[0]
    assert june_2[header.index("Carrier error 21610 opt-outs")] == "1"


def test_now_and_the_subscription_type_filter(alice_client, sending, history):
    other = consent_services.subscription_type_create(account=sending.account, name="Alerts")
    consent_services.contact_opt_in(
        account=sending.account,
        contact=history[1],
        subscription_type=other,
        actor=sending.tenant.alice,
        consent_confirmed=True,
    )
    consent_rollups.consent_rollups_apply_all()
    consent_rollups.consent_snapshots_refresh(account_ids=[sending.account.pk])
    response = alice_client.get(URL, {**JUNE, "type": other.public_id})
    report = response.context["report"]
    assert [t.name for t in report.now] == ["Alerts"]
    assert report.now[0].subscribed == 1
    # The manual opt-in happened today, outside June 2026; June holds nothing for Alerts.
    assert report.opt_ins == 0
    everything = alice_client.get(URL, JUNE).context["report"]
    assert {t.name: t.subscribed for t in everything.now} == {"Marketing SMS": 4, "Alerts": 1}
    now_csv = exported(alice_client, response.content.decode(), "now")
    assert now_csv == [
        ["Subscription type", "Subscribed", "Opted out", "Not specified", "Not SMS-capable"],
        ["Alerts", "1", "0", "5", "0"],
    ]


def test_bad_filters_get_clear_errors(alice_client, sending, history):
    response = alice_client.get(
        URL, {"start": "2026-06-30", "end": "2026-06-01", "unit": "year", "type": "sbt_nope"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The start date is after the end date" in page
    assert "Group by day, week or month" in page
    assert "That subscription type doesn&#x27;t exist" in page
    assert alice_client.get(URL, {"start": "June"}).status_code == 200


def test_opt_outs_attributed_to_the_message_before_them(alice_client, client, sending, emulator):
    message, _, _ = campaign_with_results(sending, client)
    rollups.rollups_apply_all()
    consent_rollups.consent_rollups_apply_all()
    response = alice_client.get(URL, JUNE)
    report = response.context["report"]
    attributed = OptOutAttribution.objects.filter(account=sending.account).count()
    assert report.attributed_opt_outs == attributed == 1
    assert report.personal_opt_outs == 1
    [top] = report.top_messages
    # Ed opted out of three deliveries.
    assert (top.name, top.opt_outs, top.delivered, top.rate) == ("Spring sale", 1, 3, 33.3)
    assert report.top_campaigns[0].name == "No campaign"
    rows = exported(alice_client, response.content.decode(), "messages")
    assert rows == [
        ["Message", "Opt-outs", "Delivered", "Opt-out rate %"],
        ["Spring sale", "1", "3", "33.3"],
    ]


def test_the_api_gives_the_same_figures(alice_client, sending, history):
    page = alice_client.get(URL, {**JUNE, "unit": "week"}).context["report"]
    response = alice_client.get("/api/v1/analytics/consent", {**JUNE, "unit": "week"})
    assert response.status_code == 200
    body = response.json()
    assert (body["opt_ins"], body["opt_outs"], body["net"]) == (7, 3, 4)
    assert [s["opt_ins"] for s in body["series"]] == [b.opt_ins for b in page.buckets]
    assert {k["key"]: k["opt_outs"] for k in body["keywords"]} == {
        "STOP": 1,
        "QUIT": 1,
        "START": 0,
    }
    assert body["now"][0]["name"] == "Marketing SMS"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"unit": "year"}, "unit"),
        ({"start": "June"}, "start"),
        ({"start": ""}, "start"),
        ({"end": "1999-12-31"}, "end"),
        ({"start": "2026-02-30"}, "start"),
    ],
)
def test_the_api_refuses_bad_filters(alice_client, sending, params, field):
    response = alice_client.get("/api/v1/analytics/consent", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_subscription_type_not_in_the_account_is_not_found(alice_client, sending):
    response = alice_client.get("/api/v1/analytics/consent", {"subscription_type": "sbt_nope"})
    assert response.status_code == 404
    assert response.json()["error"]["fields"] == {
        "subscription_type": ["No such subscription type in your account."]
    }


@pytest.mark.parametrize(
    ("params", "counted", "note"),
    [
        (
            {"start": "2026-06-30", "end": "2026-06-01"},
            ("2026-05-03", "2026-06-01"),
            "The start date is after the end date",
        ),
        (
            {"start": "2020-01-01", "end": "2026-01-01"},
            ("2024-01-02", "2026-01-01"),
            "A range covers at most 731 days",
        ),
    ],
)
def test_a_range_the_report_cant_cover_is_read_as_the_pages_read_it(
    alice_client, sending, params, counted, note
):
    body = alice_client.get("/api/v1/analytics/consent", params).json()
    assert (body["start"], body["end"]) == counted
    assert note in body["notes"][0]


def test_another_accounts_figures_stay_theirs(charlie_client, sending, history):
    body = charlie_client.get("/api/v1/analytics/consent", JUNE).json()
    assert (body["opt_ins"], body["opt_outs"]) == (0, 0)
    page = charlie_client.get(URL, JUNE).context["report"]
    assert page.opt_ins == 0
    assert all(t.subscribed == 0 for t in page.now)


def test_the_schema_documents_the_report(alice_client):
    schema = alice_client.get("/api/schema/").content.decode()
    assert "/api/v1/analytics/consent" in schema
    assert "attributed_opt_outs" in schema


def test_a_stale_snapshot_is_recounted_by_the_worker(alice_client, sending, history):
    """New contacts don't touch the ledger: the report asks the worker to recount."""
    sending.contact("Newcomer", mobile_phone="+14155553999", subscribed=None)
    consent_rollups.consent_snapshots_refresh(account_ids=[sending.account.pk])
    before = alice_client.get(URL).context["report"].now[0].not_specified
    ConsentSnapshot.objects.update(counted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    sending.contact("Late", mobile_phone="+14155553998", subscribed=None)
    alice_client.get(URL)  # the worker (eager in tests) recounts
    assert alice_client.get(URL).context["report"].now[0].not_specified == before + 1


def test_counted_at_is_in_the_accounts_time_zone(alice_client, sending, history):
    account = sending.account
    ConsentSnapshot.objects.filter(account=account).update(
        counted_at=dt.datetime(2026, 6, 2, 3, 30, tzinfo=dt.UTC)
    )
    page = alice_client.get(URL).content.decode()
    # 03:30 UTC is 11:30 pm the evening before in New York.
    assert "Counted at Jun 1, 2026, 11:30 p.m. (America/New_York)" in page


def test_six_months_by_month_is_one_click_away(alice_client, sending, history):
    page = alice_client.get(URL).content.decode()
    href = html.unescape(re.search(r'href="([^"]*)">Last 6 months<', page).group(1))
    report = alice_client.get(URL + href).context["report"]
    assert report.unit == "month" and len(report.buckets) in (6, 7)
