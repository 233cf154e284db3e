"""The composer's "Send or schedule" tab: audience, when, review, and the send's progress."""

from __future__ import annotations

import json
import zoneinfo

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import form_errors_from
from accounts.tenancy import account_required, get_for_account
from contacts.models import ContactList
from messaging import selectors
from messaging.models import DEFERRED_REASONS, OutboundMessage, OutboundStatus, SmsMessage
from messaging.schedule import recipient_zone
from messaging.services import allotment, audience, lifecycle, sending
from messaging.services.audience_edit import contacts_from_text, message_audience_set
from registration.models import PhoneNumber


class SendForm(forms.Form):
    include_lists = forms.ModelMultipleChoiceField(
        queryset=ContactList.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.SelectMultiple(attrs={"data-picker": "", "data-placeholder": "Search lists"}),
    )
    exclude_lists = forms.ModelMultipleChoiceField(
        queryset=ContactList.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.SelectMultiple(attrs={"data-picker": "", "data-placeholder": "Search lists"}),
    )
    # Comma-separated contact ids, emails or phone numbers in any format: what the searchable
    # picker (static/js/pickers.js) posts, and what can be typed without JavaScript.
    include_contacts = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"data-picker": "contacts"}),
        help_text="Search by name, email or phone, e.g. (617) 555-0177.",
    )
    exclude_contacts = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"data-picker": "contacts"})
    )
    sender = forms.ModelChoiceField(
        queryset=PhoneNumber.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="— no approved number yet —",
    )
    schedule_kind = forms.ChoiceField(
        # "Automated" belongs to workflows; a marketer picks one of the other three.
        choices=[
            choice
            for choice in SmsMessage.ScheduleKind.choices
            if choice[0] != SmsMessage.ScheduleKind.AUTOMATED
        ],
        widget=forms.RadioSelect,
    )
    send_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        lists = ContactList.objects.filter(account=account).order_by("name")
        self.fields["include_lists"].queryset = lists
        self.fields["exclude_lists"].queryset = lists
        numbers = PhoneNumber.objects.filter(account=account, status=PhoneNumber.Status.ACTIVE)
        self.fields["sender"].queryset = numbers
        if numbers.exists():
            self.fields["sender"].empty_label = "— choose a number —"
        self.account = account
        search_url = reverse("messaging:contact_search")
        for name in ("include_contacts", "exclude_contacts"):
            self.fields[name].widget.attrs["data-search-url"] = search_url

    def pickers_prepare(self) -> None:
        """Give the contact pickers the labels of what is chosen (the value holds ids)."""
        for name in ("include_contacts", "exclude_contacts"):
            value = self[name].value() or ""
            if isinstance(value, list):
                value = ",".join(value)
            options = selectors.contact_picker_options(account=self.account, text=value)
            self.fields[name].widget.attrs["data-options"] = json.dumps(options, ensure_ascii=False)

    def clean(self):
        cleaned = super().clean()
        for name in ("include_contacts", "exclude_contacts"):
            found, unknown = contacts_from_text(account=self.account, text=cleaned.get(name) or "")
            if unknown:
                self.add_error(name, f"No contact matches: {', '.join(unknown[:10])}.")
            cleaned[name] = found
        return cleaned


def _contacts_text(contacts) -> str:
    return ",".join(c.public_id for c in contacts)


def _initial(message: SmsMessage) -> dict:
    send_at = None
    if message.scheduled_at:
        zone = zoneinfo.ZoneInfo(message.account.time_zone)
        send_at = message.scheduled_at.astimezone(zone).replace(tzinfo=None)
    elif message.local_send_at:
        send_at = message.local_send_at.replace(tzinfo=None)
    return {
        "include_lists": message.include_lists.all(),
        "exclude_lists": message.exclude_lists.all(),
        "include_contacts": _contacts_text(message.include_contacts.all()),
        "exclude_contacts": _contacts_text(message.exclude_contacts.all()),
        # The message's number, else the account's first active one (as test sends use).
        "sender": selectors.sender_for(account=message.account, message=message),
        "schedule_kind": message.schedule_kind,
        "send_at": send_at,
    }


def _progress(message: SmsMessage) -> dict:
    counts = dict(
        OutboundMessage.objects.filter(message=message)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    total = max(message.fanout_total, sum(counts.values()), 1)
    settled = sum(n for status, n in counts.items() if status not in ("pending", "claimed"))
    deferred = (
        OutboundMessage.objects.filter(message=message, status=OutboundStatus.PENDING)
        .exclude(deferred_reason="")
        .values_list("deferred_reason")
        .annotate(n=Count("id"))
    )
    return {
        "counts": counts,
        "rows": [(status, OutboundStatus(status).label, n) for status, n in counts.items()],
        "waiting": [(DEFERRED_REASONS.get(reason, reason), n) for reason, n in deferred],
        "total": total,
        "prepared": message.fanout_done,
        "settled": settled,
        "percent": settled * 100 // total,
        "done": message.status in SmsMessage.FINISHED,
    }


@require_http_methods(["GET", "POST"])
@account_required
def send_page(request: HttpRequest, message_id: str) -> HttpResponse:
    message = get_for_account(
        SmsMessage.objects.select_related("account"), request.account, message_id
    )
    if message.status != SmsMessage.Status.DRAFT:
        return render(
            request,
            "messaging/send_status.html",
            {
                "message": message,
                "progress": _progress(message),
                "history": selectors.message_history(message=message),
            },
        )
    form = SendForm(request.POST or None, account=request.account, initial=_initial(message))
    review = None
    if request.method == "POST":
        if not request.membership.can_edit:
            return render(request, "403.html", status=403)
        if form.is_valid():
            data = form.cleaned_data
            try:
                message = message_audience_set(
                    account=request.account,
                    message=message,
                    include_lists=list(data["include_lists"]),
                    exclude_lists=list(data["exclude_lists"]),
                    include_contacts=data["include_contacts"],
                    exclude_contacts=data["exclude_contacts"],
                    sender=data["sender"],
                    schedule_kind=data["schedule_kind"],
                    send_at_local=data["send_at"],
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                review = sending.message_review(account=request.account, message=message)
    elif message.include_lists.exists() or message.include_contacts.exists():
        review = sending.message_review(account=request.account, message=message)
    form.pickers_prepare()
    context = {
        "message": message,
        "form": form,
        "review": review,
        "usage": allotment.usage(account=request.account),
    }
    return render(request, "messaging/send.html", context)


@require_POST
@account_required(edit=True)
def send_confirm(request: HttpRequest, message_id: str) -> HttpResponse:
    message = get_for_account(SmsMessage, request.account, message_id)
    try:
        message = sending.message_send(account=request.account, message=message, user=request.user)
    except ValidationError as exc:
        for text in exc.messages:
            flash.error(request, text)
        return redirect("messaging:send", message.public_id)
    if message.status == SmsMessage.Status.SCHEDULED:
        flash.success(request, f"“{message.name}” is scheduled.")
    else:
        flash.success(request, f"“{message.name}” is on its way.")
    return redirect("messaging:send", message.public_id)


def _transition(service, success: str):
    @require_POST
    @account_required(edit=True)
    def view(request: HttpRequest, message_id: str) -> HttpResponse:
        message = get_for_account(SmsMessage, request.account, message_id)
        try:
            service(account=request.account, message=message, user=request.user)
        except ValidationError as exc:
            flash.error(request, " ".join(exc.messages))
        else:
            flash.success(request, success)
        return redirect("messaging:send", message.public_id)

    return view


send_pause = _transition(
    lifecycle.message_pause, "Sending paused; nothing more goes out until you resume."
)
send_resume = _transition(lifecycle.message_resume, "Sending resumed.")
send_cancel = _transition(lifecycle.message_cancel, "Scheduled send cancelled; nothing was sent.")
send_unschedule = _transition(
    lifecycle.message_unschedule,
    "Back to draft: change the audience or the time, then schedule again.",
)


@require_GET
@account_required
def send_progress(request: HttpRequest, message_id: str) -> HttpResponse:
    message = get_for_account(SmsMessage, request.account, message_id)
    return render(
        request,
        "messaging/_send_progress.html",
        {"message": message, "progress": _progress(message)},
    )


@require_GET
@account_required
def send_review(request: HttpRequest, message_id: str) -> HttpResponse:
    """The review panel alone: the page polls it while a large audience is being counted."""
    message = get_for_account(
        SmsMessage.objects.select_related("account", "sender"), request.account, message_id
    )
    if message.status != SmsMessage.Status.DRAFT:
        return HttpResponse(status=204)
    context = {
        "message": message,
        "review": sending.message_review(account=request.account, message=message),
        "usage": allotment.usage(account=request.account),
    }
    return render(request, "messaging/_send_review.html", context)


# The time-zones page lists this many recipients by name.
ZONE_SAMPLE_SIZE = 100


@require_GET
@account_required
def time_zones(request: HttpRequest, message_id: str) -> HttpResponse:
    """Where each recipient's time zone comes from: the contact, the phone number, the account.
    The counts are the review's (every sendable recipient); the names are the first few."""
    message = get_for_account(
        SmsMessage.objects.select_related("account", "sender"), request.account, message_id
    )
    review = sending.message_review(account=request.account, message=message)
    sample = []
    for recipient in audience.recipients_first(message, limit=ZONE_SAMPLE_SIZE * 2):
        if recipient.not_sent_reason or len(sample) >= ZONE_SAMPLE_SIZE:
            continue
        zone, source = recipient_zone(
            contact_zone=recipient.time_zone,
            phone_e164=recipient.phone_e164,
            account_zone=request.account.time_zone,
        )
        sample.append(
            {
                "name": recipient.values.get("first_name") or recipient.phone_e164,
                "phone": recipient.phone_e164,
                "zone": str(zone),
                "source": source,
            }
        )
    return render(
        request,
        "messaging/send_time_zones.html",
        {"message": message, "review": review, "rows": review.zones, "sample": sample},
    )
