"""Consent pages: subscription types, keywords, manual and bulk opt-in/out, ledger exports."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.client_ip import request_ip
from accounts.exports import csv_stream
from accounts.forms import form_errors_from
from accounts.tenancy import account_required, get_for_account
from consent import selectors, services
from consent.forms import (
    BulkConsentForm,
    ConsentChangeForm,
    KeywordReplyForm,
    KeywordRuleForm,
    OptInPageForm,
    SubscriptionTypeForm,
)
from consent.models import ConsentBulkChange, KeywordRule, OptInPage, SubscriptionType
from contacts.models import Contact, Engagement, EngagementKind


@require_http_methods(["GET", "POST"])
@account_required
def subscription_type_index(request: HttpRequest) -> HttpResponse:
    form = SubscriptionTypeForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.may_setup_sms:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                created = services.subscription_type_create(
                    account=request.account, **form.cleaned_data
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, f"Subscription type “{created.name}” added.")
                return redirect("consent:subscription_types")
    return render(
        request,
        "consent/subscription_types.html",
        {"form": form, "types": selectors.subscription_types(account=request.account)},
    )


@require_http_methods(["GET", "POST"])
@account_required(sms_setup=True)
def subscription_type_edit(request: HttpRequest, subscription_type_id: str) -> HttpResponse:
    subscription_type = get_for_account(SubscriptionType, request.account, subscription_type_id)
    form = SubscriptionTypeForm(
        request.POST or None,
        initial={"name": subscription_type.name, "description": subscription_type.description},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_type_update(
                account=request.account, subscription_type=subscription_type, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "Subscription type saved.")
            return redirect("consent:subscription_types")
    return render(
        request,
        "consent/subscription_type_edit.html",
        {"form": form, "subscription_type": subscription_type},
    )


@require_http_methods(["GET", "POST"])
@account_required(sms_setup=True)
def opt_in_page_edit(request: HttpRequest, subscription_type_id: str) -> HttpResponse:
    """Set up a subscription type's hosted opt-in page, and get its link and embed code."""
    subscription_type = get_for_account(SubscriptionType, request.account, subscription_type_id)
    page = OptInPage.objects.filter(
        account=request.account, subscription_type=subscription_type
    ).first()
    initial = (
        {
            "program_name": page.program_name,
            "message_frequency": page.message_frequency,
            "enabled": page.enabled,
        }
        if page
        else {"program_name": request.account.name, "enabled": True}
    )
    form = OptInPageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            page = services.opt_in_page_save(
                account=request.account, subscription_type=subscription_type, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "Opt-in page saved.")
            return redirect("consent:opt_in_page_edit", subscription_type.public_id)
    urls = {}
    if page is not None:
        # Pages link by URL name (the public page is messaging's, which sends the texts).
        urls = {
            "page": request.build_absolute_uri(reverse("opt_in_page", args=[page.public_id])),
            "embed": request.build_absolute_uri(
                reverse("opt_in_page_embed", args=[page.public_id])
            ),
        }
    return render(
        request,
        "consent/opt_in_page_edit.html",
        {"form": form, "subscription_type": subscription_type, "page": page, "urls": urls},
    )


@require_http_methods(["GET", "POST"])
@account_required
def keyword_index(request: HttpRequest) -> HttpResponse:
    form = KeywordRuleForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.may_setup_sms:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                rule = services.keyword_rule_create(account=request.account, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, f"Keyword {rule.word} added.")
                return redirect("consent:keywords")
    return render(
        request,
        "consent/keywords.html",
        {
            "form": form,
            "groups": _with_carrier_replies(
                selectors.keyword_rules_by_kind(account=request.account)
            ),
            "standard": services.TWILIO_STANDARD_KEYWORDS,
            "review": selectors.replies_needing_review(account=request.account)[:50],
            "reviewed": selectors.replies_reviewed(account=request.account)[:20],
        },
    )


@require_POST
@account_required(edit=True)
def reply_reviewed(request: HttpRequest) -> HttpResponse:
    """Mark a reply flagged for review as dealt with (the reply's id is in the form)."""
    reply = get_for_account(
        Engagement.objects.filter(kind=EngagementKind.SMS_REPLY),
        request.account,
        request.POST.get("reply", ""),
    )
    try:
        services.reply_review_mark(account=request.account, engagement=reply, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Reply from {reply.contact} marked reviewed.")
    return redirect(reverse("consent:keywords") + "#review")


@require_http_methods(["GET", "POST"])
@account_required(sms_setup=True)
def keyword_edit(request: HttpRequest, keyword_id: str) -> HttpResponse:
    rule = get_for_account(KeywordRule, request.account, keyword_id)
    form = KeywordReplyForm(request.POST or None, initial={"reply_text": rule.reply_text})
    if request.method == "POST" and form.is_valid():
        try:
            services.keyword_rule_update(
                account=request.account, rule=rule, reply_text=form.cleaned_data["reply_text"]
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, f"Reply to {rule.word} saved.")
            return redirect("consent:keywords")
    return render(request, "consent/keyword_edit.html", {"form": form, "rule": rule})


@require_POST
@account_required(sms_setup=True)
def keyword_delete(request: HttpRequest, keyword_id: str) -> HttpResponse:
    rule = get_for_account(KeywordRule, request.account, keyword_id)
    try:
        services.keyword_rule_delete(account=request.account, rule=rule)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Keyword {rule.word} removed.")
    return redirect("consent:keywords")


@require_POST
@account_required(edit=True)
def contact_consent_change(request: HttpRequest, contact_id: str) -> HttpResponse:
    """Manual opt-in / opt-out from the contact page."""
    account = request.account
    contact = get_for_account(Contact, account, contact_id)
    subscription_types = list(selectors.subscription_types(account=account))
    form = ConsentChangeForm(request.POST, contact=contact, subscription_types=subscription_types)
    if form.is_valid():
        data = form.cleaned_data
        subscription_type = get_for_account(SubscriptionType, account, data["subscription_type"])
        try:
            result = services.contact_consent_set(
                account=account,
                contact=contact,
                subscription_type=subscription_type,
                status=data["status"],
                actor=request.user,
                evidence=data["evidence"],
                consent_confirmed=data["consent_confirmed"],
                ip_address=request_ip(request),
                phone_e164=data["phone"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            verb = "opted in to" if data["status"] == "subscribed" else "opted out of"
            if result.changed:
                messages.success(
                    request,
                    f"{contact} {verb} {subscription_type.name} on {result.changed} phone(s); "
                    "recorded in the consent ledger.",
                )
            else:
                messages.info(request, "Nothing changed: the status was already that.")
            return redirect(reverse("contacts:detail", args=[contact.public_id]) + "#consent")
    for error in form.non_field_errors():
        messages.error(request, error)
    for name, errors in form.errors.items():
        if name != "__all__":
            for error in errors:
                messages.error(request, error)
    return redirect(reverse("contacts:detail", args=[contact.public_id]) + "#consent")


@require_GET
@account_required
def contact_ledger(request: HttpRequest, contact_id: str) -> HttpResponse:
    """A page of the contact's consent history (htmx swaps it into the contact page)."""
    contact = get_for_account(Contact, request.account, contact_id)
    ledger_page = selectors.contact_ledger_page(
        account=request.account, contact=contact, page=request.GET.get("page")
    )
    return render(
        request, "consent/_contact_ledger.html", {"contact": contact, "ledger_page": ledger_page}
    )


def _ledger_response(entries, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_stream(selectors.LEDGER_CSV_HEADER, selectors.consent_ledger_csv_rows(entries)),
        content_type="text/csv",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@account_required
def contact_ledger_csv(request: HttpRequest, contact_id: str) -> StreamingHttpResponse:
    contact = get_for_account(Contact, request.account, contact_id)
    entries = selectors.consent_ledger(account=request.account, contact=contact)
    return _ledger_response(entries, f"consent-ledger-{contact.public_id}.csv")


@require_GET
@account_required
def ledger_csv(request: HttpRequest) -> StreamingHttpResponse:
    entries = selectors.consent_ledger(account=request.account)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return _ledger_response(entries, f"consent-ledger-{stamp}.csv")


@require_GET
@account_required
def ledger_index(request: HttpRequest) -> HttpResponse:
    entries = selectors.consent_ledger(account=request.account).select_related("actor")[:200]
    return render(request, "consent/ledger.html", {"entries": entries})


@require_POST
@account_required(edit=True)
def bulk_change_create(request: HttpRequest) -> HttpResponse:
    """Bulk opt-in / opt-out from the contact index: selection or the whole filter."""
    account = request.account
    form = BulkConsentForm(request.POST)
    back = reverse("contacts:index")
    if request.POST.get("filter_query"):
        back += "?" + request.POST["filter_query"]
    if not form.is_valid():
        messages.error(request, "Choose an action, a subscription type and contacts.")
        return redirect(back)
    data = form.cleaned_data
    subscription_type = get_for_account(SubscriptionType, account, data["subscription_type"])
    selected = data["contact"] if data["scope"] == "selected" else []
    if data["scope"] == "selected" and not selected:
        messages.error(request, "Select at least one contact, or choose “all matching”.")
        return redirect(back)
    try:
        job = services.consent_bulk_change_start(
            account=account,
            created_by=request.user,
            subscription_type=subscription_type,
            action=data["action"],
            contact_ids=selected,
            filter_query=data["filter_query"],
            evidence=data["evidence"],
            consent_confirmed=data["consent_confirmed"],
            ip_address=request_ip(request),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    return redirect("consent:bulk_change_detail", job.public_id)


@require_GET
@account_required
def bulk_change_detail(request: HttpRequest, bulk_change_id: str) -> HttpResponse:
    job = get_for_account(
        ConsentBulkChange.objects.select_related("subscription_type"),
        request.account,
        bulk_change_id,
    )
    return render(request, "consent/bulk_change.html", {"job": job})


@require_GET
@account_required
def bulk_change_progress(request: HttpRequest, bulk_change_id: str) -> HttpResponse:
    job = get_for_account(
        ConsentBulkChange.objects.select_related("subscription_type"),
        request.account,
        bulk_change_id,
    )
    return render(request, "consent/_bulk_change_progress.html", {"job": job})


def _with_carrier_replies(groups: dict) -> dict:
    """Each rule with what a contact receives: Twilio's own reply for its standard words on
    long codes (ours is never sent there), else the reply we store."""
    for rules in groups.values():
        for rule in rules:
            rule.carrier_reply = services.carrier_reply(rule.word)
    return groups
