"""The address the consent ledger records for a manual or API change can't be forged."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services import api_token_create
from consent import selectors
from consent.models import ConsentLedgerEntry
from contacts import services as contact_services

PROXY = "10.0.0.5"


@pytest.fixture
def ada(tenant):
    return contact_services.contact_create(
        account=tenant.account, first_name="Ada", phone="(212) 555-0123"
    )


def opt_in_on_page(client, contact, tenant, **headers):
    marketing = selectors.subscription_type_default(account=tenant.account)
    client.post(
        reverse("consent:contact_change", args=[contact.public_id]),
        {
            "subscription_type": marketing.public_id,
            "status": "subscribed",
            "phone": "",
            "consent_confirmed": "on",
            "evidence": "Asked at the till",
        },
        **headers,
    )
    return ConsentLedgerEntry.objects.get(contact=contact).ip_address


def test_a_forwarded_for_header_is_ignored_when_no_proxy_is_trusted(tenant, bob_client, ada):
    recorded = opt_in_on_page(
        bob_client, ada, tenant, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.66"
    )
    assert recorded == "198.51.100.7"


def test_behind_one_trusted_proxy_the_address_it_saw_is_recorded_not_the_clients_claim(
    tenant, bob_client, ada, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client claimed 203.0.113.66; our proxy appended the address it really came from.
    recorded = opt_in_on_page(
        bob_client,
        ada,
        tenant,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.7",
    )
    assert recorded == "198.51.100.7"


def test_behind_two_proxies_the_entry_the_outer_one_wrote_counts(tenant, bob_client, ada, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    recorded = opt_in_on_page(
        bob_client,
        ada,
        tenant,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.7, 10.0.0.4",
    )
    assert recorded == "198.51.100.7"


@pytest.mark.parametrize("forwarded", ["", "not-an-ip", "198.51.100.7"])
def test_a_short_or_garbled_header_behind_proxies_falls_back_to_remote_addr(
    tenant, bob_client, ada, settings, forwarded
):
    settings.TRUSTED_PROXY_COUNT = 2 if forwarded == "198.51.100.7" else 1
    recorded = opt_in_on_page(
        bob_client, ada, tenant, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
    )
    assert recorded == PROXY


def test_the_api_records_remote_addr_not_a_forged_header(tenant, ada):
    _, raw = api_token_create(account=tenant.account, user=tenant.bob, name="t")
    marketing = selectors.subscription_type_default(account=tenant.account)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        f"/api/v1/contacts/{ada.public_id}/subscriptions/update",
        {
            "subscription_type": marketing.public_id,
            "status": "subscribed",
            "consent_confirmed": True,
        },
        content_type="application/json",
        REMOTE_ADDR="192.0.2.4",
        HTTP_X_FORWARDED_FOR="203.0.113.66",
    )
    assert response.status_code == 200, response.content
    assert ConsentLedgerEntry.objects.get(contact=ada).ip_address == "192.0.2.4"
