"""The public opt-in page of a subscription type (consent keeps the page and the requests):
the form, and the confirmation text that asks for YES, sent the way keyword answers are."""

from __future__ import annotations

import logging

from csp.decorators import csp_replace
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.client_ip import request_ip
from consent import services as consent_services
from consent.models import OptInPage
from messaging import selectors
from messaging.services.replies import keyword_answer_queue

logger = logging.getLogger(__name__)


def _page(public_id: str) -> OptInPage:
    """The page by its opaque id: the URL is the account's to publish, so nothing else names
    the account; a closed page is as absent as a missing one."""
    page = (
        OptInPage.objects.select_related("account", "subscription_type")
        .filter(public_id=public_id, enabled=True)
        .first()
    )
    if page is None:
        raise Http404("No such sign-up page.")
    return page


def _opt_in(request: HttpRequest, public_id: str, *, embedded: bool) -> HttpResponse:
    page = _page(public_id)
    sender = selectors.sender_for(account=page.account)
    context = {"page": page, "embedded": embedded, "sender": sender, "values": {}}
    if sender is None:
        # No number to text from: the page can't ask for the YES, so it takes no sign-ups.
        context["closed"] = True
        return render(request, "messaging/opt_in.html", context, status=503)
    if request.method == "GET":
        return render(request, "messaging/opt_in.html", context)
    values = {key: request.POST.get(key, "")[:300] for key in ("phone", "name", "email")}
    context["values"] = values
    try:
        with transaction.atomic():
            opt_in = consent_services.opt_in_request_create(
                page=page,
                phone=values["phone"],
                name=values["name"],
                email=values["email"],
                consent_given=request.POST.get("consent") == "yes",
                page_url=request.build_absolute_uri(request.path),
                ip_address=request_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
            opted_out = consent_services.opt_in_phone_opted_out(request=opt_in)
            if not opted_out:
                # Queued like a keyword's answer: sent after commit, the row is the outbox.
                keyword_answer_queue(
                    account=page.account,
                    sender=sender,
                    to_phone=opt_in.phone_e164,
                    body=consent_services.confirmation_text(page),
                    contact=opt_in.contact,
                )
    except ValidationError as error:
        context["errors"] = (
            error.message_dict if hasattr(error, "error_dict") else {"form": error.messages}
        )
        return render(request, "messaging/opt_in.html", context, status=400)
    context.update(done=True, phone=opt_in.phone_e164, opted_out=opted_out)
    return render(request, "messaging/opt_in.html", context)


# No session rides on this form (it is public), so CSRF protection guards nothing here, and a
# CSRF cookie would not reach it inside another site's iframe; the double opt-in and the rate
# limits are its protection.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def opt_in_page(request: HttpRequest, public_id: str) -> HttpResponse:
    return _opt_in(request, public_id, embedded=False)


# The one page other sites may frame: the business embeds its sign-up form (the
# Content-Security-Policy's frame-ancestors 'none' is lifted here too).
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@csrf_exempt
@require_http_methods(["GET", "POST"])
def opt_in_page_embed(request: HttpRequest, public_id: str) -> HttpResponse:
    return _opt_in(request, public_id, embedded=True)
