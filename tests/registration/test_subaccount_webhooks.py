"""Twilio's webhooks from tenants' subaccounts: each callback is signed with the auth token of the
subaccount its AccountSid names, and a number answers only for the subaccount that owns it.

Signatures are computed as Twilio computes them (the SDK's RequestValidator) on the public URL.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from twilio.request_validator import RequestValidator

from consent import services as consent_services
from consent.models import ConsentLedgerEntry, ConsentState, ConsentStatus, SubscriptionType
from contacts import services as contact_services
from contacts.models import Contact
from messaging.models import InboundMessage, OutboundStatus, StatusCallback
from messaging.services import delivery
from registration import selectors as registration_selectors
from registration.models import PhoneNumber
from tests.factories import OutboundMessageFactory, PhoneNumberFactory, TwilioSubaccountFactory

pytestmark = pytest.mark.django_db

STATUS_URL = "/webhooks/twilio/status"
INBOUND_URL = "/webhooks/twilio/inbound"
OUR_SID, OUR_TOKEN = "AC" + "1" * 32, "our-subaccount-token-000000000001"
THEIR_SID, THEIR_TOKEN = "AC" + "2" * 32, "their-subaccount-token-0000000002"
OUR_NUMBER = "+14155550100"
PHONE = "+12125550100"
MESSAGE_SID = "SM" + "a" * 32


@pytest.fixture(autouse=True)
def fresh_token_cache(monkeypatch):
    # The webhook keeps subaccount tokens for a minute; each test has its own subaccounts.
    monkeypatch.setattr(registration_selectors, "_tokens_by_sid", {})


@pytest.fixture
def subaccounts(tenant):
    TwilioSubaccountFactory(account=tenant.account, sid=OUR_SID, auth_token=OUR_TOKEN)
    TwilioSubaccountFactory(account=tenant.other_account, sid=THEIR_SID, auth_token=THEIR_TOKEN)
    return tenant


@pytest.fixture
def number(subaccounts):
    return PhoneNumberFactory(
        account=subaccounts.account, e164=OUR_NUMBER, status=PhoneNumber.Status.ACTIVE
    )


@pytest.fixture
def sent(number):
    contact = contact_services.contact_create(account=number.account, first_name="Dot", phone=PHONE)
    return OutboundMessageFactory(
        account=number.account,
        contact=contact,
        sender=number,
        to_phone=PHONE,
        body="hello",
        status=OutboundStatus.QUEUED,
        twilio_sid=MESSAGE_SID,
    )


def signed_post(path: str, form: dict, *, token: str):
    url = settings.PUBLIC_BASE_URL.rstrip("/") + path
    signature = RequestValidator(token).compute_signature(url, form)
    return Client().post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)


def status_form(account_sid: str, status: str = "delivered") -> dict:
    return {
        "MessageSid": MESSAGE_SID,
        "SmsSid": MESSAGE_SID,
        "AccountSid": account_sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "To": PHONE,
        "From": OUR_NUMBER,
        "ApiVersion": "2010-04-01",
    }


def inbound_form(account_sid: str, body: str, message_sid: str = "SM" + "b" * 32) -> dict:
    return {
        "MessageSid": message_sid,
        "SmsSid": message_sid,
        "AccountSid": account_sid,
        "From": PHONE,
        "To": OUR_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
    }


def test_a_status_callback_signed_with_the_tenants_subaccount_token_is_accepted(sent):
    response = signed_post(STATUS_URL, status_form(OUR_SID), token=OUR_TOKEN)

    assert response.status_code == 204
    (callback,) = StatusCallback.objects.all()
    assert (callback.message_sid, callback.account_sid) == (MESSAGE_SID, OUR_SID)
    while delivery.status_callbacks_apply():
        pass
    sent.refresh_from_db()
    assert sent.status == OutboundStatus.DELIVERED


@pytest.mark.parametrize(
    ("account_sid", "token"),
    [
        (OUR_SID, THEIR_TOKEN),  # another tenant's token
        (OUR_SID, settings.TWILIO_AUTH_TOKEN),  # the platform's token for a subaccount's callback
        (THEIR_SID, OUR_TOKEN),  # our token, another subaccount named
        ("AC" + "9" * 32, OUR_TOKEN),  # a subaccount nobody has
    ],
)
def test_a_callback_signed_with_the_wrong_token_gets_403_and_writes_nothing(
    sent, account_sid, token
):
    status = signed_post(STATUS_URL, status_form(account_sid), token=token)
    inbound = signed_post(INBOUND_URL, inbound_form(account_sid, "STOP"), token=token)

    assert (status.status_code, inbound.status_code) == (403, 403)
    assert StatusCallback.objects.count() == 0
    assert InboundMessage.objects.count() == 0
    assert ConsentLedgerEntry.objects.count() == 0
    sent.refresh_from_db()
    assert sent.status == OutboundStatus.QUEUED


def consent_of(account) -> set[str]:
    subscription_type = SubscriptionType.objects.get(account=account, is_default=True)
    return set(
        ConsentStatus.objects.filter(account=account, subscription_type=subscription_type)
        .values_list("status", flat=True)
        .distinct()
    )


@pytest.fixture
def opted_out(number, subaccounts):
    """Our contact and a contact of the other tenant with the same phone, both opted out."""
    for account in (subaccounts.account, subaccounts.other_account):
        consent_services.account_defaults_ensure(account=account)
        contact_services.contact_create(account=account, first_name="Sam", phone=PHONE)
        consent_services.phone_consent_set(
            account=account,
            phone_e164=PHONE,
            subscription_types=[SubscriptionType.objects.get(account=account, is_default=True)],
            status=ConsentState.UNSUBSCRIBED,
            source="import",
            evidence="test fixture",
        )
    return subaccounts


def test_an_inbound_start_from_another_tenants_subaccount_for_our_number_is_ignored(opted_out):
    ledger_before = ConsentLedgerEntry.objects.count()

    response = signed_post(INBOUND_URL, inbound_form(THEIR_SID, "START"), token=THEIR_TOKEN)

    # Correctly signed, so answered (Twilio stops retrying), but our number isn't theirs.
    assert response.status_code == 200
    assert InboundMessage.objects.count() == 0
    assert ConsentLedgerEntry.objects.count() == ledger_before
    assert consent_of(opted_out.account) == {ConsentState.UNSUBSCRIBED}
    assert consent_of(opted_out.other_account) == {ConsentState.UNSUBSCRIBED}


def test_the_same_start_from_our_own_subaccount_opts_the_phone_back_in(opted_out):
    response = signed_post(INBOUND_URL, inbound_form(OUR_SID, "START"), token=OUR_TOKEN)

    assert response.status_code == 200
    (inbound,) = InboundMessage.objects.all()
    assert (inbound.account, inbound.keyword_kind) == (opted_out.account, "opt_in")
    assert consent_of(opted_out.account) == {ConsentState.SUBSCRIBED}
    # Consent is per account: the other tenant's contact with the same phone is untouched.
    assert consent_of(opted_out.other_account) == {ConsentState.UNSUBSCRIBED}


# Cross-account callbacks: correctly signed, so answered as Twilio expects (204 / empty TwiML),
# but only the account a text or number lives in may change it.

PLATFORM_SID, PLATFORM_TOKEN = settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN


def unreachable_phones(account) -> list[str]:
    return list(
        Contact.objects.filter(account=account, phone_unreachable=True).values_list(
            "phone_e164", flat=True
        )
    )


def undelivered_form(account_sid: str) -> dict:
    return status_form(account_sid, "undelivered") | {"ErrorCode": "30005"}


def apply_all() -> None:
    while delivery.status_callbacks_apply():
        pass


@pytest.mark.parametrize(
    ("account_sid", "token"),
    [
        (THEIR_SID, THEIR_TOKEN),  # another tenant's subaccount (the probe's request)
        (PLATFORM_SID, PLATFORM_TOKEN),  # the platform's account: our text went through ours
    ],
)
def test_a_status_callback_from_another_account_changes_nothing(sent, account_sid, token):
    reasons_before = unreachable_phones(sent.account)

    response = signed_post(STATUS_URL, undelivered_form(account_sid), token=token)
    apply_all()

    assert response.status_code == 204
    assert StatusCallback.objects.count() == 0
    sent.refresh_from_db()
    assert (sent.status, sent.error_code) == (OutboundStatus.QUEUED, None)
    assert unreachable_phones(sent.account) == reasons_before
    # The genuine callback still finds its (sid, status) slot free and applies.
    assert signed_post(STATUS_URL, undelivered_form(OUR_SID), token=OUR_TOKEN).status_code == 204
    apply_all()
    sent.refresh_from_db()
    assert (sent.status, sent.error_code) == (OutboundStatus.UNDELIVERED, 30005)


def test_a_status_callback_from_a_subaccount_for_a_platform_text_changes_nothing(tenant):
    # The demo's texts go through the platform's account (their account has no subaccount).
    TwilioSubaccountFactory(account=tenant.other_account, sid=THEIR_SID, auth_token=THEIR_TOKEN)
    number = PhoneNumberFactory(account=tenant.account, e164=OUR_NUMBER)
    contact = contact_services.contact_create(account=tenant.account, first_name="Dot", phone=PHONE)
    row = OutboundMessageFactory(
        account=tenant.account,
        contact=contact,
        sender=number,
        to_phone=PHONE,
        body="hello",
        status=OutboundStatus.QUEUED,
        twilio_sid=MESSAGE_SID,
    )

    forged = signed_post(STATUS_URL, undelivered_form(THEIR_SID), token=THEIR_TOKEN)
    apply_all()

    assert forged.status_code == 204
    row.refresh_from_db()
    assert row.status == OutboundStatus.QUEUED
    assert (
        signed_post(STATUS_URL, status_form(PLATFORM_SID), token=PLATFORM_TOKEN).status_code == 204
    )
    apply_all()
    row.refresh_from_db()
    assert row.status == OutboundStatus.DELIVERED


def test_a_foreign_callback_stored_before_the_text_was_known_is_not_applied_to_it(number):
    # The callback arrives before the dispatcher wrote the SID (so it can't be refused yet);
    # the worker checks again once the text is known.
    assert (
        signed_post(STATUS_URL, undelivered_form(THEIR_SID), token=THEIR_TOKEN).status_code == 204
    )
    contact = contact_services.contact_create(account=number.account, first_name="Dot", phone=PHONE)
    row = OutboundMessageFactory(
        account=number.account,
        contact=contact,
        sender=number,
        to_phone=PHONE,
        body="hello",
        status=OutboundStatus.QUEUED,
        twilio_sid=MESSAGE_SID,
    )

    apply_all()

    row.refresh_from_db()
    assert (row.status, row.error_code) == (OutboundStatus.QUEUED, None)
    assert StatusCallback.objects.filter(applied=False).count() == 0
    assert unreachable_phones(number.account) == []


@pytest.mark.parametrize(
    ("account_sid", "token"),
    [
        (THEIR_SID, THEIR_TOKEN),  # another tenant's subaccount
        (PLATFORM_SID, PLATFORM_TOKEN),  # the platform's account: our number lives in ours
    ],
)
def test_an_inbound_stop_from_another_account_to_our_number_writes_nothing(
    number, account_sid, token
):
    consent_services.account_defaults_ensure(account=number.account)
    contact_services.contact_create(account=number.account, first_name="Sam", phone=PHONE)
    ledger_before = ConsentLedgerEntry.objects.count()

    response = signed_post(INBOUND_URL, inbound_form(account_sid, "STOP"), token=token)

    assert response.status_code == 200
    assert response.content.startswith(b"<?xml")
    assert InboundMessage.objects.count() == 0
    assert ConsentLedgerEntry.objects.count() == ledger_before


def test_an_inbound_text_from_a_subaccount_to_a_platform_number_writes_nothing(tenant):
    TwilioSubaccountFactory(account=tenant.other_account, sid=THEIR_SID, auth_token=THEIR_TOKEN)
    PhoneNumberFactory(account=tenant.account, e164=OUR_NUMBER, status=PhoneNumber.Status.ACTIVE)

    forged = signed_post(INBOUND_URL, inbound_form(THEIR_SID, "hello"), token=THEIR_TOKEN)

    assert forged.status_code == 200
    assert InboundMessage.objects.count() == 0
    genuine = signed_post(INBOUND_URL, inbound_form(PLATFORM_SID, "hello"), token=PLATFORM_TOKEN)
    assert genuine.status_code == 200
    assert InboundMessage.objects.get().account == tenant.account
