"""Consent pages: manual changes, ledger exports, keywords and subscription types."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from consent import selectors, services
from consent.models import ConsentLedgerEntry, KeywordRule, SubscriptionType
from contacts import services as contact_services


@pytest.fixture
def ada(tenant):
    return contact_services.contact_create(
        account=tenant.account, first_name="Ada", phone="(212) 555-0123"
    )


@pytest.fixture
def marketing(tenant):
    return selectors.subscription_type_default(account=tenant.account)


def change(client, contact, marketing, **extra):
    data = {"subscription_type": marketing.public_id, "status": "subscribed", "phone": ""}
    data.update(extra)
    return client.post(
        reverse("consent:contact_change", args=[contact.public_id]),
        data,
        REMOTE_ADDR="198.51.100.7",
    )


def test_manual_opt_in_requires_the_statement_then_records_who_and_where(
    tenant, bob_client, ada, marketing
):
    response = change(bob_client, ada, marketing, evidence="Asked at the till")
    page = bob_client.get(response.url)
    assert "express, verifiable consent" in page.content.decode()
    assert not ConsentLedgerEntry.objects.exists()

    change(bob_client, ada, marketing, evidence="Asked at the till", consent_confirmed="on")
    entry = ConsentLedgerEntry.objects.get()
    assert (entry.source, entry.new_status) == ("manual", "subscribed")
    assert entry.actor == tenant.bob and entry.ip_address == "198.51.100.7"
    page = bob_client.get(reverse("contacts:detail", args=[ada.public_id]))
    html = page.content.decode()
    assert "Asked at the till" in html and "bob@example.com" in html
    assert "Subscribed to Marketing SMS" in html  # the timeline


def test_opt_out_needs_no_statement(tenant, bob_client, ada, marketing):
    change(bob_client, ada, marketing, status="unsubscribed")
    assert ConsentLedgerEntry.objects.get().new_status == "unsubscribed"


def test_viewers_and_outsiders_cannot_change_consent(
    tenant, vera_client, charlie_client, ada, marketing
):
    assert change(vera_client, ada, marketing, consent_confirmed="on").status_code == 403
    assert change(charlie_client, ada, marketing, consent_confirmed="on").status_code == 404
    assert not ConsentLedgerEntry.objects.exists()


def test_ledger_exports_per_contact_and_account_are_safe_csv(
    tenant, bob_client, vera_client, ada, marketing
):
    services.contact_opt_in(
        account=tenant.account,
        contact=ada,
        subscription_type=marketing,
        actor=tenant.bob,
        consent_confirmed=True,
        evidence="=cmd|' /C calc'!A0",
    )
    other = contact_services.contact_create(account=tenant.account, phone="2125550999")
    services.contact_opt_out(
        account=tenant.account, contact=other, subscription_type=marketing, actor=tenant.bob
    )
    one = vera_client.get(reverse("consent:contact_ledger_csv", args=[ada.public_id]))
    rows = list(csv.reader(io.StringIO(b"".join(one.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "Entry id" and len(rows) == 2
    assert rows[1][-1] == "'=cmd|' /C calc'!A0"
    everything = vera_client.get(reverse("consent:ledger_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(everything.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 3
    assert bob_client.get(reverse("consent:ledger")).status_code == 200


def test_keywords_page_adds_and_removes_words(tenant, alice_client, bob_client):
    page = alice_client.get(reverse("consent:keywords"))
    assert b"STOPALL" in page.content
    response = alice_client.post(
        reverse("consent:keywords"), {"kind": "custom", "word": "Hours", "reply_text": "9-5"}
    )
    assert response.status_code == 302
    rule = KeywordRule.objects.get(word="HOURS")
    bad = alice_client.post(reverse("consent:keywords"), {"kind": "custom", "word": "stop"})
    assert "already one of your opt-out keywords" in bad.content.decode()
    # Marketers don't set keywords (account admins and SMS setup do).
    assert (
        bob_client.post(reverse("consent:keyword_delete", args=[rule.public_id])).status_code == 403
    )
    alice_client.post(reverse("consent:keyword_delete", args=[rule.public_id]))
    assert not KeywordRule.objects.filter(word="HOURS").exists()
    stop = KeywordRule.objects.get(account=tenant.account, word="STOP")
    alice_client.post(reverse("consent:keyword_delete", args=[stop.public_id]))
    assert KeywordRule.objects.filter(pk=stop.pk).exists()


def test_flagged_replies_are_listed_for_review(tenant, alice_client):
    services.inbound_keyword_apply(
        account=tenant.account,
        phone_e164="+12125550123",
        body="please stop texting me",
        received_by_number="+13125550000",
        message_sid="SMr",
    )
    page = alice_client.get(reverse("consent:keywords"))
    assert b"please stop texting me" in page.content


def test_subscription_types_page(tenant, alice_client, bob_client):
    alice_client.post(reverse("consent:subscription_types"), {"name": "Store updates"})
    assert SubscriptionType.objects.filter(account=tenant.account, name="Store updates").exists()
    assert bob_client.post(reverse("consent:subscription_types"), {"name": "X"}).status_code == 403
    dup = alice_client.post(reverse("consent:subscription_types"), {"name": "store updates"})
    assert "already exists" in dup.content.decode()
