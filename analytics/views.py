"""Pages: a message's performance and recipients, comparing messages, and the Analyze tab."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.exports import csv_stream
from accounts.tenancy import account_required, get_for_account
from analytics import selectors
from analytics.selectors import SERIES_LABELS
from messaging.models import SmsMessage
from messaging.selectors import SEND_METHODS, message_history, message_owners
from messaging.selectors import campaigns as campaigns_of


def _message(request: HttpRequest, message_id: str) -> SmsMessage:
    queryset = SmsMessage.objects.select_related(
        "account", "campaign", "owner", "sender", "subscription_type"
    )
    return get_for_account(queryset, request.account, message_id)


def _csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_stream(header, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _series_chart(series: selectors.Series, names: tuple[str, ...] | None = None) -> dict:
    names = names or series.names
    return {
        "type": "line",
        "labels": series.labels,
        "datasets": [
            {"label": SERIES_LABELS.get(name, name), "data": series.values[name]} for name in names
        ],
    }


def _funnel_chart(steps: list[dict]) -> dict:
    return {
        "type": "bar",
        "labels": [step["label"] for step in steps],
        "datasets": [{"label": "Recipients", "data": [step["value"] for step in steps]}],
    }


@require_GET
@account_required
def message_performance(request: HttpRequest, message_id: str) -> HttpResponse:
    """Top: rates, funnel, time series, opt-outs. Tabs: performance, recipients."""
    message = _message(request, message_id)
    account = request.account
    tab = "recipients" if request.GET.get("tab") == "recipients" else "performance"
    counters = selectors.message_counters(message=message)
    steps = selectors.funnel(counters)
    context = {
        "message": message,
        "tab": tab,
        "counters": counters,
        "rates": selectors.rates(counters),
        "funnel": steps,
        "links": list(message.links.order_by("position")),
        "as_q": request.GET.get("as", "").strip()[:100],
        "can_edit": request.membership.can_edit,
    }
    context["as_received"] = selectors.message_as_received(
        account=account, message=message, q=context["as_q"]
    )
    if tab == "performance":
        context["history"] = message_history(message=message)
        series = selectors.message_series(message=message)
        context.update(
            series=series,
            series_header=[
                series.unit.capitalize(),
                *(SERIES_LABELS[name] for name in series.names),
            ],
            series_chart=_series_chart(series),
            funnel_chart=_funnel_chart(steps),
            opt_outs=selectors.message_opt_outs(message=message),
            compare_choices=selectors.messages_to_compare(account=account, exclude=message),
        )
    else:
        status_filter = request.GET.get("filter", "")
        status_filter = status_filter if status_filter in selectors.RECIPIENT_FILTERS else ""
        q = request.GET.get("q", "").strip()[:100]
        try:
            after = max(0, int(request.GET.get("after", "0")))
        except ValueError:
            after = 0
        rows, next_after = selectors.recipients_page(
            account=account, message=message, status_filter=status_filter, q=q, after=after
        )
        context.update(
            rows=rows,
            next_after=next_after,
            status_filter=status_filter,
            q=q,
            filters=selectors.RECIPIENT_FILTERS,
        )
    return render(request, "analytics/message.html", context)


RECIPIENTS_HEADER = [
    "Contact",
    "Contact ID",
    "Phone",
    "Status",
    "Reason or error",
    "Twilio error code",
    "Sent at",
    "Status updated at",
    "Clicks",
    "First click at",
]


@require_GET
@account_required
def message_recipients_csv(request: HttpRequest, message_id: str) -> StreamingHttpResponse:
    message = _message(request, message_id)
    status_filter = request.GET.get("filter", "")
    status_filter = status_filter if status_filter in selectors.RECIPIENT_FILTERS else ""
    rows = selectors.recipients_iter(
        account=request.account,
        message=message,
        status_filter=status_filter,
        q=request.GET.get("q", ""),
    )

    def lines():
        for row in rows:
            yield [
                row.contact_name,
                row.contact_public_id,
                row.phone,
                row.status_label,
                row.detail,
                row.error_code or "",
                row.sent_at.isoformat() if row.sent_at else "",
                row.status_updated_at.isoformat() if row.status_updated_at else "",
                row.clicks,
                row.first_click_at.isoformat() if row.first_click_at else "",
            ]

    suffix = f"-{status_filter}" if status_filter else ""
    return _csv_response(f"{message.public_id}-recipients{suffix}.csv", RECIPIENTS_HEADER, lines())


@require_GET
@account_required
def message_series_csv(request: HttpRequest, message_id: str) -> StreamingHttpResponse:
    message = _message(request, message_id)
    series = selectors.message_series(message=message)
    header = [series.unit.capitalize(), *(SERIES_LABELS[name] for name in series.names)]
    return _csv_response(f"{message.public_id}-over-time.csv", header, series.table())


@require_GET
@account_required
def message_compare(request: HttpRequest) -> HttpResponse:
    public_ids = [i.strip() for i in request.GET.getlist("m") if i.strip()]
    compared = selectors.messages_compare(account=request.account, public_ids=public_ids)
    chart = {
        "type": "bar",
        "labels": [c.message.name for c in compared],
        "datasets": [
            {"label": "Delivery rate %", "data": [c.rates["delivery_rate"] for c in compared]},
            {"label": "Click rate %", "data": [c.rates["click_rate"] for c in compared]},
            {"label": "Opt-out rate %", "data": [c.rates["opt_out_rate"] for c in compared]},
        ],
    }
    context = {
        "compared": compared,
        "chart": chart,
        "choices": selectors.messages_to_compare(account=request.account, limit=100),
        "chosen": {c.message.public_id for c in compared},
        "max_compare": selectors.MAX_COMPARE,
    }
    return render(request, "analytics/compare.html", context)


def date_range(request: HttpRequest, today: dt.date) -> tuple[dt.date, dt.date, list[str]]:
    """The range asked for (inclusive), defaulting to the last 30 days, with any errors."""
    errors = []

    def parse(name: str) -> dt.date | None:
        raw = request.GET.get(name, "").strip()
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            errors.append(f"“{raw}” is not a date; use YYYY-MM-DD.")
            return None

    start, end, notes = selectors.report_range(parse("start"), parse("end"), today=today)
    return start, end, errors + notes


def _breakdown_rows(rows: list[dict], label: str) -> list[list]:
    """A by-campaign or by-method table as CSV rows (see BREAKDOWN_HEADER)."""
    return [
        [
            row[label],
            row["counters"]["sent"],
            row["counters"]["delivered"],
            row["counters"]["undelivered"] + row["counters"]["failed"],
            row["counters"]["clicks"],
            row["counters"]["unique_clicks"],
            row["counters"]["opt_outs"],
            row["rates"]["delivery_rate"],
            row["rates"]["click_rate"],
            row["rates"]["opt_out_rate"],
        ]
        for row in rows
    ]


BREAKDOWN_HEADER = ["Sent", "Delivered", "Not delivered", "Clicks", "Unique clicks", "Opt-outs"]
BREAKDOWN_HEADER += ["Delivery rate %", "Click rate %", "Opt-out rate %"]


def _breakdown_chart(rows: list[dict], label: str) -> dict:
    return {
        "type": "bar",
        "labels": [row[label] for row in rows],
        "datasets": [
            {"label": "Delivered", "data": [r["counters"]["delivered"] for r in rows]},
            {"label": "Unique clicks", "data": [r["counters"]["unique_clicks"] for r in rows]},
            {"label": "Opt-outs", "data": [r["counters"]["opt_outs"] for r in rows]},
        ],
    }


@require_GET
@account_required
def overview(request: HttpRequest) -> HttpResponse:
    """The Analyze tab: a date range, totals and rates, funnel, trends, by campaign and by send
    method; filtered by campaign, send method and the user who owns the messages."""
    account = request.account
    today = timezone.now().astimezone(ZoneInfo(account.time_zone)).date()
    start, end, errors = date_range(request, today)
    campaign_choices = list(campaigns_of(account=account))
    campaign = next(
        (c for c in campaign_choices if c.public_id == request.GET.get("campaign", "")), None
    )
    method = request.GET.get("method", "")
    method = method if method in SEND_METHODS else ""
    owner_choices = list(message_owners(account=account))
    owner = next((m for m in owner_choices if m.public_id == request.GET.get("owner", "")), None)
    data = selectors.account_overview(
        account=account,
        start=start,
        end=end,
        campaign_id=campaign.pk if campaign else None,
        method=method,
        owner_id=owner.user_id if owner else None,
    )
    export = request.GET.get("export", "")
    if export == "series":
        header = ["Day", *(SERIES_LABELS[name] for name in data.series.names)]
        return _csv_response(f"sms-over-time-{start}-{end}.csv", header, data.series.table())
    if export == "campaigns":
        rows = _breakdown_rows(data.campaigns, "campaign")
        return _csv_response(
            f"sms-by-campaign-{start}-{end}.csv", ["Campaign", *BREAKDOWN_HEADER], rows
        )
    if export == "methods":
        rows = _breakdown_rows(data.methods, "label")
        return _csv_response(
            f"sms-by-send-method-{start}-{end}.csv", ["Send method", *BREAKDOWN_HEADER], rows
        )
    # Every export link carries the filters on screen, so a CSV holds what the charts show.
    filters = {"start": start.isoformat(), "end": end.isoformat()}
    if campaign is not None:
        filters["campaign"] = campaign.public_id
    if method:
        filters["method"] = method
    if owner is not None:
        filters["owner"] = owner.public_id
    context = {
        "data": data,
        "errors": errors,
        "campaigns": campaign_choices,
        "campaign": campaign,
        "methods": {key: label for key, (label, _) in SEND_METHODS.items()},
        "method": method,
        "owners": owner_choices,
        "owner": owner,
        "series_csv": "?" + urlencode({**filters, "export": "series"}),
        "campaigns_csv": "?" + urlencode({**filters, "export": "campaigns"}),
        "methods_csv": "?" + urlencode({**filters, "export": "methods"}),
        "engagement_chart": _series_chart(
            data.series, ("sent", "delivered", "clicks", "unique_clicks")
        ),
        "opt_out_chart": _series_chart(data.series, ("opt_outs",)),
        "funnel_chart": _funnel_chart(data.funnel),
        "campaign_chart": _breakdown_chart(data.campaigns, "campaign"),
        "method_chart": _breakdown_chart(data.methods, "label"),
        "series_header": ["Day", *(SERIES_LABELS[name] for name in data.series.names)],
    }
    return render(request, "analytics/overview.html", context)
