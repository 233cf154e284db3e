"""CSV import: upload, map the columns and choose the options, then follow the worker's
progress and download the report."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import form_errors_from
from accounts.jobs import JobStatus
from accounts.tenancy import account_required, get_for_account
from contacts import csvfiles, selectors, services
from contacts.forms import ImportOptionsForm, ImportUploadForm
from contacts.models import ContactImport, ContactList, ListKind
from contacts.phones import PhoneIssue
from contacts.services.import_mapping import import_targets
from contacts.services.imports import contact_import_preview, import_options_from
from contacts.subscriptions import subscriptions


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
    subscription_types = subscriptions().types(account=account)
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
                    add_to_list=add_to_list,
                    started_by=request.user,
                    **import_options_from(data),
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
