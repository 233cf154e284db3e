"""The consent API: subscriptions of a contact, changing them, and the ledger."""

from __future__ import annotations

from django.test import Client

from accounts.services import api_token_create
from consent import selectors
from consent.models import ConsentLedgerEntry
from contacts import services as contact_services


def api(tenant, user=None, account=None) -> Client:
    _, raw = api_token_create(account=account or tenant.account, user=user or tenant.bob, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_opt_in_by_api_needs_the_statement_and_lands_in_the_ledger(tenant):
    contact = contact_services.contact_create(account=tenant.account, phone="2125550123")
    marketing = selectors.subscription_type_default(account=tenant.account)
    client = api(tenant)
    types = client.get("/api/v1/subscription-types").json()["results"]
    assert [t["name"] for t in types] == ["Marketing SMS"]
    url = f"/api/v1/contacts/{contact.public_id}/subscriptions"
    assert client.get(url).json()[0]["status"] == "not_specified"
    refused = client.post(
        url + "/update",
        {"subscription_type": marketing.public_id, "status": "subscribed"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert (
        "express, verifiable consent" in refused.json()["error"]["fields"]["consent_confirmed"][0]
    )
    response = client.post(
        url + "/update",
        {
            "subscription_type": marketing.public_id,
            "status": "subscribed",
            "consent_confirmed": True,
            "evidence": "Web form 2026-01-02",
        },
        content_type="application/json",
        REMOTE_ADDR="192.0.2.4",
    )
    assert response.json()["changed"] == 1
    assert response.json()["subscriptions"][0]["status"] == "subscribed"
    entry = ConsentLedgerEntry.objects.get()
    assert (entry.source, entry.ip_address, entry.actor) == ("api", "192.0.2.4", tenant.bob)
    ledger = client.get("/api/v1/consent-ledger", {"contact": contact.public_id}).json()["results"]
    assert (
        ledger[0]["new_status"] == "subscribed" and ledger[0]["evidence"] == "Web form 2026-01-02"
    )


def test_outsiders_and_viewers(tenant):
    contact = contact_services.contact_create(account=tenant.account, phone="2125550123")
    marketing = selectors.subscription_type_default(account=tenant.account)
    body = {"subscription_type": marketing.public_id, "status": "unsubscribed"}
    viewer = api(tenant, user=tenant.vera)
    assert (
        viewer.post(
            f"/api/v1/contacts/{contact.public_id}/subscriptions/update",
            body,
            content_type="application/json",
        ).status_code
        == 403
    )
    outsider = api(tenant, user=tenant.charlie, account=tenant.other_account)
    assert outsider.get(f"/api/v1/contacts/{contact.public_id}/subscriptions").status_code == 404
    assert outsider.get("/api/v1/consent-ledger", {"contact": contact.public_id}).status_code == 404
    assert (
        outsider.post(
            f"/api/v1/contacts/{contact.public_id}/subscriptions/update",
            body,
            content_type="application/json",
        ).status_code
        == 404
    )
    assert not ConsentLedgerEntry.objects.exists()
