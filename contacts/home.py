"""Contacts' step on the home page's checklist."""

from __future__ import annotations

from accounts.home import ChecklistStep
from accounts.models import Account
from contacts.models import Contact


def contacts_imported(account: Account) -> bool:
    return Contact.objects.filter(account=account).exists()


IMPORT_CONTACTS = ChecklistStep(
    order=20,
    label="Import contacts",
    description="Upload a CSV of your customers with their mobile numbers, or add them one by one.",
    url_name="contacts:imports",
    done=contacts_imported,
)
