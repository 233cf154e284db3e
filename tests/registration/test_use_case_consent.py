"""The SMS use case declares what the account really does with consent: its keywords and the
replies it sends (Settings > Keywords), the opt-in keywords and message when people opt in by
keyword or on the hosted opt-in page, and that page's address as evidence. Through the
emulator, which refuses a keyword opt-in campaign without OptInKeywords and OptInMessage."""

from __future__ import annotations

import pytest

from consent import selectors as consent_selectors
from consent import services as consent_services
from consent.models import KeywordRule
from registration import services
from tests.registration.conftest import USE_CASE

pytestmark = pytest.mark.django_db

KEYWORD_FLOW = {
    "consent_methods": ["keyword"],
    "consent_description": (
        "Customers text the keyword JOIN or START to our number from signs in our stores; we "
        "answer with the program name, frequency, and how to get help or opt out."
    ),
    "opt_in_url": "",
}


def campaign(emulator) -> dict:
    (found,) = emulator.state.registry["campaigns"].values()
    return found


def test_a_keyword_opt_in_declares_the_accounts_keywords_and_replies(setup_flow, emulator):
    account = setup_flow.account
    consent_services.account_defaults_ensure(account=account)
    consent_services.keyword_rule_create(account=account, kind="opt_in", word="JOIN")
    stop = KeywordRule.objects.get(account=account, word="STOP")
    consent_services.keyword_rule_update(
        account=account,
        rule=stop,
        reply_text="Acme Outdoor: you're out. No more texts. Reply START to come back.",
    )
    setup_flow.use_case_in_review(**KEYWORD_FLOW)
    sent = campaign(emulator)
    declared = consent_selectors.keyword_declaration(account=account)
    assert sent["opt_in_keywords"][0] == "START"
    assert set(sent["opt_in_keywords"]) == {"START", "JOIN", "SUBSCRIBE", "UNSTOP", "YES"}
    assert sent["opt_in_message"] == declared.opt_in_message
    assert "subscribed" in sent["opt_in_message"]
    assert sent["opt_out_message"] == (
        "Acme Outdoor: you're out. No more texts. Reply START to come back."
    )
    assert sent["help_message"] == declared.help_message
    assert "STOP" in sent["opt_out_keywords"] and "INFO" in sent["help_keywords"]


def test_a_website_opt_in_declares_no_opt_in_keywords(setup_flow, emulator):
    setup_flow.use_case_in_review()
    sent = campaign(emulator)
    assert sent["opt_in_keywords"] is None
    # The opt-out reply is still the account's own.
    stop = KeywordRule.objects.get(account=setup_flow.account, word="STOP")
    assert sent["opt_out_message"] == stop.reply_text


def test_the_hosted_opt_in_page_is_declared_as_evidence(setup_flow, emulator, settings):
    account = setup_flow.account
    consent_services.account_defaults_ensure(account=account)
    setup_flow.brand_approved()
    services.use_case_draft_save(
        account=account,
        user=setup_flow.tenant.alice,
        data={
            **USE_CASE,
            "consent_methods": ["opt_in_page"],
            "opt_in_url": "",
        },
    )
    with pytest.raises(services.RegistrationInvalid) as refused:
        services.use_case_submit(account=account, user=setup_flow.tenant.alice)
    assert "open it first under Settings > Subscription types > Opt-in page" in str(
        refused.value.errors
    )
    page = consent_services.opt_in_page_save(
        account=account,
        subscription_type=consent_selectors.subscription_type_default(account=account),
        program_name="Acme Outdoor Deals",
        message_frequency="Up to 4 msgs/month",
    )
    use_case, submitted = services.use_case_submit(account=account, user=setup_flow.tenant.alice)
    assert submitted and use_case.status == "in_review"
    sent = campaign(emulator)
    url = f"{settings.PUBLIC_BASE_URL}/optin/{page.public_id}/"
    assert f"Opt-in page: {url}" in sent["message_flow"]
    assert "YES" in sent["opt_in_keywords"]
    assert use_case.submitted_data["opt_in_page_url"] == url


def test_a_reply_twilio_would_refuse_is_caught_before_submitting(setup_flow, emulator):
    account = setup_flow.account
    consent_services.account_defaults_ensure(account=account)
    KeywordRule.objects.filter(account=account, word="HELP").update(reply_text="Help: call us")
    setup_flow.brand_approved()
    services.use_case_draft_save(
        account=account,
        user=setup_flow.tenant.alice,
        data={
            **USE_CASE,
            **KEYWORD_FLOW,
        },
    )
    with pytest.raises(services.RegistrationInvalid) as refused:
        services.use_case_submit(account=account, user=setup_flow.tenant.alice)
    assert "Your help reply (to HELP, under Settings > Keywords) has 13 characters" in str(
        refused.value.errors
    )
    assert emulator.state.registry["campaigns"] == {}
