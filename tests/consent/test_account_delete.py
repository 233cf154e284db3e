from __future__ import annotations

from accounts.models import Account
from consent import selectors, services
from consent.models import ConsentLedgerEntry
from contacts import services as contact_services


def test_deleting_an_account_takes_its_consent_data_with_it(tenant):
    contact = contact_services.contact_create(account=tenant.account, phone="2125550123")
    services.contact_opt_in(
        account=tenant.account,
        contact=contact,
        subscription_type=selectors.subscription_type_default(account=tenant.account),
        actor=tenant.bob,
        consent_confirmed=True,
    )
    Account.objects.filter(pk=tenant.account.pk).delete()
    assert not ConsentLedgerEntry.objects.exists()
