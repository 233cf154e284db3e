"""A STOP is the person's own: a marketer can't opt the phone back in, on the page or by API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.services import api_token_create
from consent import selectors, services
from consent.models import ConsentLedgerEntry, ConsentState
from contacts import services as contact_services

PHONE = "+12125550123"
MOBILE = "+16465550199"


@pytest.fixture
def marketing(tenant):
    return selectors.subscription_type_default(account=tenant.account)


@pytest.fixture
def ada(tenant, marketing):
    contact = contact_services.contact_create(
        account=tenant.account, first_name="Ada", phone=PHONE, mobile_phone=MOBILE
    )
    services.contact_opt_in(
        account=tenant.account,
        contact=contact,
        subscription_type=marketing,
        actor=tenant.bob,
        consent_confirmed=True,
        evidence="Signed up at the till",
    )
    return contact


def texts(tenant, body, sid, phone=PHONE):
    return services.inbound_keyword_apply(
        account=tenant.account,
        phone_e164=phone,
        body=body,
        received_by_number="+13125550000",
        message_sid=sid,
    )


def opt_in(tenant, contact, marketing, **kwargs):
    return services.contact_opt_in(
        account=tenant.account,
        contact=contact,
        subscription_type=marketing,
        actor=tenant.bob,
        consent_confirmed=True,
        evidence="They said yes on the phone",
        **kwargs,
    )


def status_of(tenant, contact, phone):
    rows = selectors.contact_consent(account=tenant.account, contact=contact)
    return next(r.status for r in rows if r.phone_e164 == phone)


def test_a_manual_opt_in_cant_override_a_stop_and_says_the_person_must_text_start(
    tenant, ada, marketing
):
    texts(tenant, "Stop", "SM" + "1" * 32)
    entries = ConsentLedgerEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        opt_in(tenant, ada, marketing)
    [reason] = exc.value.message_dict["phone"]
    assert reason.startswith(f"{PHONE} texted STOP on ")
    assert "texting START (or SUBSCRIBE, UNSTOP, YES)" in reason
    # Nothing changed, on either phone: the request is refused as a whole.
    assert status_of(tenant, ada, PHONE) == ConsentState.UNSUBSCRIBED
    assert ConsentLedgerEntry.objects.count() == entries


def test_a_carrier_opt_out_is_the_persons_too(tenant, ada, marketing):
    services.consent_carrier_opt_out(
        account=tenant.account, phone_e164=MOBILE, error_code=21610, message_sid="SM" + "2" * 32
    )
    with pytest.raises(ValidationError, match="carrier error 21610") as exc:
        opt_in(tenant, ada, marketing, phone_e164=MOBILE)
    assert "texting START" in exc.value.message_dict["phone"][0]
    assert status_of(tenant, ada, MOBILE) == ConsentState.UNSUBSCRIBED
    # The other phone, which never opted out, can still be chosen on its own.
    services.contact_opt_out(
        account=tenant.account, contact=ada, subscription_type=marketing, actor=tenant.bob
    )
    opt_in(tenant, ada, marketing, phone_e164=PHONE)
    assert status_of(tenant, ada, PHONE) == ConsentState.SUBSCRIBED


def test_once_the_person_texts_start_our_own_later_changes_are_ours_to_undo(tenant, ada, marketing):
    texts(tenant, "STOP", "SM" + "3" * 32)
    texts(tenant, "start", "SM" + "4" * 32)
    assert status_of(tenant, ada, PHONE) == ConsentState.SUBSCRIBED
    # A marketer's opt-out is not the person's: a marketer may reverse it.
    services.contact_opt_out(
        account=tenant.account, contact=ada, subscription_type=marketing, actor=tenant.bob
    )
    assert opt_in(tenant, ada, marketing).changed == 2


def test_the_contact_page_shows_why_the_opt_in_was_refused(tenant, bob_client, ada, marketing):
    texts(tenant, "STOP", "SM" + "5" * 32)
    response = bob_client.post(
        reverse("consent:contact_change", args=[ada.public_id]),
        {
            "subscription_type": marketing.public_id,
            "status": "subscribed",
            "phone": PHONE,
            "consent_confirmed": "on",
            "evidence": "They called us",
        },
    )
    page = bob_client.get(response.url).content.decode()
    assert f"{PHONE} texted STOP on" in page
    assert "Only the person can opt back in, by texting START" in page
    assert status_of(tenant, ada, PHONE) == ConsentState.UNSUBSCRIBED


def test_the_api_refuses_with_the_reason_in_the_phone_field(tenant, ada, marketing):
    """The person's own STOP is the state of things: a 409, the reason on the phone."""
    texts(tenant, "STOP", "SM" + "6" * 32)
    _, raw = api_token_create(account=tenant.account, user=tenant.bob, name="t")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        f"/api/v1/contacts/{ada.public_id}/subscriptions/update",
        {
            "subscription_type": marketing.public_id,
            "status": "subscribed",
            "consent_confirmed": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "personal_opt_out"
    [reason] = response.json()["error"]["fields"]["phone"]
    assert f"{PHONE} texted STOP" in reason and "texting START" in reason
    assert status_of(tenant, ada, PHONE) == ConsentState.UNSUBSCRIBED
