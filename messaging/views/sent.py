"""Actions on a message that went out, offered on its results page (analytics): clone it into a
new draft, delete it with its results (archiving, in compose.py, keeps them)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.tenancy import account_required, get_for_account
from messaging import selectors
from messaging.models import SmsMessage
from messaging.services import compose, lifecycle, rules


def _message(request: HttpRequest, message_id: str) -> SmsMessage:
    return get_for_account(SmsMessage, request.account, message_id)


@require_POST
@account_required(edit=True)
def clone(request: HttpRequest, message_id: str) -> HttpResponse:
    message = _message(request, message_id)
    try:
        copy = compose.message_clone(account=request.account, message=message, owner=request.user)
    except ValidationError as exc:
        messages.error(request, "Can't clone this message: " + " ".join(exc.messages))
        return redirect("analytics:message", message_id=message.public_id)
    messages.success(request, f"“{copy.name}” is a new draft with the same content.")
    return redirect("messaging:compose", message_id=copy.public_id)


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def delete_with_results(request: HttpRequest, message_id: str) -> HttpResponse:
    """Confirm by typing the message's name, then delete it with its texts, clicks and
    analytics."""
    message = _message(request, message_id)
    if request.method == "POST":
        if request.POST.get("confirm_name", "").strip() != message.name.strip():
            messages.error(request, "Type the message's name exactly to confirm the deletion.")
            return redirect("messaging:delete_with_results", message_id=message.public_id)
        try:
            lifecycle.message_delete_with_results(
                account=request.account, message=message, user=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("analytics:message", message_id=message.public_id)
        messages.success(request, f"“{message.name}” and its results were deleted.")
        return redirect("messaging:index")
    counted_until = rules.frequency_cap_counted_until(message, now=timezone.now())
    texts, clicks = selectors.message_texts_and_clicks(message=message)
    context = {"message": message, "texts": texts, "clicks": clicks, "counted_until": counted_until}
    return render(request, "messaging/delete_with_results.html", context)
