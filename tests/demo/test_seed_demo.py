"""The demo `make run` seeds: contacts with consent and a number, made once."""

from __future__ import annotations

from django.core.management import call_command

from accounts.models import Account
from consent.models import ConsentLedgerEntry, ConsentStatus, OptInPage
from contacts.models import Contact
from demo.constants import DEMO_ACCOUNT
from demo.numbers import demo_number_ensure
from registration.models import PhoneNumber


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
    # An opt-in page to try, made once.
    assert OptInPage.objects.filter(account=account, enabled=True).count() == 1


def test_the_demo_number_is_active_and_made_once(tenant):
    number = demo_number_ensure(tenant.account)
    assert number.is_demo and number.status == PhoneNumber.Status.ACTIVE
    assert number.e164.startswith("+1415555") and number.sms_capable
    assert number.messages_per_second == 10
    assert demo_number_ensure(tenant.account).pk == number.pk
    other = demo_number_ensure(tenant.other_account)
    assert other.e164 != number.e164
