"""Fixtures for sending: an in-process Twilio emulator, a sender and consenting contacts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from consent import services as consent_services
from consent.models import ConsentState, SubscriptionType
from contacts import services as contact_services
from contacts.models import Contact, ContactList
from messaging.models import SmsMessage
from registration.models import PhoneNumber
from tests.conftest import Tenant
from twilio_emulator.server import start_in_thread

SENDER_NUMBER = "+14155550100"


@pytest.fixture
def emulator(settings):
    handle = start_in_thread(
        callback_delay=0,
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN,
    )
    settings.TWILIO_API_BASE_URL = handle.url
    # Status callbacks go to a closed port unless a test serves them (live_server).
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:9"
    yield handle
    handle.stop()


@dataclass
class Sending:
    tenant: Tenant
    sender: PhoneNumber
    subscription_type: SubscriptionType
    audience: ContactList

    @property
    def account(self):
        return self.tenant.account

    def contact(
        self,
        first_name: str,
        *,
        phone: str = "",
        mobile_phone: str = "",
        subscribed: bool = True,
        in_list: bool = True,
        **fields,
    ) -> Contact:
        contact = contact_services.contact_create(
            account=self.account,
            first_name=first_name,
            phone=phone,
            mobile_phone=mobile_phone,
            **fields,
        )
        if subscribed is not None and (contact.phone_e164 or contact.mobile_phone_e164):
            for e164, reason in (
                (contact.mobile_phone_e164, contact.mobile_phone_sms_invalid_reason),
                (contact.phone_e164, contact.phone_sms_invalid_reason),
            ):
                if e164 and not reason:
                    self.subscribe(e164, subscribed=subscribed)
        if in_list:
            self.audience_add(contact)
        return contact

    def subscribe(self, e164: str, *, subscribed: bool = True) -> None:
        """Set consent for the phone on every contact that has it (as a keyword would)."""
        consent_services.phone_consent_set(
            account=self.account,
            phone_e164=e164,
            subscription_types=[self.subscription_type],
            status=ConsentState.SUBSCRIBED if subscribed else ConsentState.UNSUBSCRIBED,
            source="import",
            evidence="test fixture",
        )

    def audience_add(self, contact: Contact) -> None:
        contact_services.contact_list_add(
            account=self.account, contact_list=self.audience, contact_ids=[contact.pk]
        )

    def message(
        self, body: str = 'Hi {{ contact.first_name | default: "there" }}!', **fields
    ) -> SmsMessage:
        fields.setdefault("sender", self.sender)
        message = SmsMessage.objects.create(
            account=self.account,
            name=fields.pop("name", "Spring sale"),
            body=body,
            subscription_type=self.subscription_type,
            owner=self.tenant.alice,
            **fields,
        )
        message.include_lists.add(self.audience)
        return message


@pytest.fixture
def sending(tenant) -> Sending:
    consent_services.account_defaults_ensure(account=tenant.account)
    subscription_type = SubscriptionType.objects.get(account=tenant.account, is_default=True)
    sender = PhoneNumber.objects.create(
        account=tenant.account,
        e164=SENDER_NUMBER,
        status=PhoneNumber.Status.ACTIVE,
        messages_per_second=500,
        tmobile_daily_cap=100_000,
    )
    audience = contact_services.contact_list_create(
        account=tenant.account, name="Customers", kind="static", created_by=tenant.alice
    )
    return Sending(tenant, sender, subscription_type, audience)
