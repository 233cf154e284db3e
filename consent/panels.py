"""Consent's parts of contacts' pages (contacts/panels.py), registered in consent/apps.py: the
contact's consent beside "About" with the manual opt-in/out form, its consent history below,
and the bulk opt-in/out among the index's bulk actions."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from consent import selectors
from consent.forms import ConsentChangeForm
from contacts.models import Contact


def contact_consent_panel(request: HttpRequest, *, contact: Contact) -> SafeString:
    account = request.account
    subscription_types = list(selectors.subscription_types(account=account))
    context = {
        "contact": contact,
        "consent_rows": selectors.contact_consent(account=account, contact=contact),
        "consent_form": ConsentChangeForm(contact=contact, subscription_types=subscription_types),
    }
    return render_to_string("consent/_contact_consent.html", context, request)


def contact_ledger_panel(request: HttpRequest, *, contact: Contact) -> SafeString:
    """The first page of the history, or the one `?ledger_page=` names (pages without
    JavaScript; htmx pages through consent:contact_ledger)."""
    ledger_page = selectors.contact_ledger_page(
        account=request.account, contact=contact, page=request.GET.get("ledger_page")
    )
    context = {"contact": contact, "ledger_page": ledger_page}
    return render_to_string("consent/_contact_ledger.html", context, request)


def index_bulk_change_panel(request: HttpRequest) -> SafeString:
    context = {"subscription_types": selectors.subscription_types(account=request.account)}
    return render_to_string("consent/_bulk_change_form.html", context, request)
