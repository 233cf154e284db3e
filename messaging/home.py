"""Messaging's parts of the home page: the checklist's last step and the dashboard's usage,
drafts and scheduled sends."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accounts.home import ChecklistStep
from accounts.models import Account
from messaging.models import SmsMessage
from messaging.services import allotment

PANEL_ROWS = 5
WENT_OUT = (SmsMessage.Status.SENDING, SmsMessage.Status.PAUSED, SmsMessage.Status.SENT)


def first_message_sent(account: Account) -> bool:
    return SmsMessage.objects.filter(account=account, status__in=WENT_OUT).exists()


SEND_FIRST_MESSAGE = ChecklistStep(
    order=40,
    label="Send a first message",
    description="Write it, choose who gets it, review the exact cost, then send or schedule it.",
    url_name="messaging:new",
    done=first_message_sent,
)


def dashboard_panel(request: HttpRequest) -> SafeString:
    account = request.account
    messages = SmsMessage.objects.filter(account=account, archived_at__isnull=True)
    context = {
        "usage": allotment.usage(account=account),
        "drafts": list(
            messages.filter(status=SmsMessage.Status.DRAFT).order_by("-updated_at")[:PANEL_ROWS]
        ),
        "drafts_count": messages.filter(status=SmsMessage.Status.DRAFT).count(),
        "scheduled": list(
            messages.filter(status=SmsMessage.Status.SCHEDULED).order_by(
                "scheduled_at", "local_send_at"
            )[:PANEL_ROWS]
        ),
    }
    return render_to_string("messaging/_home_panel.html", context, request=request)
