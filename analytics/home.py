"""The home page's recent sends, with their delivery and click rates (from the rollups)."""

from __future__ import annotations

from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from analytics import selectors
from messaging.models import SmsMessage

RECENT_SENDS = 5


def recent_sends_panel(request: HttpRequest) -> SafeString:
    messages = (
        SmsMessage.objects.filter(
            account=request.account,
            status__in=(
                SmsMessage.Status.SENDING,
                SmsMessage.Status.PAUSED,
                SmsMessage.Status.SENT,
            ),
        )
        .exclude(schedule_kind=SmsMessage.ScheduleKind.AUTOMATED)
        .order_by(F("started_at").desc(nulls_last=True), "-updated_at")[:RECENT_SENDS]
    )
    rows = []
    for message in messages:
        counters = selectors.message_counters(message=message)
        rows.append({"message": message, "counters": counters, "rates": selectors.rates(counters)})
    return render_to_string("analytics/_home_recent.html", {"rows": rows}, request=request)
