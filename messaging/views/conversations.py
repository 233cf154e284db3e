"""The inbox: conversation threads and one-to-one replies."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.tenancy import account_required, get_for_account
from contacts.models import Contact
from messaging.models import BODY_MAX_LENGTH, OutboundMessage, OutboundStatus
from messaging.services import conversations
from messaging.services.replies import reply_send
from registration.models import PhoneNumber


class ReplyForm(forms.Form):
    body = forms.CharField(max_length=BODY_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))


def _reply_outcome_flash(request: HttpRequest, row: OutboundMessage) -> None:
    """Say what really happened to the reply: Twilio took it, or it is waiting on Twilio."""
    if row.status == OutboundStatus.PENDING:
        flash.warning(
            request,
            "Twilio couldn't take the reply just now (a temporary error). It is queued and will "
            "be retried automatically; the thread shows its state.",
        )
    elif row.status == OutboundStatus.CLAIMED:
        flash.warning(
            request,
            "Twilio didn't confirm it received the reply. We check with Twilio and send it if it "
            "didn't go out; the thread shows its state.",
        )
    else:
        flash.success(request, "Reply sent.")


@require_GET
@account_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(
        request, "messaging/inbox.html", {"threads": conversations.threads(account=request.account)}
    )


@require_http_methods(["GET", "POST"])
@account_required
def thread(request: HttpRequest, contact_id: str, number_id: str) -> HttpResponse:
    contact = get_for_account(Contact, request.account, contact_id)
    number = get_for_account(PhoneNumber, request.account, number_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.can_edit:
            return render(request, "403.html", status=403)
        if form.is_valid():
            phone = conversations.thread_phone(
                account=request.account, contact=contact, number=number
            )
            try:
                row = reply_send(
                    account=request.account,
                    sender=number,
                    to_phone=phone,
                    body=form.cleaned_data["body"],
                    contact=contact,
                )
            except ValidationError as exc:
                form.add_error("body", exc)
            else:
                _reply_outcome_flash(request, row)
                return redirect("messaging:thread", contact.public_id, number.public_id)
    conversations.thread_mark_read(account=request.account, contact=contact, number=number)
    entries = conversations.thread_entries(account=request.account, contact=contact, number=number)
    return render(
        request,
        "messaging/thread.html",
        {"contact": contact, "number": number, "entries": entries, "form": form},
    )
