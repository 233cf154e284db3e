"""SMS settings pages: the segment usage (read-only), sending rules (quiet hours, frequency cap)
and custom message properties."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import form_errors_from
from accounts.tenancy import account_required, get_for_account
from messaging import selectors
from messaging.forms import MessagePropertyForm, SendingRulesForm
from messaging.models import MessageProperty
from messaging.services import allotment, compose
from messaging.services.settings import sending_settings


@require_GET
@account_required(super_admin=True)
def usage_settings(request: HttpRequest) -> HttpResponse:
    """The period's usage and the contract's figures, read-only: the allotment, its renewal day
    and limit increases are set by staff (Django admin), not by the tenant."""
    account = request.account
    usage = allotment.usage(account=account)
    context = {
        "usage": usage,
        "rules": sending_settings(account),
        "purchases": allotment.segment_purchases(account=account, period_start=usage.period_start),
    }
    return render(request, "messaging/usage_settings.html", context)


@require_http_methods(["GET", "POST"])
@account_required(sms_setup=True)
def sending_rules(request: HttpRequest) -> HttpResponse:
    """Quiet hours and the frequency cap, for account admins (super admins and SMS setup)."""
    account = request.account
    rules = sending_settings(account)
    initial = {
        "quiet_hours_start": rules.quiet_hours_start,
        "quiet_hours_end": rules.quiet_hours_end,
        "frequency_cap": rules.frequency_cap,
    }
    form = SendingRulesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            compose.sending_rules_update(account=account, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "Sending settings saved.")
            return redirect("messaging:sending_rules")
    context = {
        "form": form,
        "legal_start": compose.LEGAL_SENDING_START,
        "legal_end": compose.LEGAL_SENDING_END,
    }
    return render(request, "messaging/sending_rules.html", context)


@require_http_methods(["GET", "POST"])
@account_required(super_admin=True)
def message_properties(request: HttpRequest) -> HttpResponse:
    account = request.account
    form = MessagePropertyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            prop = compose.message_property_create(account=account, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, f"Message property “{prop.label}” added.")
            return redirect("messaging:properties")
    context = {"form": form, "properties": selectors.message_properties(account=account)}
    return render(request, "messaging/properties.html", context)


@require_POST
@account_required(super_admin=True)
def message_property_delete(request: HttpRequest, property_id: str) -> HttpResponse:
    prop = get_for_account(MessageProperty, request.account, property_id)
    compose.message_property_delete(account=request.account, prop=prop)
    messages.success(request, f"Message property “{prop.label}” removed.")
    return redirect("messaging:properties")
