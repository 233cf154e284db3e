"""The messages list and the composer: create, edit with autosave, preview, test send,
archive."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import StateConflict
from accounts.forms import form_errors_from
from accounts.models import Account
from accounts.tenancy import account_required, get_for_account
from messaging import composer, selectors
from messaging.forms import (
    PROPERTY_PREFIX,
    MessageCreateForm,
    MessageForm,
    TestSendForm,
)
from messaging.models import SmsMessage
from messaging.services import allotment, compose, lifecycle, test_sends

LIST_PAGE_SIZE = 50


def _message(request: HttpRequest, message_id: str) -> SmsMessage:
    queryset = SmsMessage.objects.select_related("subscription_type", "campaign", "sender", "owner")
    return get_for_account(queryset, request.account, message_id)


def _editable(request: HttpRequest, message: SmsMessage) -> bool:
    return (
        request.membership.can_edit
        and message.status == SmsMessage.Status.DRAFT
        and message.archived_at is None
    )


@require_GET
@account_required
def index(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "")
    tab = tab if tab in selectors.LIST_TAB_LABELS else ""
    sort = request.GET.get("sort", "-updated")
    sort = sort if sort in selectors.LIST_SORTS else "-updated"
    q = request.GET.get("q", "").strip()
    filters = {
        "campaign": request.GET.get("campaign", "").strip()[:40],
        "method": request.GET.get("method", "").strip()[:20],
        "owner": request.GET.get("owner", "").strip()[:40],
    }
    queryset = selectors.messages_list(account=request.account, tab=tab, q=q, sort=sort, **filters)
    page = Paginator(queryset, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.message_counts_by_tab(account=request.account)
    context = {
        "page": page,
        "tab": tab,
        "q": q,
        "sort": sort,
        "filters": filters,
        "filter_query": urlencode({k: v for k, v in filters.items() if v}),
        "campaigns": selectors.campaigns(account=request.account),
        "methods": {key: label for key, (label, _) in selectors.SEND_METHODS.items()},
        "owners": selectors.message_owners(account=request.account),
        "tabs": [
            (key, label, counts.get(key, 0)) for key, label in selectors.LIST_TAB_LABELS.items()
        ],
        "sorts": selectors.LIST_SORT_LABELS,
    }
    return render(request, "messaging/index.html", context)


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def new(request: HttpRequest) -> HttpResponse:
    account = request.account
    initial = {"name": f"SMS {date_format(timezone.localdate(), 'M j, Y')}"}
    form = MessageCreateForm(request.POST or None, initial=initial, account=account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = compose.message_create(
                account=account,
                owner=request.user,
                name=data["name"],
                subscription_type=data["subscription_type"],
                campaign_name=data["campaign_name"],
                properties=form.property_values(),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            return redirect("messaging:compose", message_id=message.public_id)
    context = {"form": form, "campaigns": selectors.campaigns(account=account)}
    return render(request, "messaging/new.html", context)


def _form_initial(message: SmsMessage) -> dict:
    initial = {
        "name": message.name,
        "body": message.body,
        "append_opt_out": message.append_opt_out,
        "subscription_type": message.subscription_type,
        "campaign_name": message.campaign.name if message.campaign else "",
        "sender": message.sender,
    }
    for key, value in (message.properties or {}).items():
        initial[PROPERTY_PREFIX + key] = value
    return initial


def _test_form(account: Account) -> TestSendForm:
    form = TestSendForm(account=account)
    form.fields["as_contact"].widget.attrs["data-search-url"] = reverse("messaging:contact_search")
    return form


def _composer_config(request: HttpRequest, message: SmsMessage, account: Account) -> dict:
    return composer.composer_config(
        account=account,
        sender=selectors.sender_for(account=account, message=message),
        editable=_editable(request, message),
        preview_url=reverse("messaging:preview", args=[message.public_id]),
        user=message.owner,
    )


@require_GET
@account_required
def compose_page(request: HttpRequest, message_id: str) -> HttpResponse:
    account = request.account
    message = _message(request, message_id)
    editable = _editable(request, message)
    form = MessageForm(initial=_form_initial(message), account=account)
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    preview = selectors.message_preview(
        account=account,
        body=message.body,
        append_opt_out=message.append_opt_out,
        sender=selectors.sender_for(account=account, message=message),
        user=message.owner,
    )
    context = {
        "message": message,
        "editor_tab": "settings" if request.GET.get("tab") == "settings" else "content",
        "form": form,
        "editable": editable,
        "preview": preview,
        "usage": allotment.usage(account=account),
        "token_types": composer.token_types(
            contact_fields=selectors.personalization_fields(account=account)
        ),
        "emoji": composer.EMOJI,
        "special_characters": composer.SPECIAL_CHARACTERS,
        "campaigns": selectors.campaigns(account=account),
        "preview_contacts": selectors.contacts_for_picker(account=account, q=""),
        "test_form": _test_form(account),
        "my_test_phones": selectors.test_phones(account=account, user=request.user),
        "config": _composer_config(request, message, account),
        # What a saved draft still lacks before it can be sent (autosave keeps what was typed).
        "problems": [
            problem
            for problems in compose.message_problems(account=account, message=message).values()
            for problem in problems
        ]
        if editable
        else [],
    }
    return render(request, "messaging/compose.html", context)


def _save(request: HttpRequest, message: SmsMessage) -> tuple[MessageForm, SmsMessage, list[str]]:
    """Save the composer's form as a draft, keeping whatever was typed (compose.
    message_draft_save); (form carrying every problem left, message, what was not saved).

    A field the form can't read (a number property holding letters) is left out and reported;
    every other field is still saved.
    """
    form = MessageForm(request.POST, account=request.account)
    form.is_valid()
    # The form's own refusals were never handed to the service: those fields were not saved.
    unsaved = dict(form.errors)
    data = form.cleaned_data
    changes = {
        name: data[name]
        for name in ("name", "body", "append_opt_out", "subscription_type", "campaign_name")
        if name in data
    }
    if "sender" in data:
        changes["sender"] = data["sender"]
    changes["properties"] = form.property_values(only_valid=True)
    saved = compose.message_draft_save(account=request.account, message=message, **changes)
    unsaved |= saved.unsaved
    not_saved = _labelled(form, unsaved)
    form_errors_from(form, ValidationError(saved.problems))
    return form, saved.message, not_saved


def _labelled(form, errors: dict) -> list[str]:
    labelled = []
    for name, field_errors in errors.items():
        field = form.fields.get(name)
        label = (field.label or name.replace("_", " ").capitalize()) if field else ""
        for error in field_errors:
            labelled.append(f"{label}: {error}" if label else error)
    return labelled


def _form_errors(form) -> list[str]:
    return _labelled(form, form.errors)


@require_POST
@account_required(edit=True)
def autosave(request: HttpRequest, message_id: str) -> HttpResponse:
    """The composer posts its form here (htmx, a moment after typing stops)."""
    message = _message(request, message_id)
    if not _editable(request, message):
        return render(
            request,
            "messaging/_autosave_status.html",
            {"errors": ["Only drafts can be changed."], "saved": False},
        )
    try:
        form, message, not_saved = _save(request, message)
    except StateConflict as exc:  # sent or archived in another tab meanwhile
        return render(
            request, "messaging/_autosave_status.html", {"errors": [exc.message], "saved": False}
        )
    context = {
        "saved": True,
        # Never "Saved" for a value that wasn't: what was typed stays in the form, and the
        # status says why it could not be kept.
        "not_saved": not_saved,
        "problems": [p for p in _form_errors(form) if p not in not_saved],
        "message": message,
        "preview": selectors.message_preview(
            account=request.account,
            body=message.body,
            append_opt_out=message.append_opt_out,
            sender=selectors.sender_for(account=request.account, message=message),
            user=message.owner,
        ),
    }
    return render(request, "messaging/_autosave_status.html", context)


def preview_payload(preview: selectors.Preview, contact=None) -> dict:
    estimate = preview.estimate
    return {
        "text": preview.text,
        "counted_text": preview.counted_text,
        "encoding": estimate.encoding,
        "segments": estimate.segments,
        "characters": estimate.characters,
        "unicode_characters": list(estimate.unicode_characters),
        "links": preview.links,
        "short_link_length": preview.short_link_length,
        # Stringified as the renderer does (None and "" mean "use the default").
        "values": {
            key: "" if value is None else str(value) for key, value in preview.values.items()
        },
        "contact": {"id": contact.public_id, "name": str(contact)} if contact else None,
    }


@require_POST
@account_required(edit=True)
def preview(request: HttpRequest, message_id: str) -> JsonResponse:
    """The body (as posted, or as saved) rendered for a contact, with its exact estimate."""
    account = request.account
    message = _message(request, message_id)
    contact_id = request.POST.get("contact", "").strip()
    contact = selectors.contact_for_preview(account=account, public_id=contact_id)
    if contact_id and contact is None:
        return JsonResponse({"error": "No such contact."}, status=404)
    if "body" in request.POST:
        body = request.POST["body"].replace("\r\n", "\n")
        append_opt_out = request.POST.get("append_opt_out") in ("on", "true", "1")
    else:
        body, append_opt_out = message.body, message.append_opt_out
    result = selectors.message_preview(
        account=account,
        body=body,
        append_opt_out=append_opt_out,
        contact=contact,
        sender=selectors.sender_for(account=account, message=message),
        user=message.owner,
    )
    return JsonResponse(preview_payload(result, contact))


@require_GET
@account_required
def contact_options(request: HttpRequest) -> HttpResponse:
    """`<option>`s for the preview's contact picker, searched by name, email or phone."""
    contacts = selectors.contacts_for_picker(account=request.account, q=request.GET.get("q", ""))
    return render(request, "messaging/_contact_options.html", {"contacts": contacts})


@require_GET
@account_required
def contact_search(request: HttpRequest) -> JsonResponse:
    """Contacts for the searchable pickers, by name, email or phone in any format."""
    contacts = selectors.contacts_for_picker(account=request.account, q=request.GET.get("q", ""))
    return JsonResponse(
        {
            "results": [
                {"value": c.public_id, "text": selectors.contact_picker_label(c)} for c in contacts
            ]
        }
    )


@require_POST
@account_required(edit=True)
def test_send(request: HttpRequest, message_id: str) -> HttpResponse:
    """Save what the composer holds (its form is included in the post), then text it."""
    account = request.account
    message = _message(request, message_id)
    errors: list[str] = []
    results: list[test_sends.TestSendResult] = []
    if "body" in request.POST and _editable(request, message):
        # Saved as typed; the test send itself refuses a body it can't send.
        try:
            _, message, _ = _save(request, message)
        except StateConflict as exc:  # sent or archived in another tab meanwhile
            errors.append(exc.message)
    form = TestSendForm(request.POST, account=account)
    if not errors and form.is_valid():
        data = form.cleaned_data
        contact = selectors.contact_for_preview(account=account, public_id=data["as_contact"])
        if data["as_contact"] and contact is None:
            errors.append("That contact no longer exists.")
        else:
            try:
                results = test_sends.message_test_send(
                    account=account,
                    message=message,
                    test_phone_ids=data["test_phones"],
                    phone_numbers=data["phone_numbers"],
                    as_contact=contact,
                )
            except ValidationError as exc:
                errors.extend(exc.messages)
    elif not errors:
        errors.extend(_form_errors(form))
    context = {"results": results, "errors": errors, "usage": allotment.usage(account=account)}
    return render(request, "messaging/_test_send_result.html", context)


@require_POST
@account_required(edit=True)
def archive(request: HttpRequest, message_id: str) -> HttpResponse:
    message = _message(request, message_id)
    try:
        lifecycle.message_archive(account=request.account, message=message, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("messaging:compose", message_id=message.public_id)
    messages.success(request, f"“{message.name}” archived.")
    return redirect("messaging:index")


@require_POST
@account_required(edit=True)
def unarchive(request: HttpRequest, message_id: str) -> HttpResponse:
    message = _message(request, message_id)
    lifecycle.message_unarchive(account=request.account, message=message, user=request.user)
    messages.success(request, f"“{message.name}” restored.")
    return redirect("messaging:compose", message_id=message.public_id)


@require_POST
@account_required(edit=True)
def delete(request: HttpRequest, message_id: str) -> HttpResponse:
    message = _message(request, message_id)
    try:
        lifecycle.draft_delete(account=request.account, message=message, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("messaging:compose", message_id=message.public_id)
    messages.success(request, f"“{message.name}” deleted.")
    return redirect("messaging:index")
