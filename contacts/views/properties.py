"""Contact properties: the account's own contact fields."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.forms import form_errors_from
from accounts.tenancy import account_required, get_for_account
from contacts import selectors, services
from contacts.forms import PropertyForm
from contacts.models import ContactProperty


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
