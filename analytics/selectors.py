"""Reads for the performance page, the Analyze tab, their APIs and the contact timeline.

Charts and totals come from rollups only; raw outbound rows are read a page at a time (the
recipients tab, the timeline), never scanned to draw a chart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.text import Truncator

from accounts.models import Account
from analytics.models import (
    COUNTERS,
    MessageDayStats,
    MessageHourStats,
    MessageStats,
    OptOutAttribution,
    ReplyAttribution,
)
from analytics.twilio_errors import error_meaning
from contacts import selectors as contact_selectors
from contacts.models import Contact, EngagementKind
from contacts.timeline import TimelineItem
from messaging.models import (
    HANDED_TO_TWILIO,
    NEVER_SENT,
    NOT_DELIVERED,
    LinkClick,
    OutboundMessage,
    OutboundStatus,
    SmsMessage,
)
from messaging.selectors import SEND_METHODS
from messaging.services.audience import NOT_SENT_REASONS
from registration.models import PhoneNumber

# A message's time series is hourly while its activity spans up to this many hours.
HOURLY_SPAN_LIMIT = 72
MAX_SERIES_DAYS = 400
MAX_COMPARE = 6
# The Analyze tab's date range (page and API): the last 30 days unless asked, two years at most.
DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 731


def report_range(
    start: dt.date | None, end: dt.date | None, *, today: dt.date
) -> tuple[dt.date, dt.date, list[str]]:
    """The days a report covers (inclusive) for the days asked (None: not asked), and what was
    changed to make them a range, for pages and the API alike: the last 30 days unless asked; a
    start after the end reads as the 30 days before the end; a range past MAX_RANGE_DAYS keeps
    its last days."""
    end = end or today
    fallback = _days_before(end, DEFAULT_RANGE_DAYS - 1)
    notes = []
    start = start or fallback
    if start > end:
        notes.append("The start date is after the end date; showing the 30 days before the end.")
        start = fallback
    if (end - start).days >= MAX_RANGE_DAYS:
        notes.append(f"A range covers at most {MAX_RANGE_DAYS} days; showing the last ones.")
        start = _days_before(end, MAX_RANGE_DAYS - 1)
    return start, end, notes


def _days_before(day: dt.date, days: int) -> dt.date:
    try:
        return day - dt.timedelta(days=days)
    except OverflowError:
        return dt.date.min


def _zero() -> dict[str, int]:
    return {name: 0 for name in COUNTERS}


def _ratio(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def rates(counters: dict[str, int]) -> dict[str, float | None]:
    """Percentages: delivery of what was sent; clicks and opt-outs of what was delivered."""
    return {
        "delivery_rate": _ratio(counters["delivered"], counters["sent"]),
        "click_rate": _ratio(counters["unique_clicks"], counters["delivered"]),
        "opt_out_rate": _ratio(counters["opt_outs"], counters["delivered"]),
        "not_delivered_rate": _ratio(
            counters["undelivered"] + counters["failed"], counters["sent"]
        ),
    }


def funnel(counters: dict[str, int]) -> list[dict]:
    steps = [
        ("Sent", counters["sent"]),
        ("Delivered", counters["delivered"]),
        ("Clicked", counters["unique_clicks"]),
    ]
    top = steps[0][1]
    return [{"label": label, "value": n, "percent": _ratio(n, top)} for label, n in steps]


def message_counters(*, message: SmsMessage) -> dict[str, int]:
    stats = MessageStats.objects.filter(message=message).first()
    return stats.counters() if stats else _zero()


@dataclass
class Series:
    """A time series: labels and, per counter, one number per label."""

    unit: str  # "hour" or "day"
    labels: list[str]
    values: dict[str, list[int]]
    names: tuple[str, ...] = ("delivered", "clicks", "unique_clicks", "opt_outs")
    rows: list[list] = field(default_factory=list)

    def table(self) -> list[list]:
        return [
            [label, *(self.values[name][i] for name in self.names)]
            for i, label in enumerate(self.labels)
        ]

    def as_dict(self) -> dict:
        return {"unit": self.unit, "labels": self.labels, "values": self.values}


SERIES_LABELS = {
    "sent": "Sent",
    "delivered": "Deliveries",
    "clicks": "Clicks",
    "unique_clicks": "Unique clicks",
    "opt_outs": "Opt-outs",
    "bot_clicks": "Bot and preview fetches",
}


def _days_series(rows: dict[dt.date, dict], start: dt.date, end: dt.date, names) -> Series:
    labels, values = [], {name: [] for name in names}
    day = start
    while day <= end:
        labels.append(day.isoformat())
        found = rows.get(day, {})
        for name in names:
            values[name].append(found.get(name, 0) or 0)
        day += dt.timedelta(days=1)
    return Series("day", labels, values, tuple(names))


def message_series(*, message: SmsMessage) -> Series:
    """Deliveries, clicks, unique clicks and opt-outs over time: by hour (in the account's
    zone) while the activity spans under three days, by day after that."""
    names = ("delivered", "clicks", "unique_clicks", "opt_outs")
    zone = ZoneInfo(message.account.time_zone)
    hours = list(
        MessageHourStats.objects.filter(message=message)
        .order_by("hour")
        .values("hour", *names)[: HOURLY_SPAN_LIMIT + 1]
    )
    if hours and (hours[-1]["hour"] - hours[0]["hour"]) <= dt.timedelta(hours=HOURLY_SPAN_LIMIT):
        by_hour = {row["hour"]: row for row in hours}
        labels, values = [], {name: [] for name in names}
        hour = hours[0]["hour"]
        while hour <= hours[-1]["hour"]:
            labels.append(hour.astimezone(zone).strftime("%Y-%m-%d %H:00"))
            for name in names:
                values[name].append(by_hour.get(hour, {}).get(name, 0))
            hour += dt.timedelta(hours=1)
        return Series("hour", labels, values, names)
    days = list(
        MessageDayStats.objects.filter(message=message).order_by("day").values("day", *names)
    )
    if not days:
        return Series("hour", [], {name: [] for name in names}, names)
    start, end = days[0]["day"], days[-1]["day"]
    start = max(start, end - dt.timedelta(days=MAX_SERIES_DAYS))
    return _days_series({row["day"]: row for row in days}, start, end, names)


def message_opt_outs(*, message: SmsMessage, limit: int = 200) -> list[OptOutAttribution]:
    return list(
        OptOutAttribution.objects.filter(message=message)
        .select_related("contact")
        .order_by("-opted_out_at")[:limit]
    )


# The recipients tab's filters -> (label, condition on outbound rows).
RECIPIENT_FILTERS: dict[str, str] = {
    "": "All recipients",
    "sent": "Sent",
    "not_sent": "Not sent",
    "not_delivered": "Not delivered",
    "delivered": "Delivered",
    "clicked": "Clicked",
}


def recipients_queryset(
    *, account: Account, message: SmsMessage, status_filter: str = "", q: str = ""
) -> QuerySet[OutboundMessage]:
    """The message's recipients under one filter, searched by contact name, email or phone."""
    rows = OutboundMessage.objects.filter(
        message.texts_q(),
        account=account,
        kind__in=OutboundMessage.MARKETING_KINDS,
    )
    if status_filter == "sent":
        rows = rows.filter(status__in=HANDED_TO_TWILIO)
    elif status_filter == "not_sent":
        rows = rows.filter(status__in=NEVER_SENT)
    elif status_filter == "not_delivered":
        rows = rows.filter(status__in=NOT_DELIVERED)
    elif status_filter == "delivered":
        rows = rows.filter(status=OutboundStatus.DELIVERED)
    elif status_filter == "clicked":
        rows = rows.filter(
            Exists(LinkClick.objects.filter(outbound_id=OuterRef("pk"), is_bot=False))
        )
    q = (q or "").strip()[:100]
    if q:
        # Contacts first (their own indexes), then this message's rows of those contacts.
        contact_ids = list(
            Contact.objects.filter(account=account)
            .filter(contact_selectors.search_q(account, q))
            .values_list("pk", flat=True)[:1000]
        )
        digits = "".join(ch for ch in q if ch.isdigit())
        condition = Q(contact_id__in=contact_ids)
        if len(digits) >= 3:
            condition |= Q(to_phone__contains=digits)
        rows = rows.filter(condition)
    return rows


def message_as_received(
    *, account: Account, message: SmsMessage, q: str = ""
) -> OutboundMessage | None:
    """One recipient's text exactly as it went out (tokens filled, short links in place): the
    first recipient it was sent to, or the first matching `q` (name, email or phone)."""
    rows = recipients_queryset(
        account=account, message=message, status_filter="" if q else "sent", q=q
    )
    return rows.select_related("contact").order_by("pk").first()


@dataclass(frozen=True)
class RecipientRow:
    id: int
    contact_public_id: str
    contact_name: str
    phone: str
    status: str
    status_label: str
    detail: str
    error_code: int | None
    sent_at: dt.datetime | None
    status_updated_at: dt.datetime | None
    clicks: int
    first_click_at: dt.datetime | None


def _detail(row: OutboundMessage) -> str:
    if row.status in NEVER_SENT:
        return NOT_SENT_REASONS.get(row.not_sent_reason, row.not_sent_reason or "Cancelled")
    if row.error_code:
        return f"{row.error_code}: {error_meaning(row.error_code)}"
    return ""


def _rows(rows: list[OutboundMessage]) -> list[RecipientRow]:
    clicks: dict[int, tuple[int, dt.datetime]] = {}
    for outbound_id, clicked_at in (
        LinkClick.objects.filter(outbound_id__in=[r.id for r in rows], is_bot=False)
        .order_by("clicked_at")
        .values_list("outbound_id", "clicked_at")
    ):
        count, first = clicks.get(outbound_id, (0, clicked_at))
        clicks[outbound_id] = (count + 1, first)
    return [
        RecipientRow(
            id=r.id,
            contact_public_id=r.contact.public_id if r.contact else "",
            contact_name=str(r.contact) if r.contact else "(deleted contact)",
            phone=r.to_phone,
            status=r.status,
            status_label=r.get_status_display(),
            detail=_detail(r),
            error_code=r.error_code,
            sent_at=r.sent_at,
            status_updated_at=r.status_updated_at,
            clicks=clicks.get(r.id, (0, None))[0],
            first_click_at=clicks.get(r.id, (0, None))[1],
        )
        for r in rows
    ]


def recipients_page(
    *,
    account: Account,
    message: SmsMessage,
    status_filter: str = "",
    q: str = "",
    after: int = 0,
    size: int = 50,
) -> tuple[list[RecipientRow], int | None]:
    """One page of recipients in id order after `after`, and the cursor of the next page."""
    queryset = recipients_queryset(
        account=account, message=message, status_filter=status_filter, q=q
    )
    rows = list(queryset.filter(pk__gt=after).select_related("contact").order_by("pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return _rows(rows), (rows[-1].id if more and rows else None)


def recipients_iter(
    *, account: Account, message: SmsMessage, status_filter: str = "", q: str = ""
) -> Iterator[RecipientRow]:
    """Every recipient under a filter, in keyset batches (for the CSV export)."""
    after = 0
    while True:
        page, after = recipients_page(
            account=account,
            message=message,
            status_filter=status_filter,
            q=q,
            after=after,
            size=2000,
        )
        yield from page
        if after is None:
            return


@dataclass(frozen=True)
class Compared:
    message: SmsMessage
    counters: dict[str, int]
    rates: dict[str, float | None]


def messages_compare(*, account: Account, public_ids: list[str]) -> list[Compared]:
    """Messages of the account side by side, in the order asked (unknown ids are skipped)."""
    public_ids = list(dict.fromkeys(public_ids))[:MAX_COMPARE]
    messages = {
        m.public_id: m for m in SmsMessage.objects.filter(account=account, public_id__in=public_ids)
    }
    stats = {
        s.message_id: s.counters()
        for s in MessageStats.objects.filter(message__in=list(messages.values()))
    }
    result = []
    for public_id in public_ids:
        if public_id in messages:
            counters = stats.get(messages[public_id].pk, _zero())
            result.append(Compared(messages[public_id], counters, rates(counters)))
    return result


def messages_to_compare(*, account: Account, exclude: SmsMessage | None = None, limit: int = 50):
    """Messages that went out, newest first, to pick from for a comparison."""
    queryset = SmsMessage.objects.filter(account=account, stats__isnull=False)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.order_by("-created_at")[:limit]


@dataclass
class Overview:
    start: dt.date
    end: dt.date
    counters: dict[str, int]
    rates: dict[str, float | None]
    funnel: list[dict]
    series: Series
    campaigns: list[dict]
    # By send method (messaging.selectors.SEND_METHODS), every method listed, in that order.
    methods: list[dict] = field(default_factory=list)


def _day_stats(
    *,
    account: Account,
    start: dt.date,
    end: dt.date,
    campaign_id: int | None = None,
    method: str = "",
    owner_id: int | None = None,
) -> QuerySet[MessageDayStats]:
    """The account's per-message-day rows in the range, of the messages the filters name (a
    join to the message row each day row belongs to; no outbound row is read)."""
    queryset = MessageDayStats.objects.filter(account=account, day__gte=start, day__lte=end)
    if campaign_id is not None:
        queryset = queryset.filter(message__campaign_id=campaign_id)
    if method in SEND_METHODS:
        queryset = queryset.filter(message__schedule_kind__in=SEND_METHODS[method][1])
    if owner_id is not None:
        queryset = queryset.filter(message__owner_id=owner_id)
    return queryset


def account_overview(
    *,
    account: Account,
    start: dt.date,
    end: dt.date,
    campaign_id: int | None = None,
    method: str = "",
    owner_id: int | None = None,
) -> Overview:
    """What happened in the date range (the account's days): totals, rates, funnel, by day,
    by campaign and by send method, for the messages of a campaign, a send method and an owner
    when given. Read from the per-message-day rollup only."""
    days = _day_stats(
        account=account,
        start=start,
        end=end,
        campaign_id=campaign_id,
        method=method,
        owner_id=owner_id,
    )
    sums = {name: Sum(name) for name in COUNTERS}
    totals = {name: value or 0 for name, value in days.aggregate(**sums).items()}
    names = ("sent", "delivered", "clicks", "unique_clicks", "opt_outs")
    by_day = {row["day"]: row for row in days.values("day").annotate(**sums).order_by("day")}
    series = _days_series(by_day, start, end, names)
    campaigns = []
    for row in (
        days.values("message__campaign_id", "message__campaign__name")
        .annotate(**sums)
        .order_by("message__campaign__name")
    ):
        counters = {name: row[name] or 0 for name in COUNTERS}
        campaigns.append(
            {
                "campaign": row["message__campaign__name"] or "No campaign",
                "counters": counters,
                "rates": rates(counters),
            }
        )
    by_kind = {
        row["message__schedule_kind"]: row
        for row in days.values("message__schedule_kind").annotate(**sums).order_by()
    }
    methods = []
    for key, (label, kinds) in SEND_METHODS.items():
        counters = {
            name: sum(by_kind.get(kind, {}).get(name) or 0 for kind in kinds) for name in COUNTERS
        }
        methods.append(
            {"method": key, "label": label, "counters": counters, "rates": rates(counters)}
        )
    return Overview(start, end, totals, rates(totals), funnel(totals), series, campaigns, methods)


SMS_TIMELINE_KINDS = frozenset(
    {EngagementKind.SMS_SENT, EngagementKind.SMS_DELIVERED, EngagementKind.SMS_CLICKED}
)
_TIMELINE_TEXT_COLUMNS = (
    "id",
    "message_id",
    "kind",
    "sender_id",
    "body",
    "status",
    "error_code",
    "sent_at",
    "status_updated_at",
    "created_at",
    "to_phone",
    "not_sent_reason",
)


def sms_timeline(
    *,
    account: Account,
    contact: Contact,
    kinds: set[str],
    limit: int = 50,
    before: tuple[dt.datetime, str] | None = None,
) -> list[TimelineItem]:
    """A contact's texts as timeline items: sent, delivered (or not) and clicked, each linking
    to the message's performance page (a one-to-one text, to its inbox thread). Read from the
    outbound and click tables themselves, as consent changes are read from the ledger, rather
    than copied into engagements (contacts/timeline.py)."""
    texts = _timeline_texts(account, contact, limit, before) if kinds else []
    clicks = []
    if EngagementKind.SMS_CLICKED in kinds:
        clicks = _timeline_clicks(account, contact, limit, before)
    messages = _messages_named(account, {t.message_id for t in texts} | {c[1] for c in clicks})
    threads = _thread_links(account, contact, texts)
    items = []
    for text in texts:
        items += _text_lines(text, kinds, messages, threads)
    items += [_click_line(click, messages) for click in clicks if click[1] in messages]
    if before is not None:
        at, public_id = before
        items = [i for i in items if (i.occurred_at, i.id) < (at, public_id)]
    return items


def _timeline_texts(
    account: Account, contact: Contact, limit: int, before: tuple[dt.datetime, str] | None
) -> list[OutboundMessage]:
    """The contact's newest texts that went out (or were tried): campaign and workflow texts,
    and one-to-one texts (inbox replies, keyword answers), which have no message."""
    queryset = OutboundMessage.objects.filter(contact=contact, account=account).filter(
        Q(
            message__isnull=False,
            kind__in=OutboundMessage.MARKETING_KINDS,
        )
        | Q(kind=OutboundMessage.Kind.REPLY)
    )
    if before is not None:
        queryset = queryset.filter(created_at__lte=before[0])
    return list(
        queryset.exclude(sent_at__isnull=True, status__in=NEVER_SENT)
        .only(*_TIMELINE_TEXT_COLUMNS)
        .order_by("-created_at")[:limit]
    )


def _timeline_clicks(
    account: Account, contact: Contact, limit: int, before: tuple[dt.datetime, str] | None
) -> list[tuple]:
    """The contact's own clicks, newest first (index click_contact), whichever text they were
    on: a click today on last month's text is today's news. (id, message id, when, position)."""
    click_rows = LinkClick.objects.filter(contact=contact, account=account, is_bot=False)
    if before is not None:
        click_rows = click_rows.filter(clicked_at__lte=before[0])
    return list(
        click_rows.order_by("-clicked_at").values_list(
            "id", "message_id", "clicked_at", "position"
        )[:limit]
    )


def _messages_named(account: Account, message_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Message pk -> (public id, name), for the lines' titles and links."""
    rows = SmsMessage.objects.filter(account=account, pk__in=message_ids)
    return {
        pk: (public_id, name) for pk, public_id, name in rows.values_list("pk", "public_id", "name")
    }


def _thread_links(
    account: Account, contact: Contact, texts: list[OutboundMessage]
) -> dict[int, str]:
    """Sender number pk -> the inbox thread with the contact, for one-to-one texts."""
    numbers = PhoneNumber.objects.filter(
        account=account, pk__in={t.sender_id for t in texts if t.message_id is None}
    )
    return {
        pk: reverse("messaging:thread", args=[contact.public_id, public_id])
        for pk, public_id in numbers.values_list("pk", "public_id")
    }


def _text_lines(
    text: OutboundMessage,
    kinds: set[str],
    messages: dict[int, tuple[str, str]],
    threads: dict[int, str],
) -> list[TimelineItem]:
    """A text's "sent" line and its "delivered" (or "not delivered") line, as asked."""
    if text.message_id is None:
        title = Truncator(" ".join(text.body.split())).chars(80)
        href = threads.get(text.sender_id, "")
        data = {"phone": text.to_phone, "status": text.status, "one_to_one": True}
    elif text.message_id not in messages:
        return []
    else:
        public_id, title = messages[text.message_id]
        href = reverse("analytics:message", args=[public_id])
        data = {"message": public_id, "phone": text.to_phone, "status": text.status}
    lines = []
    if text.sent_at and EngagementKind.SMS_SENT in kinds:
        summary = f"Sent “{title}” to {text.to_phone}"
        lines.append(
            TimelineItem(
                f"sms{text.id}a", EngagementKind.SMS_SENT, text.sent_at, summary, data, href
            )
        )
    if EngagementKind.SMS_DELIVERED in kinds and text.status_updated_at:
        if text.status == OutboundStatus.DELIVERED:
            summary = f"“{title}” delivered to {text.to_phone}"
        elif text.status in NOT_DELIVERED:
            meaning = (
                f" ({text.error_code}: {error_meaning(text.error_code)})" if text.error_code else ""
            )
            summary = f"“{title}” not delivered to {text.to_phone}{meaning}"
        else:
            return lines
        lines.append(
            TimelineItem(
                f"sms{text.id}b",
                EngagementKind.SMS_DELIVERED,
                text.status_updated_at,
                summary,
                {**data, "delivered": text.status == OutboundStatus.DELIVERED},
                href,
            )
        )
    return lines


def _click_line(click: tuple, messages: dict[int, tuple[str, str]]) -> TimelineItem:
    click_id, message_id, clicked_at, position = click
    public_id, name = messages[message_id]
    return TimelineItem(
        f"clk{click_id}",
        EngagementKind.SMS_CLICKED,
        clicked_at,
        f"Clicked link {position + 1} in “{name}”",
        {"message": public_id, "link": position + 1},
        reverse("analytics:message", args=[public_id]),
    )


def timeline_replies_linked(*, account: Account, items: list[TimelineItem]) -> list[TimelineItem]:
    """The timeline's reply lines, each linked to the performance page of the message it
    answered (as the rollup attributed it: ReplyAttribution); other lines as they are."""
    sids = {
        item.data.get("message_sid")
        for item in items
        if item.kind == EngagementKind.SMS_REPLY and item.data.get("message_sid")
    }
    if not sids:
        return items
    answered = {
        sid: (public_id, name)
        for sid, public_id, name in ReplyAttribution.objects.filter(
            account=account, message_sid__in=sids
        ).values_list("message_sid", "message__public_id", "message__name")
    }
    linked = []
    for item in items:
        is_reply = item.kind == EngagementKind.SMS_REPLY
        found = answered.get(item.data.get("message_sid")) if is_reply else None
        if found is not None and not item.link_url:
            public_id, name = found
            item = replace(
                item,
                link_url=reverse("analytics:message", args=[public_id]),
                data={**item.data, "message": public_id, "message_name": name},
            )
        linked.append(item)
    return linked
