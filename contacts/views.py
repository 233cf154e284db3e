"""Contact pages: index, detail with timeline and consent, edit, properties, lists, CSV import
and the bulk phone reformat."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.jobs import JobStatus
from accounts.tenancy import account_required, get_for_account
from contacts import csvfiles, selectors, services
from contacts.csvfiles import csv_stream
from contacts.forms import (
    BulkListForm,
    ContactForm,
    ImportOptionsForm,
    ImportUploadForm,
    ListForm,
    PropertyForm,
    ReformatForm,
    form_errors_from,
    rule_field_choices,
    rule_forms,
    rules_from_forms,
)
from contacts.models import (
    Contact,
    ContactImport,
    ContactList,
    ContactProperty,
    EngagementKind,
    ListKind,
    PhoneReformat,
)
from contacts.services.imports import contact_import_preview, import_targets
from contacts.services.reformat import phone_reformat_proposals

PREVIEW_LIMIT = 200
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


def _consent():
    from consent import selectors as consent_selectors  # consent depends on contacts

    return consent_selectors


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
    consent_selectors = _consent()
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
    default_type = consent_selectors.subscription_type_default(account=account)
    subscribed = set()
    if default_type is not None:
        subscribed = {
            cid
            for cid, _ in consent_selectors.subscribed_pairs(
                account=account,
                subscription_type=default_type,
                contact_ids=[c.pk for c in page.items],
            )
        }
    lists = list(selectors.contact_lists(account=account))
    subscription_types = list(consent_selectors.subscription_types(account=account))
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
        "ops": selectors.OPS,
        "filter_rows": _filter_rows(request),
        "q": request.GET.get("q", ""),
        "selected_list": request.GET.get("list", ""),
        "selected_subscription": request.GET.get("subscription", ""),
        "selected_state": request.GET.get("subscription_state", "subscribed"),
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
    consent_selectors = _consent()
    from consent.forms import ConsentChangeForm

    properties = [
        (prop, contact.properties.get(prop.key))
        for prop in selectors.contact_properties(account=account)
    ]
    subscription_types = list(consent_selectors.subscription_types(account=account))
    context = {
        "contact": contact,
        "properties": properties,
        "static_lists": selectors.contact_list_memberships_of(account=account, contact=contact),
        "consent_rows": consent_selectors.contact_consent(account=account, contact=contact),
        "ledger_page": consent_selectors.contact_ledger_page(
            account=account, contact=contact, page=request.GET.get("ledger_page")
        ),
        "consent_form": ConsentChangeForm(contact=contact, subscription_types=subscription_types),
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


# --- Properties ---


@require_http_methods(["GET", "POST"])
@account_required
def property_index(request: HttpRequest) -> HttpResponse:
    form = PropertyForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.can_edit:
            raise PermissionDenied("Viewers can't change anything.")
        if form.is_valid():
            try:
                prop = services.contact_property_create(
                    account=request.account,
                    label=form.cleaned_data["label"],
                    key=form.cleaned_data["key"],
                    type=form.cleaned_data["type"],
                    choices=form.choice_list(),
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, f"Property “{prop.label}” added ({prop.key}).")
                return redirect("contacts:properties")
    properties = selectors.contact_properties(account=request.account)
    return render(request, "contacts/properties.html", {"form": form, "properties": properties})


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def property_edit(request: HttpRequest, property_id: str) -> HttpResponse:
    prop = get_for_account(ContactProperty, request.account, property_id)
    form = PropertyForm(
        request.POST or None,
        initial={
            "label": prop.label,
            "key": prop.key,
            "type": prop.type,
            "choices": "\n".join(prop.choices),
        },
    )
    form.fields["key"].disabled = True
    form.fields["type"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_property_update(
                account=request.account,
                prop=prop,
                label=form.cleaned_data["label"],
                choices=form.choice_list(),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "Property saved.")
            return redirect("contacts:properties")
    return render(request, "contacts/property_edit.html", {"form": form, "prop": prop})


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def property_delete(request: HttpRequest, property_id: str) -> HttpResponse:
    prop = get_for_account(ContactProperty, request.account, property_id)
    if request.method == "POST":
        services.contact_property_delete(account=request.account, prop=prop)
        messages.success(request, f"Property “{prop.label}” and its values deleted.")
        return redirect("contacts:properties")
    return render(
        request,
        "contacts/confirm_delete.html",
        {
            "title": f"Delete the property “{prop.label}”?",
            "detail": "Every contact's value for it is deleted too. Active lists that use it "
            "will match nobody on that condition.",
            "cancel_url": reverse("contacts:properties"),
        },
    )


# --- Lists ---


@require_GET
@account_required
def list_index(request: HttpRequest) -> HttpResponse:
    lists = [
        (lst, selectors.contact_list_members(lst).count())
        for lst in selectors.contact_lists(account=request.account)
    ]
    return render(request, "contacts/lists.html", {"lists": lists})


def _list_form_context(request: HttpRequest, contact_list: ContactList | None) -> dict:
    account = request.account
    lists = [
        lst
        for lst in selectors.contact_lists(account=account)
        if contact_list is None or lst.pk != contact_list.pk
    ]
    field_choices = rule_field_choices(
        account, lists, list(_consent().subscription_types(account=account))
    )
    data = request.POST if request.method == "POST" else None
    initial = {}
    rules_initial: list[dict] = []
    if contact_list is not None:
        initial = {
            "name": contact_list.name,
            "kind": contact_list.kind,
            "match": (contact_list.rules or {}).get("match", "all"),
        }
        rules_initial = (contact_list.rules or {}).get("conditions", [])
    form = ListForm(data, initial=initial)
    if contact_list is not None:
        form.fields["kind"].disabled = True
    return {
        "form": form,
        "rule_forms": rule_forms(data, field_choices=field_choices, initial=rules_initial),
        "contact_list": contact_list,
    }


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def list_create(request: HttpRequest) -> HttpResponse:
    context = _list_form_context(request, None)
    form = context["form"]
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"] or ListKind.STATIC
        try:
            contact_list = services.contact_list_create(
                account=request.account,
                name=form.cleaned_data["name"],
                kind=kind,
                rules=rules_from_forms(context["rule_forms"], form.cleaned_data["match"]),
                created_by=request.user,
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, f"List “{contact_list.name}” created.")
            return redirect("contacts:list_detail", contact_list.public_id)
    return render(request, "contacts/list_form.html", context)


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def list_edit(request: HttpRequest, list_id: str) -> HttpResponse:
    contact_list = get_for_account(ContactList, request.account, list_id)
    context = _list_form_context(request, contact_list)
    form = context["form"]
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_list_update(
                account=request.account,
                contact_list=contact_list,
                name=form.cleaned_data["name"],
                rules=rules_from_forms(context["rule_forms"], form.cleaned_data["match"])
                if contact_list.is_active
                else None,
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "List saved.")
            return redirect("contacts:list_detail", contact_list.public_id)
    return render(request, "contacts/list_form.html", context)


@require_GET
@account_required
def list_detail(request: HttpRequest, list_id: str) -> HttpResponse:
    contact_list = get_for_account(ContactList, request.account, list_id)
    members = selectors.contact_list_members(contact_list)
    page = selectors.contacts_page(
        members,
        account=request.account,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    return render(
        request,
        "contacts/list_detail.html",
        {
            "contact_list": contact_list,
            "page": page,
            "total": members.count(),
            "conditions": _conditions_readable(request, contact_list),
        },
    )


def _conditions_readable(request: HttpRequest, contact_list: ContactList) -> list[str]:
    if not contact_list.is_active:
        return []
    account = request.account
    lists = {lst.public_id: lst.name for lst in selectors.contact_lists(account=account)}
    types = {t.public_id: t.name for t in _consent().subscription_types(account=account)}
    props = {p.key: p.label for p in selectors.contact_properties(account=account)}
    readable = []
    for condition in (contact_list.rules or {}).get("conditions", []):
        kind, _, ident = condition["field"].partition(":")
        name = {
            "property": props.get(ident, ident),
            "list": f"list “{lists.get(ident, 'deleted list')}”",
            "subscription": types.get(ident, ident),
        }.get(kind) or {**selectors.TEXT_FIELDS, **selectors.PHONE_FIELDS}.get(
            condition["field"], condition["field"].replace("_", " ")
        )
        op = selectors.OPS.get(condition["op"], condition["op"])
        value = f" “{condition['value']}”" if condition.get("value") else ""
        readable.append(f"{name} {op}{value}")
    return readable


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def list_delete(request: HttpRequest, list_id: str) -> HttpResponse:
    contact_list = get_for_account(ContactList, request.account, list_id)
    if request.method == "POST":
        services.contact_list_delete(account=request.account, contact_list=contact_list)
        messages.success(request, f"List “{contact_list.name}” deleted; its contacts stay.")
        return redirect("contacts:lists")
    return render(
        request,
        "contacts/confirm_delete.html",
        {
            "title": f"Delete the list “{contact_list.name}”?",
            "detail": "The contacts stay; only the list goes.",
            "cancel_url": reverse("contacts:list_detail", args=[contact_list.public_id]),
        },
    )


# --- Import ---


@require_http_methods(["GET", "POST"])
@account_required
def import_index(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not request.membership.can_edit:
            raise PermissionDenied("Viewers can't change anything.")
        if form.is_valid():
            try:
                contact_import = services.contact_import_create(
                    account=request.account,
                    created_by=request.user,
                    uploaded_file=form.cleaned_data["file"],
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                return redirect("contacts:import_map", contact_import.public_id)
    imports = selectors.contact_imports(account=request.account).select_related("created_by")[:50]
    return render(request, "contacts/imports.html", {"form": form, "imports": imports})


@require_http_methods(["GET", "POST"])
@account_required(edit=True)
def import_map(request: HttpRequest, import_id: str) -> HttpResponse:
    account = request.account
    contact_import = get_for_account(ContactImport, account, import_id)
    if contact_import.status != JobStatus.UPLOADED:
        return redirect("contacts:import_detail", contact_import.public_id)
    static_lists = [
        lst for lst in selectors.contact_lists(account=account) if lst.kind == ListKind.STATIC
    ]
    subscription_types = list(_consent().subscription_types(account=account))
    form = ImportOptionsForm(
        request.POST or None, lists=static_lists, subscription_types=subscription_types
    )
    targets = import_targets(account)
    mapping = dict(contact_import.mapping)
    if request.method == "POST":
        mapping = {
            header: request.POST.get(f"map_{i}", "")
            for i, header in enumerate(contact_import.headers)
        }
        if form.is_valid():
            data = form.cleaned_data
            add_to_list = None
            if data["add_to_list"]:
                add_to_list = get_for_account(ContactList, account, data["add_to_list"])
            try:
                services.contact_import_start(
                    account=account,
                    contact_import=contact_import,
                    mapping=mapping,
                    duplicate_policy=data["duplicate_policy"],
                    add_to_list=add_to_list,
                    new_list_name=data["new_list_name"],
                    consent_subscription_type_id=data["consent_subscription_type"],
                    consent_source=data["consent_source"],
                    consent_confirmed=data["consent_confirmed"],
                    started_by=request.user,
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                return redirect("contacts:import_detail", contact_import.public_id)
    preview = contact_import_preview(contact_import)
    columns = [
        {
            "index": i,
            "header": header,
            "target": mapping.get(header, ""),
            "samples": [row[i] if i < len(row) else "" for row in preview],
        }
        for i, header in enumerate(contact_import.headers)
    ]
    return render(
        request,
        "contacts/import_map.html",
        {
            "contact_import": contact_import,
            "form": form,
            "columns": columns,
            "targets": targets,
            "preview": preview,
        },
    )


def _import_context(contact_import: ContactImport) -> dict:
    reasons = dict(contact_import.rejection_reasons or {})
    no_sms = reasons.pop("_no_sms_phone", {})
    from contacts.phones import PhoneIssue

    return {
        "contact_import": contact_import,
        "reasons": sorted(reasons.items(), key=lambda kv: -kv[1]),
        "no_sms": [
            (PhoneIssue(k).label if k in PhoneIssue.values else k, v) for k, v in no_sms.items()
        ],
    }


@require_GET
@account_required
def import_detail(request: HttpRequest, import_id: str) -> HttpResponse:
    contact_import = get_for_account(
        ContactImport.objects.select_related("add_to_list", "created_by"),
        request.account,
        import_id,
    )
    return render(request, "contacts/import_detail.html", _import_context(contact_import))


@require_GET
@account_required
def import_progress(request: HttpRequest, import_id: str) -> HttpResponse:
    """The progress partial htmx polls every second until the import is finished."""
    contact_import = get_for_account(
        ContactImport.objects.select_related("add_to_list"), request.account, import_id
    )
    # Once the import is finished the partial comes back without its polling trigger.
    return render(request, "contacts/_import_progress.html", _import_context(contact_import))


@require_GET
@account_required
def import_report(request: HttpRequest, import_id: str) -> FileResponse:
    return csvfiles.import_report_download(
        get_for_account(ContactImport, request.account, import_id)
    )


# --- Bulk phone reformat ---


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
    subscription_types = list(_consent().subscription_types(account=account))
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
