"""Analytics > Consent: how the account's SMS audience grows and shrinks, from where, and why."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Account
from accounts.tenancy import account_required
from analytics import consent_report
from analytics.tasks import consent_snapshot_task
from analytics.views import _csv_response, date_range
from consent import selectors as consent_selectors

NOW_HEADER = ["Subscription type", "Subscribed", "Opted out", "Not specified", "Not SMS-capable"]
BREAKDOWN_HEADER = ["Opt-ins", "Opt-outs", "Net growth"]
LEADER_HEADER = ["Opt-outs", "Delivered", "Opt-out rate %"]
# The report asks the worker for a recount of a stale snapshot at most this often (seconds).
RECOUNT_ASK_INTERVAL = 60


def snapshot_recount_ask(account: Account) -> None:
    """Contacts change without consent changing (new ones, edited phones): a stale snapshot
    is recounted by the worker, asked once a minute at most whoever looks."""
    if cache.add(f"consent-snapshot-ask:{account.pk}", 1, RECOUNT_ASK_INTERVAL):
        consent_snapshot_task.delay(account.pk)


def _series_chart(report: consent_report.ConsentReport) -> dict:
    return {
        "type": "line",
        "labels": [b.label for b in report.buckets],
        "datasets": [
            {"label": "Opt-ins", "data": [b.opt_ins for b in report.buckets]},
            {"label": "Opt-outs", "data": [b.opt_outs for b in report.buckets]},
            {"label": "Net growth", "data": [b.net for b in report.buckets]},
        ],
    }


def _sources_chart(report: consent_report.ConsentReport) -> dict:
    """Opt-ins up and opt-outs down, stacked per source, per bucket."""
    datasets = []
    for source in report.sources_seen:
        datasets.append(
            {
                "label": f"{source.label} opt-ins",
                "data": [b.by_source.get(source.key, [0, 0])[0] for b in report.buckets],
                "stack": "in",
            }
        )
        datasets.append(
            {
                "label": f"{source.label} opt-outs",
                "data": [-b.by_source.get(source.key, [0, 0])[1] for b in report.buckets],
                "stack": "out",
            }
        )
    return {"type": "bar", "labels": [b.label for b in report.buckets], "datasets": datasets}


def _breakdown_chart(rows: list[consent_report.Breakdown]) -> dict:
    return {
        "type": "bar",
        "labels": [r.label for r in rows],
        "datasets": [
            {"label": "Opt-ins", "data": [r.opt_ins for r in rows]},
            {"label": "Opt-outs", "data": [r.opt_outs for r in rows]},
        ],
    }


def _now_chart(report: consent_report.ConsentReport) -> dict:
    return {
        "type": "bar",
        "labels": [t.name for t in report.now],
        "datasets": [
            {"label": "Subscribed", "data": [t.subscribed for t in report.now]},
            {"label": "Opted out", "data": [t.opted_out for t in report.now]},
            {"label": "Not specified", "data": [t.not_specified for t in report.now]},
            {"label": "Not SMS-capable", "data": [t.not_sms_capable for t in report.now]},
        ],
    }


def _leaders_chart(rows: list[consent_report.OptOutLeader]) -> dict:
    return {
        "type": "bar",
        "labels": [r.name for r in rows],
        "datasets": [{"label": "Opt-out rate %", "data": [r.rate or 0 for r in rows]}],
    }


def _breakdown_rows(rows: list[consent_report.Breakdown]) -> list[list]:
    return [[r.label, r.opt_ins, r.opt_outs, r.net] for r in rows]


def _leader_rows(rows: list[consent_report.OptOutLeader]) -> list[list]:
    return [[r.name, r.opt_outs, r.delivered, r.rate] for r in rows]


@require_GET
@account_required
def consent_overview(request: HttpRequest) -> HttpResponse:
    """Where contacts stand now per subscription type; opt-ins, opt-outs and net growth over
    time, by source and by keyword; opt-outs attributed to messages. Each chart has its table
    and CSV, which follow the filters on screen."""
    account = request.account
    today = timezone.now().astimezone(ZoneInfo(account.time_zone)).date()
    start, end, errors = date_range(request, today)
    unit = request.GET.get("unit", "") or consent_report.unit_default(start, end)
    if unit not in consent_report.UNITS:
        unit = consent_report.unit_default(start, end)
        errors.append(f"Group by day, week or month; showing {unit}s.")
    types = list(consent_selectors.subscription_types(account=account))
    type_id = request.GET.get("type", "")
    chosen = next((t for t in types if t.public_id == type_id), None)
    if type_id and chosen is None:
        errors.append("That subscription type doesn't exist; showing all of them.")
    report = consent_report.consent_report(
        account=account, start=start, end=end, unit=unit, subscription_type=chosen
    )
    if report.stale:
        snapshot_recount_ask(account)
    unit_label = consent_report.UNITS[unit]
    export = request.GET.get("export", "")
    name = f"{start}-{end}"
    if export == "now":
        return _csv_response(
            f"sms-consent-now-{today}.csv", NOW_HEADER, [t.row() for t in report.now]
        )
    if export == "series":
        header = [unit_label, *BREAKDOWN_HEADER]
        return _csv_response(f"sms-consent-over-time-{name}.csv", header, report.series_table())
    if export == "sources":
        return _csv_response(
            f"sms-consent-by-source-{name}.csv",
            report.sources_header(unit_label),
            report.sources_table(),
        )
    if export == "keywords":
        return _csv_response(
            f"sms-consent-by-keyword-{name}.csv",
            ["Keyword", *BREAKDOWN_HEADER],
            _breakdown_rows(report.keywords),
        )
    if export == "messages":
        return _csv_response(
            f"sms-opt-outs-by-message-{name}.csv",
            ["Message", *LEADER_HEADER],
            _leader_rows(report.top_messages),
        )
    if export == "campaigns":
        return _csv_response(
            f"sms-opt-outs-by-campaign-{name}.csv",
            ["Campaign", *LEADER_HEADER],
            _leader_rows(report.top_campaigns),
        )
    filters = {"start": start.isoformat(), "end": end.isoformat(), "unit": unit}
    if chosen is not None:
        filters["type"] = chosen.public_id

    def csv(kind: str) -> str:
        return "?" + urlencode({**filters, "export": kind})

    # HubSpot's report templates: the last 30 days, 6 months ("consent activity over the past
    # 6 months", by month) and year ("by source over the past year").
    presets = [
        (
            label,
            "?"
            + urlencode(
                {
                    "start": (today - dt.timedelta(days=days - 1)).isoformat(),
                    "end": today.isoformat(),
                    "unit": preset_unit,
                    **({"type": chosen.public_id} if chosen else {}),
                }
            ),
        )
        for label, days, preset_unit in (
            ("Last 30 days", 30, "day"),
            ("Last 6 months", 183, "month"),
            ("Last 12 months", 365, "month"),
        )
    ]
    counted_at = min((t.counted_at for t in report.now if t.counted_at), default=None)
    context = {
        "report": report,
        "errors": errors,
        "types": types,
        "chosen": chosen,
        "unit": unit,
        "units": consent_report.UNITS,
        "counted_at": counted_at,
        "presets": presets,
        "now_header": NOW_HEADER,
        "now_rows": [t.row() for t in report.now],
        "now_chart": _now_chart(report),
        "now_csv": csv("now"),
        "series_header": [unit_label, *BREAKDOWN_HEADER],
        "series_chart": _series_chart(report),
        "series_csv": csv("series"),
        "sources_header": report.sources_header(unit_label),
        "sources_chart": _sources_chart(report),
        "sources_csv": csv("sources"),
        "source_totals": _breakdown_rows(report.sources_seen),
        "source_totals_chart": _breakdown_chart(report.sources_seen),
        "keywords_header": ["Keyword", *BREAKDOWN_HEADER],
        "keyword_rows": _breakdown_rows(report.keywords),
        "keywords_chart": _breakdown_chart(report.keywords),
        "keywords_csv": csv("keywords"),
        "messages_header": ["Message", *LEADER_HEADER],
        "message_rows": _leader_rows(report.top_messages),
        "messages_chart": _leaders_chart(report.top_messages),
        "messages_csv": csv("messages"),
        "campaigns_header": ["Campaign", *LEADER_HEADER],
        "campaign_rows": _leader_rows(report.top_campaigns),
        "campaigns_chart": _leaders_chart(report.top_campaigns),
        "campaigns_csv": csv("campaigns"),
    }
    return render(request, "analytics/consent.html", context)
