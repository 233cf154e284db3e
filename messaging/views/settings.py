"""SMS settings pages for super admins: the segment allotment, and custom message properties."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from messaging import selectors
from messaging.forms import AllotmentSettingsForm, MessagePropertyForm
from messaging.models import MessageProperty
from messaging.services import allotment, compose
from messaging.services.settings import sending_settings
from smsapp.tenancy import account_required, get_for_account


def _service_errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@require_http_methods(["GET", "POST"])
@account_required(super_admin=True)
def usage_settings(request: HttpRequest) -> HttpResponse:
    account = request.account
    rules = sending_settings(account)
    initial = {
        "monthly_segment_allotment": rules.monthly_segment_allotment,
        "allotment_renewal_day": rules.allotment_renewal_day,
        "purchased_segments": rules.purchased_segments,
    }
    form = AllotmentSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            compose.allotment_settings_update(account=account, **form.cleaned_data)
        except ValidationError as exc:
            _service_errors_to_form(form, exc)
        else:
            messages.success(request, "SMS usage settings saved.")
            return redirect("messaging:usage_settings")
    context = {"form": form, "usage": allotment.usage(account=account)}
    return render(request, "messaging/usage_settings.html", context)


@require_http_methods(["GET", "POST"])
@account_required(super_admin=True)
def message_properties(request: HttpRequest) -> HttpResponse:
    account = request.account
    form = MessagePropertyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            prop = compose.message_property_create(account=account, **form.cleaned_data)
        except ValidationError as exc:
            _service_errors_to_form(form, exc)
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
