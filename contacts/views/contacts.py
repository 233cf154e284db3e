"""The contact index (search, filters, bulk list actions, CSV export) and one contact's
pages: detail with its panels and timeline, create, edit, delete."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.exports import csv_stream
from accounts.forms import form_errors_from
from accounts.tenancy import account_required, get_for_account
from contacts import selectors, services
from contacts.forms import BulkListForm, ContactForm, field_names, rule_field_choices
from contacts.models import Contact, ContactList, EngagementKind, ListKind
from contacts.panels import Place, panels_render
from contacts.subscriptions import subscriptions

EXPORT_HEADER = [
    "Contact id",
    "First name",
    "Last name",
    "Email",
    "Phone",
    "Phone (E.164)",
    "Phone SMS issue",
    "Mobile phone",
    "Mobile phone (E.164)",
    "Mobile phone SMS issue",
    "Time zone",
    "Company name",
    "Marketing contact",
    "Created at (UTC)",
]


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _filter_rows(request: HttpRequest) -> list[dict]:
    fields, ops, values = (request.GET.getlist(n) for n in ("field", "op", "value"))
    rows = [
        {
            "field": f,
            "op": ops[i] if i < len(ops) else "",
            "value": values[i] if i < len(values) else "",
        }
        for i, f in enumerate(fields)
        if f
    ]
    return rows + [{"field": "", "op": "", "value": ""}]


@require_GET
@account_required
def contact_index(request: HttpRequest) -> HttpResponse:
    account = request.account
    filter_error = ""
    try:
        contact_filter = selectors.contact_filter_from_query(account, request.GET)
    except ValidationError as exc:
        contact_filter = selectors.ContactFilter()
        filter_error = " ".join(exc.messages)
    queryset = selectors.contacts_filtered(account=account, contact_filter=contact_filter)
    page = selectors.contacts_page(
        queryset,
        account=account,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    subscription_types = subscriptions().types(account=account)
    default_type = next((t for t in subscription_types if t.is_default), None)
    subscribed = set()
    if default_type is not None:
        subscribed = subscriptions().subscribed_contact_ids(
            account=account,
            subscription_type_id=default_type.public_id,
            contact_ids=[c.pk for c in page.items],
        )
    lists = list(selectors.contact_lists(account=account))
    base_query = _query_without(request, "after", "before")
    context = {
        "page": page,
        "rows": [(c, c.pk in subscribed) for c in page.items],
        "total": queryset.count(),
        "filter_error": filter_error,
        "filter_active": not contact_filter.is_empty,
        "filter_query": base_query,
        "next_url": f"?{urlencode({'after': page.next_cursor})}&{base_query}"
        if page.next_cursor
        else "",
        "previous_url": f"?{urlencode({'before': page.previous_cursor})}&{base_query}"
        if page.previous_cursor
        else "",
        "lists": lists,
        "static_lists": [lst for lst in lists if lst.kind == ListKind.STATIC],
        "subscription_types": subscription_types,
        "default_type": default_type,
        "field_groups": rule_field_choices(account, [], [])[1:],
        "field_ops": selectors.ops_by_field(
            account=account, field_names=field_names(rule_field_choices(account, [], []))
        ),
        "ops": selectors.OPS,
        "filter_rows": _filter_rows(request),
        "q": request.GET.get("q", ""),
        "selected_list": request.GET.get("list", ""),
        "selected_subscription": request.GET.get("subscription", ""),
        "selected_state": request.GET.get("subscription_state", "subscribed"),
        "bulk_action_panels": panels_render(Place.INDEX_BULK_ACTIONS, request),
    }
    return render(request, "contacts/index.html", context)


@require_GET
@account_required
def contact_export(request: HttpRequest) -> StreamingHttpResponse:
    """The index's contacts (same filter) as CSV; cells a spreadsheet would run are neutralised."""
    account = request.account
    try:
        contact_filter = selectors.contact_filter_from_query(account, request.GET)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    queryset = selectors.contacts_filtered(account=account, contact_filter=contact_filter)

    def rows():
        for c in queryset.order_by("-created_at", "-id").iterator(chunk_size=2000):
            yield [
                c.public_id,
                c.first_name,
                c.last_name,
                c.email,
                c.phone_raw,
                c.phone_e164,
                c.get_phone_sms_invalid_reason_display() if c.phone_sms_invalid_reason else "",
                c.mobile_phone_raw,
                c.mobile_phone_e164,
                c.get_mobile_phone_sms_invalid_reason_display()
                if c.mobile_phone_sms_invalid_reason
                else "",
                c.time_zone,
                c.company_name,
                "yes" if c.marketing_contact else "no",
                c.created_at.isoformat(),
            ]

    response = StreamingHttpResponse(csv_stream(EXPORT_HEADER, rows()), content_type="text/csv")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="contacts-{stamp}.csv"'
    return response


def _contact_form(request: HttpRequest, contact: Contact | None = None) -> ContactForm:
    properties = list(selectors.contact_properties(account=request.account))
    initial = None
    if contact is not None:
        initial = {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "email": contact.email,
            "phone": contact.phone_raw,
            "mobile_phone": contact.mobile_phone_raw,
            "time_zone": contact.time_zone,
            "company_name": contact.company_name,
            "marketing_contact": contact.marketing_contact,
            "owner": contact.owner.public_id if contact.owner else "",
            **{f"property_{k}": v for k, v in contact.properties.items()},
        }
    return ContactForm(
        request.POST if request.method == "POST" else None,
        account=request.account,
        properties=properties,
        initial=initial,
    )


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def contact_create(request: HttpRequest) -> HttpResponse:
    form = _contact_form(request)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        owner = data.pop("owner")
        try:
            contact = services.contact_create(account=request.account, owner=owner, **data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, f"Contact {contact} created.")
            return redirect("contacts:detail", contact.public_id)
    return render(request, "contacts/form.html", {"form": form, "contact": None})


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def contact_edit(request: HttpRequest, contact_id: str) -> HttpResponse:
    contact = get_for_account(Contact, request.account, contact_id)
    form = _contact_form(request, contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                account=request.account, contact=contact, data=form.service_data()
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "Contact saved.")
            return redirect("contacts:detail", contact.public_id)
    return render(request, "contacts/form.html", {"form": form, "contact": contact})


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def contact_delete(request: HttpRequest, contact_id: str) -> HttpResponse:
    contact = get_for_account(Contact, request.account, contact_id)
    if request.method == "POST":
        services.contact_delete(account=request.account, contact=contact)
        messages.success(request, f"Contact {contact} deleted. Its consent history is kept.")
        return redirect("contacts:index")
    return render(request, "contacts/delete.html", {"contact": contact})


def _timeline_context(request: HttpRequest, contact: Contact) -> dict:
    kinds = [k for k in request.GET.getlist("kind") if k in EngagementKind.values]
    limit = 50
    try:
        shown = min(max(int(request.GET.get("show", limit)), limit), 1000)
    except ValueError:
        shown = limit
    items = selectors.contact_timeline(
        account=request.account, contact=contact, kinds=kinds, limit=shown + 1
    )
    return {
        "contact": contact,
        "engagements": items[:shown],
        "more": len(items) > shown,
        "show_more": shown + limit,
        "kinds": EngagementKind.choices,
        "selected_kinds": kinds,
    }


@require_GET
@account_required
def contact_detail(request: HttpRequest, contact_id: str) -> HttpResponse:
    account = request.account
    contact = get_for_account(Contact.objects.select_related("owner"), account, contact_id)
    properties = [
        (prop, contact.properties.get(prop.key))
        for prop in selectors.contact_properties(account=account)
    ]
    context = {
        "contact": contact,
        "properties": properties,
        "static_lists": selectors.contact_list_memberships_of(account=account, contact=contact),
        "panels_beside": panels_render(Place.CONTACT_BESIDE, request, contact=contact),
        "panels_below": panels_render(Place.CONTACT_BELOW, request, contact=contact),
        **_timeline_context(request, contact),
    }
    return render(request, "contacts/detail.html", context)


@require_GET
@account_required
def contact_timeline(request: HttpRequest, contact_id: str) -> HttpResponse:
    """The timeline alone (htmx swaps it when the type filter changes)."""
    contact = get_for_account(Contact, request.account, contact_id)
    return render(request, "contacts/_timeline.html", _timeline_context(request, contact))


@require_POST
@account_required(edit=True)
def contact_bulk_list(request: HttpRequest) -> HttpResponse:
    """Add the selected contacts to a static list, or remove them from it."""
    account = request.account
    form = BulkListForm(request.POST)
    back = reverse("contacts:index") + (
        "?" + request.POST.get("filter_query", "") if request.POST.get("filter_query") else ""
    )
    if not form.is_valid():
        messages.error(request, "Choose a list and at least one contact.")
        return redirect(back)
    contact_list = get_for_account(ContactList, account, form.cleaned_data["contact_list"])
    if request.POST.get("scope") == "filter":
        try:
            contact_filter = selectors.contact_filter_from_query(
                account, QueryDict(request.POST.get("filter_query", ""))
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(back)
        ids = list(
            selectors.contacts_filtered(account=account, contact_filter=contact_filter).values_list(
                "pk", flat=True
            )[:250_000]
        )
    else:
        ids = list(
            Contact.objects.filter(
                account=account, public_id__in=form.cleaned_data["contact"]
            ).values_list("pk", flat=True)
        )
    if not ids:
        messages.error(request, "Select at least one contact.")
        return redirect(back)
    try:
        if form.cleaned_data["action"] == "add":
            count = services.contact_list_add(
                account=account, contact_list=contact_list, contact_ids=ids
            )
            messages.success(request, f"Added {count} contact(s) to {contact_list.name}.")
        else:
            count = services.contact_list_remove(
                account=account, contact_list=contact_list, contact_ids=ids
            )
            messages.success(request, f"Removed {count} contact(s) from {contact_list.name}.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(back)
