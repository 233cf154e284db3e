"""The bulk phone reformat (Settings > SMS tools): preview a list's fixes, run them in the
worker, download the changes, revert them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.exports import csv_stream
from accounts.forms import form_errors_from
from accounts.tenancy import account_required, get_for_account
from contacts import selectors, services
from contacts.forms import ReformatForm
from contacts.models import ContactList, PhoneReformat
from contacts.services.reformat import phone_reformat_proposals
from contacts.subscriptions import subscriptions

PREVIEW_LIMIT = 200


@require_GET
@account_required
def reformat_index(request: HttpRequest) -> HttpResponse:
    account = request.account
    return render(
        request,
        "contacts/reformat.html",
        {
            "lists": selectors.contact_lists(account=account),
            "reformats": selectors.phone_reformats(account=account).select_related("created_by")[
                :20
            ],
        },
    )


@require_http_methods(["GET", "POST"])
@account_required
def reformat_preview(request: HttpRequest) -> HttpResponse:
    account = request.account
    list_id = request.GET.get("list") or request.POST.get("list") or ""
    contact_list = get_for_account(ContactList, account, list_id)
    subscription_types = subscriptions().types(account=account)
    form = ReformatForm(request.POST or None, subscription_types=subscription_types)
    if request.method == "POST":
        if not request.membership.can_edit:
            raise PermissionDenied("Viewers can't change anything.")
        if form.is_valid():
            try:
                reformat = services.phone_reformat_start(
                    account=account,
                    created_by=request.user,
                    contact_list=contact_list,
                    subscribe_eligible=form.cleaned_data["subscribe_eligible"],
                    subscription_type_id=form.cleaned_data["subscription_type"],
                    consent_confirmed=form.cleaned_data["consent_confirmed"],
                    consent_evidence=form.cleaned_data["consent_evidence"],
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                return redirect("contacts:reformat_detail", reformat.public_id)
    proposals = []
    counts = {"changes": 0, "unfixable": 0, "eligible": 0}
    complete = True
    for proposal in phone_reformat_proposals(account=account, contact_list=contact_list):
        counts["changes"] += proposal.changes
        counts["unfixable"] += not proposal.fixable
        counts["eligible"] += proposal.becomes_eligible
        if len(proposals) < PREVIEW_LIMIT:
            proposals.append(proposal)
        elif sum(counts.values()) > 20_000:
            complete = False
            break
    return render(
        request,
        "contacts/reformat_preview.html",
        {
            "contact_list": contact_list,
            "proposals": proposals,
            "counts": counts,
            "complete": complete,
            "form": form,
        },
    )


PREVIEW_CSV_HEADER = [
    "Contact id",
    "Contact",
    "Field",
    "Current value",
    "Proposed value",
    "Valid for SMS after",
    "Why not",
]


@require_GET
@account_required
def reformat_preview_csv(request: HttpRequest) -> StreamingHttpResponse:
    account = request.account
    contact_list = get_for_account(ContactList, account, request.GET.get("list", ""))

    def rows():
        for p in phone_reformat_proposals(account=account, contact_list=contact_list):
            yield [
                p.contact.public_id,
                str(p.contact),
                p.field_label,
                p.old_raw,
                p.new_raw if p.changes else "(unchanged)",
                "yes" if p.fixable else "no",
                p.problem,
            ]

    response = StreamingHttpResponse(
        csv_stream(PREVIEW_CSV_HEADER, rows()), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="phone-reformat-preview.csv"'
    return response


@require_GET
@account_required
def reformat_detail(request: HttpRequest, reformat_id: str) -> HttpResponse:
    reformat = get_for_account(PhoneReformat, request.account, reformat_id)
    return render(request, "contacts/reformat_detail.html", {"reformat": reformat})


@require_GET
@account_required
def reformat_progress(request: HttpRequest, reformat_id: str) -> HttpResponse:
    reformat = get_for_account(PhoneReformat, request.account, reformat_id)
    return render(request, "contacts/_reformat_progress.html", {"reformat": reformat})


CHANGES_CSV_HEADER = ["Contact id", "Field", "Before", "After", "Valid for SMS after", "Reverted"]


@require_GET
@account_required
def reformat_changes_csv(request: HttpRequest, reformat_id: str) -> StreamingHttpResponse:
    reformat = get_for_account(PhoneReformat, request.account, reformat_id)

    def rows():
        for change in reformat.changes.select_related("contact").order_by("pk").iterator(2000):
            yield [
                change.contact.public_id,
                change.get_field_display(),
                change.old_raw,
                change.new_raw,
                "no" if change.new_reason else "yes",
                "yes" if change.reverted else "no",
            ]

    response = StreamingHttpResponse(
        csv_stream(CHANGES_CSV_HEADER, rows()), content_type="text/csv"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="phone-reformat-{reformat.public_id}.csv"'
    )
    return response


@require_POST
@account_required(edit=True)
def reformat_revert(request: HttpRequest, reformat_id: str) -> HttpResponse:
    reformat = get_for_account(PhoneReformat, request.account, reformat_id)
    try:
        services.phone_reformat_revert(account=request.account, reformat=reformat)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Reverting the reformat.")
    return redirect("contacts:reformat_detail", reformat.public_id)
