"""Contact lists: static ones and active (rule-based) ones."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import form_errors_from
from accounts.tenancy import account_required, get_for_account
from contacts import selectors, services
from contacts.forms import (
    ListForm,
    field_names,
    rule_field_choices,
    rule_forms,
    rules_from_forms,
)
from contacts.models import ContactList, ListKind
from contacts.subscriptions import subscriptions


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
    field_choices = rule_field_choices(account, lists, subscriptions().types(account=account))
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
        "field_ops": selectors.ops_by_field(
            account=account, field_names=field_names(field_choices)
        ),
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
    types = {t.public_id: t.name for t in subscriptions().types(account=account)}
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
