from __future__ import annotations

from django.core.management import call_command

from accounts.models import Account
from consent.models import ConsentLedgerEntry, ConsentStatus
from contacts.models import Contact
from demo.constants import DEMO_ACCOUNT


def test_seed_demo_adds_contacts_with_consent_once(db):
    call_command("seed_demo")
    account = Account.objects.get(name=DEMO_ACCOUNT)
    contacts = Contact.objects.filter(account=account)
    assert contacts.count() == 50  # the demo replies come from known numbers
    assert ConsentStatus.objects.filter(account=account, status="subscribed").count() >= 35
    assert ConsentStatus.objects.filter(account=account, status="unsubscribed").count() == 2
    entries = ConsentLedgerEntry.objects.count()
    call_command("seed_demo")
    assert Contact.objects.filter(account=account).count() == contacts.count()
    assert ConsentLedgerEntry.objects.count() == entries
