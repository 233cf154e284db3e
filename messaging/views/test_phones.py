"""Teammates' own phones for test sends: add one, verify it with the texted code, remove it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.navigation import next_url
from accounts.tenancy import account_required, get_for_account
from messaging import selectors
from messaging.forms import TestPhoneForm, TestPhoneVerifyForm
from messaging.models import TestPhone
from messaging.services import test_sends


def _back(request: HttpRequest) -> HttpResponse:
    return redirect(next_url(request) or "messaging:test_phones")


def _own_phone(request: HttpRequest, test_phone_id: str) -> TestPhone:
    """One of the user's own test phones in this account; 404 for anyone else's."""
    return get_for_account(
        TestPhone.objects.filter(user=request.user), request.account, test_phone_id
    )


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def test_phones(request: HttpRequest) -> HttpResponse:
    form = TestPhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            phone = test_sends.test_phone_add(
                account=request.account, user=request.user, phone=form.cleaned_data["phone"]
            )
        except ValidationError as exc:
            form.add_error("phone", exc)
        else:
            messages.success(request, f"We texted a code to {phone.phone_e164}; enter it below.")
            return _back(request)
    context = {
        "form": form,
        "verify_form": TestPhoneVerifyForm(),
        "phones": selectors.test_phones(account=request.account, user=request.user),
        "team_phones": selectors.test_phones_verified(account=request.account),
        "next": next_url(request),
    }
    return render(request, "messaging/test_phones.html", context)


@require_POST
@account_required(edit=True)
def test_phone_verify(request: HttpRequest, test_phone_id: str) -> HttpResponse:
    phone = _own_phone(request, test_phone_id)
    form = TestPhoneVerifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the code we texted you.")
        return _back(request)
    try:
        test_sends.test_phone_verify(
            account=request.account, test_phone=phone, code=form.cleaned_data["code"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{phone.phone_e164} is verified; test sends can go to it.")
    return _back(request)


@require_POST
@account_required(edit=True)
def test_phone_resend(request: HttpRequest, test_phone_id: str) -> HttpResponse:
    phone = _own_phone(request, test_phone_id)
    try:
        test_sends.test_phone_code_send(account=request.account, test_phone=phone)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"We texted a new code to {phone.phone_e164}.")
    return _back(request)


@require_POST
@account_required(edit=True)
def test_phone_delete(request: HttpRequest, test_phone_id: str) -> HttpResponse:
    phone = _own_phone(request, test_phone_id)
    test_sends.test_phone_delete(account=request.account, user=request.user, test_phone=phone)
    messages.success(request, f"{phone.phone_e164} removed.")
    return _back(request)
