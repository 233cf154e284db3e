"""Consent status, the ledger, manual and bulk changes, and what fan-out reads."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from consent import selectors, services
from consent.models import (
    ConsentLedgerEntry,
    ConsentSource,
    ConsentState,
    ConsentStatus,
    KeywordRule,
    SubscriptionType,
)
from contacts import selectors as contact_selectors
from contacts import services as contact_services
from contacts.models import Engagement


@pytest.fixture
def marketing(tenant) -> SubscriptionType:
    return selectors.subscription_type_default(account=tenant.account)


@pytest.fixture
def ada(tenant):
    return contact_services.contact_create(
        account=tenant.account,
        first_name="Ada",
        phone="(212) 555-0123",
        mobile_phone="(646) 555-0199",
    )


def test_every_new_account_has_marketing_sms_and_the_default_keywords(tenant):
    types = list(selectors.subscription_types(account=tenant.account))
    assert [(t.name, t.is_default) for t in types] == [("Marketing SMS", True)]
    words = selectors.keyword_rules_by_kind(account=tenant.account)
    assert [r.word for r in words["opt_out"]] == sorted(
        ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"]
    )
    assert sorted(r.word for r in words["opt_in"]) == ["START", "SUBSCRIBE", "UNSTOP", "YES"]
    assert sorted(r.word for r in words["help"]) == ["HELP", "INFO"]
    # Ensuring again changes nothing.
    services.account_defaults_ensure(account=tenant.account)
    assert KeywordRule.objects.filter(account=tenant.account).count() == 14


def test_manual_opt_in_needs_the_consent_statement(tenant, ada, marketing):
    with pytest.raises(ValidationError) as exc:
        services.contact_opt_in(
            account=tenant.account, contact=ada, subscription_type=marketing, actor=tenant.bob
        )
    assert "express, verifiable consent" in exc.value.message_dict["consent_confirmed"][0]
    assert not ConsentStatus.objects.exists() and not ConsentLedgerEntry.objects.exists()


def test_manual_opt_in_subscribes_every_sms_phone_and_writes_the_ledger(tenant, ada, marketing):
    result = services.contact_opt_in(
        account=tenant.account,
        contact=ada,
        subscription_type=marketing,
        actor=tenant.bob,
        consent_confirmed=True,
        evidence="Signed the in-store form",
        ip_address="203.0.113.9",
    )
    assert result.changed == 2
    entries = list(selectors.consent_ledger(account=tenant.account, contact=ada))
    assert {e.phone_e164 for e in entries} == {"+12125550123", "+16465550199"}
    entry = entries[0]
    assert (entry.previous_status, entry.new_status) == ("not_specified", "subscribed")
    assert entry.source == ConsentSource.MANUAL
    assert entry.actor == tenant.bob and entry.actor_label == "bob@example.com"
    assert entry.ip_address == "203.0.113.9"
    assert entry.evidence == "Signed the in-store form"
    assert entry.contact_label == "Ada"
    # The timeline shows the change (read from the ledger, not copied).
    timeline = contact_selectors.contact_timeline(
        account=tenant.account, contact=ada, kinds=["consent_change"]
    )
    assert len(timeline) == 2
    assert "Subscribed to Marketing SMS on" in timeline[0].summary
    assert timeline[0].data["by"] == "bob@example.com"
    assert not Engagement.objects.filter(contact=ada).exists()
    # The same change again writes nothing.
    again = services.contact_opt_in(
        account=tenant.account,
        contact=ada,
        subscription_type=marketing,
        actor=tenant.bob,
        consent_confirmed=True,
    )
    assert (again.changed, again.unchanged) == (0, 2)
    assert ConsentLedgerEntry.objects.count() == 2


def test_opt_in_refuses_a_contact_without_an_sms_phone(tenant, marketing):
    contact = contact_services.contact_create(account=tenant.account, phone="+44 7911 123456")
    with pytest.raises(ValidationError, match="no phone that can receive SMS"):
        services.contact_opt_in(
            account=tenant.account,
            contact=contact,
            subscription_type=marketing,
            actor=tenant.bob,
            consent_confirmed=True,
        )


def test_opt_out_of_one_phone(tenant, ada, marketing):
    services.contact_opt_in(
        account=tenant.account,
        contact=ada,
        subscription_type=marketing,
        actor=tenant.bob,
        consent_confirmed=True,
    )
    services.contact_opt_out(
        account=tenant.account,
        contact=ada,
        subscription_type=marketing,
        actor=tenant.alice,
        phone_e164="+16465550199",
    )
    rows = {
        r.phone_e164: r.status
        for r in selectors.contact_consent(account=tenant.account, contact=ada)
    }
    assert rows == {"+16465550199": "unsubscribed", "+12125550123": "subscribed"}
    with pytest.raises(ValidationError, match="isn't one of this contact's phones"):
        services.contact_opt_out(
            account=tenant.account,
            contact=ada,
            subscription_type=marketing,
            actor=tenant.alice,
            phone_e164="+13125550100",
        )


def test_bulk_opt_in_keeps_personal_opt_outs(tenant, marketing):
    account = tenant.account
    stopped = contact_services.contact_create(account=account, phone="2125550111")
    fresh = contact_services.contact_create(account=account, phone="2125550112")
    services.inbound_keyword_apply(
        account=account,
        phone_e164="+12125550111",
        body="STOP",
        received_by_number="+13125550000",
        message_sid="SM1",
    )
    result = services.consent_bulk_set(
        account=account,
        subscription_type=marketing,
        pairs=[(stopped.pk, "+12125550111"), (fresh.pk, "+12125550112")],
        status=ConsentState.SUBSCRIBED,
        source=ConsentSource.BULK,
        actor=tenant.bob,
        evidence="Trade show sign-up sheet",
    )
    assert (result.changed, result.kept_opted_out) == (1, 1)
    assert not selectors.consent_is_subscribed(
        account=account,
        contact_id=stopped.pk,
        phone_e164="+12125550111",
        subscription_type=marketing,
    )
    # Deleting and re-creating the contact doesn't launder the STOP: the ledger remembers.
    contact_services.contact_delete(account=account, contact=stopped)
    again = contact_services.contact_create(account=account, phone="2125550111")
    result = services.consent_bulk_set(
        account=account,
        subscription_type=marketing,
        pairs=[(again.pk, "+12125550111")],
        status=ConsentState.SUBSCRIBED,
        source=ConsentSource.IMPORT,
    )
    assert result.kept_opted_out == 1


def test_ledger_entries_survive_their_contact(tenant, ada, marketing):
    services.contact_opt_in(
        account=tenant.account,
        contact=ada,
        subscription_type=marketing,
        actor=tenant.bob,
        consent_confirmed=True,
    )
    contact_services.contact_delete(account=tenant.account, contact=ada)
    entries = ConsentLedgerEntry.objects.filter(account=tenant.account)
    assert entries.count() == 2
    assert {e.contact_id for e in entries} == {None}
    assert {e.contact_public_id for e in entries} == {ada.public_id}


def test_ledger_entries_refuse_changes_in_python(tenant, ada, marketing):
    services.contact_opt_in(
        account=tenant.account,
        contact=ada,
        subscription_type=marketing,
        actor=tenant.bob,
        consent_confirmed=True,
    )
    entry = ConsentLedgerEntry.objects.first()
    entry.evidence = "forged"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_ledger_entries_refuse_updates_in_postgresql(tenant, ada, marketing):
    services.contact_opt_in(
        account=tenant.account,
        contact=ada,
        subscription_type=marketing,
        actor=tenant.bob,
        consent_confirmed=True,
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentLedgerEntry.objects.update(evidence="forged")


def test_carrier_opt_out_unsubscribes_every_type(tenant, ada, marketing):
    promos = services.subscription_type_create(account=tenant.account, name="Store updates")
    for subscription_type in (marketing, promos):
        services.contact_opt_in(
            account=tenant.account,
            contact=ada,
            subscription_type=subscription_type,
            actor=tenant.bob,
            consent_confirmed=True,
        )
    result = services.consent_carrier_opt_out(
        account=tenant.account, phone_e164="+12125550123", error_code=21610, message_sid="SM9"
    )
    assert result.changed == 2
    entry = ConsentLedgerEntry.objects.filter(source=ConsentSource.CARRIER).first()
    assert entry.message_sid == "SM9" and "21610" in entry.evidence


def test_subscription_type_names_are_unique(tenant):
    with pytest.raises(ValidationError, match="already exists"):
        services.subscription_type_create(account=tenant.account, name="marketing sms")
