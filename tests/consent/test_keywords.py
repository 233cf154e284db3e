"""Inbound texts: keyword matching, account-wide opt-outs, replies, review flags, idempotency."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from consent import selectors, services
from consent.models import ConsentLedgerEntry, ConsentSource, ConsentState, ConsentStatus
from contacts import services as contact_services
from contacts.models import Contact, Engagement

LONG_CODE = "+13125550000"
OTHER_LONG_CODE = "+13125550001"
SHORT_CODE = "55123"


def inbound(tenant, body, sid="SM1", phone="+12125550123", to=LONG_CODE, **kw):
    return services.inbound_keyword_apply(
        account=tenant.account,
        phone_e164=phone,
        body=body,
        received_by_number=to,
        message_sid=sid,
        **kw,
    )


@pytest.mark.parametrize(
    "body", ["STOP", "stop", " STOP ", "Stop.", "stop!!", "\tQuit\n", "Stop 🛑"]
)
def test_whole_message_opt_out_words_match(tenant, body):
    assert inbound(tenant, body).kind == "opt_out"


@pytest.mark.parametrize(
    "body", ["please stop texting me", "STOP IT", "don't stop", "stopp", "unsubscribe me"]
)
def test_sentences_with_an_opt_out_word_are_flagged_not_applied(tenant, body):
    outcome = inbound(tenant, body)
    if body == "stopp":
        assert outcome.kind == "none"
    else:
        assert outcome.kind == "flagged_for_review"
    assert outcome.reply_text is None
    assert not ConsentLedgerEntry.objects.exists()
    # Kept as a reply, and listed for review.
    reply = Engagement.objects.get(kind="sms_reply")
    assert reply.data["body"] == body
    flagged = selectors.replies_needing_review(account=tenant.account)
    assert list(flagged) == ([reply] if outcome.kind == "flagged_for_review" else [])


def test_unknown_phone_becomes_a_contact(tenant):
    outcome = inbound(tenant, "Hi there", phone="+14165550123")
    assert outcome.contact_created and outcome.kind == "none"
    assert outcome.contact.mobile_phone_e164 == "+14165550123"
    assert Contact.objects.filter(account=tenant.account).count() == 1


def test_stop_is_account_wide_for_every_contact_with_the_phone(tenant):
    account = tenant.account
    marketing = selectors.subscription_type_default(account=account)
    one = contact_services.contact_create(account=account, phone="2125550123")
    two = contact_services.contact_create(account=account, email="t@x.com")
    # Duplicates are refused in forms but arrive by import with "create anyway".
    Contact.objects.filter(pk=two.pk).update(mobile_phone_e164="+12125550123")
    two.refresh_from_db()
    other_phone = contact_services.contact_create(account=account, phone="2125550999")
    for contact in (one, two, other_phone):
        services.contact_opt_in(
            account=account,
            contact=contact,
            subscription_type=marketing,
            actor=tenant.bob,
            consent_confirmed=True,
        )
    # The STOP reached a different number of ours than the one that sent the campaign.
    outcome = inbound(tenant, "stop", sid="SM42", to=OTHER_LONG_CODE)
    assert outcome.kind == "opt_out"
    assert outcome.reply_text is None  # Twilio answers STOP on long codes itself
    assert outcome.consent.changed == 2
    statuses = dict(
        ConsentStatus.objects.filter(subscription_type=marketing).values_list(
            "contact_id", "status"
        )
    )
    assert statuses == {
        one.pk: "unsubscribed",
        two.pk: "unsubscribed",
        other_phone.pk: "subscribed",
    }
    entry = ConsentLedgerEntry.objects.filter(source=ConsentSource.KEYWORD).first()
    assert entry.message_sid == "SM42"
    assert "stop" in entry.evidence and OTHER_LONG_CODE in entry.evidence
    # Another account's contacts with the same phone are untouched.
    charlie_contact = contact_services.contact_create(
        account=tenant.other_account, phone="2125550123"
    )
    assert not ConsentStatus.objects.filter(contact=charlie_contact).exists()


def test_start_resubscribes_and_short_codes_confirm(tenant):
    marketing = selectors.subscription_type_default(account=tenant.account)
    inbound(tenant, "STOP", sid="SM1")
    outcome = inbound(tenant, "start", sid="SM2")
    assert outcome.kind == "opt_in" and outcome.reply_text is None
    assert selectors.consent_is_subscribed(
        account=tenant.account,
        contact_id=outcome.contact.pk,
        phone_e164="+12125550123",
        subscription_type=marketing,
    )
    inbound(tenant, "STOP", sid="SM3", to=SHORT_CODE)
    outcome = inbound(tenant, "YES", sid="SM4", to=SHORT_CODE)
    assert outcome.kind == "opt_in"
    assert "You're subscribed" in outcome.reply_text


def test_opt_in_restores_every_type_the_stop_removed(tenant):
    account = tenant.account
    store = services.subscription_type_create(account=account, name="Store updates")
    contact = contact_services.contact_create(account=account, phone="2125550123")
    for subscription_type in selectors.subscription_types(account=account):
        services.contact_opt_in(
            account=account,
            contact=contact,
            subscription_type=subscription_type,
            actor=tenant.bob,
            consent_confirmed=True,
        )
    assert inbound(tenant, "STOP", sid="SM1").consent.changed == 2
    assert inbound(tenant, "UNSTOP", sid="SM2").consent.changed == 2
    assert selectors.consent_is_subscribed(
        account=account, contact_id=contact.pk, phone_e164="+12125550123", subscription_type=store
    )


def test_keyword_for_one_subscription_type(tenant):
    account = tenant.account
    store = services.subscription_type_create(account=account, name="Store updates")
    contact = contact_services.contact_create(account=account, phone="2125550123")
    for subscription_type in selectors.subscription_types(account=account):
        services.contact_opt_in(
            account=account,
            contact=contact,
            subscription_type=subscription_type,
            actor=tenant.bob,
            consent_confirmed=True,
        )
    outcome = inbound(tenant, "STOP", subscription_type=store)
    assert outcome.consent.changed == 1


def test_help_and_custom_keywords_reply(tenant):
    assert inbound(tenant, "HELP", sid="SM1").reply_text is None  # Twilio answers
    services.keyword_rule_create(
        account=tenant.account, kind="help", word="support", reply_text="Call 555-0100"
    )
    assert inbound(tenant, "Support", sid="SM2").reply_text == "Call 555-0100"
    services.keyword_rule_create(
        account=tenant.account, kind="custom", word="hours", reply_text="Open 9-5 daily."
    )
    outcome = inbound(tenant, "hours?", sid="SM3")
    assert (outcome.kind, outcome.reply_text) == ("custom", "Open 9-5 daily.")
    assert not ConsentLedgerEntry.objects.exists()


def test_an_account_added_opt_out_word_replies_because_twilio_wont(tenant):
    services.keyword_rule_create(account=tenant.account, kind="opt_out", word="ARRET")
    outcome = inbound(tenant, "arrêt".replace("ê", "e"))
    assert outcome.kind == "opt_out"
    assert "unsubscribed" in outcome.reply_text


def test_redelivered_message_changes_nothing(tenant):
    first = inbound(tenant, "STOP", sid="SMdup")
    entries = ConsentLedgerEntry.objects.count()
    second = inbound(tenant, "STOP", sid="SMdup")
    assert second.duplicate and not first.duplicate
    assert second.kind == "opt_out" and second.reply_text is None
    assert second.contact.pk == first.contact.pk
    assert ConsentLedgerEntry.objects.count() == entries
    assert Engagement.objects.filter(kind="sms_reply").count() == 1


def test_keyword_rules_validation(tenant):
    with pytest.raises(ValidationError, match="already one of your opt-out keywords"):
        services.keyword_rule_create(account=tenant.account, kind="custom", word="stop")
    with pytest.raises(ValidationError, match="one word"):
        services.keyword_rule_create(account=tenant.account, kind="custom", word="two words")
    with pytest.raises(ValidationError, match="needs the reply"):
        services.keyword_rule_create(account=tenant.account, kind="custom", word="MENU")
    stop = selectors.keyword_rules(account=tenant.account).get(word="STOP")
    with pytest.raises(ValidationError, match="standard"):
        services.keyword_rule_delete(account=tenant.account, rule=stop)
    subscribe = selectors.keyword_rules(account=tenant.account).get(word="SUBSCRIBE")
    services.keyword_rule_delete(account=tenant.account, rule=subscribe)
    assert inbound(tenant, "subscribe").kind == "none"


def test_statuses_of_a_contact_default_to_not_specified(tenant):
    contact = contact_services.contact_create(account=tenant.account, phone="2125550123")
    rows = selectors.contact_consent(account=tenant.account, contact=contact)
    assert [(r.phone_e164, r.status) for r in rows] == [
        ("+12125550123", ConsentState.NOT_SPECIFIED)
    ]


def test_standard_keywords_show_what_twilio_itself_replies(tenant, alice_client):
    from django.urls import reverse

    from consent import services as consent_services
    from consent.models import KeywordKind
    from twilio_emulator.rules import DEFAULT_REPLIES

    consent_services.account_defaults_ensure(account=tenant.account)
    # Our copy of Twilio's replies is the emulator's (both follow Twilio's documentation).
    assert consent_services.carrier_reply("stop") == DEFAULT_REPLIES["opt_out"]
    assert consent_services.carrier_reply("START") == DEFAULT_REPLIES["opt_in"]
    assert consent_services.carrier_reply("INFO") == DEFAULT_REPLIES["help"]
    consent_services.keyword_rule_create(
        account=tenant.account, kind=KeywordKind.CUSTOM, word="HOURS", reply_text="Open 9-5."
    )
    page = alice_client.get(reverse("consent:keywords")).content.decode()
    stop = page.split('<tr data-word="STOP">', 1)[1].split("</tr>", 1)[0]
    assert DEFAULT_REPLIES["opt_out"] in stop and "Edit reply" not in stop
    hours = page.split('<tr data-word="HOURS">', 1)[1].split("</tr>", 1)[0]
    assert "Open 9-5." in hours and "Edit reply" in hours
