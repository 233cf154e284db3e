"""The hosted opt-in page: a form that texts "Reply YES to confirm", and a phone subscribed only
when the YES comes back through Twilio (the emulator's inbound texts), with the evidence in
the ledger. Bad input, rate limits, a STOP and framing each behave as a visitor would notice."""

from __future__ import annotations

import pytest
import requests
from django.urls import reverse

from consent import services as consent_services
from consent.models import (
    ConsentLedgerEntry,
    ConsentSource,
    ConsentState,
    ConsentStatus,
    OptInRequest,
)
from consent.services.opt_in_pages import IP_LIMIT, PHONE_LIMIT
from contacts.models import Contact
from messaging.models import OutboundMessage
from tests.conftest import client_for, emulated_texts

INBOUND_URL = "/webhooks/twilio/inbound"
PHONE = "+12125556001"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36"


@pytest.fixture
def opt_in_page(sending):
    return consent_services.opt_in_page_save(
        account=sending.account,
        subscription_type=sending.subscription_type,
        program_name="Acme Outdoor Deals",
        message_frequency="Up to 4 msgs/month",
    )


def page_url(page, embed: bool = False) -> str:
    return reverse("opt_in_page_embed" if embed else "opt_in_page", args=[page.public_id])


def handset_texts(emulator, live_server, sending, phone: str, body: str) -> dict:
    response = requests.post(
        f"{emulator.url}/_emulator/inbound",
        data={
            "From": phone,
            "To": sending.sender.e164,
            "Body": body,
            "Url": live_server.url + INBOUND_URL,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def sign_up(client, page, **fields):
    data = {"phone": PHONE, "name": "Rosa Diaz", "email": "rosa@example.com", "consent": "yes"}
    data.update(fields)
    return client.post(
        page_url(page), {k: v for k, v in data.items() if v is not None}, HTTP_USER_AGENT=CHROME
    )


def subscribed(sending, phone: str = PHONE) -> bool:
    return ConsentStatus.objects.filter(
        account=sending.account,
        phone_e164=phone,
        subscription_type=sending.subscription_type,
        status=ConsentState.SUBSCRIBED,
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_double_opt_in_through_twilio(sending, emulator, live_server, settings, opt_in_page):
    settings.PUBLIC_BASE_URL = live_server.url
    page = requests.get(live_server.url + page_url(opt_in_page), timeout=10).text
    for required in ("Acme Outdoor Deals", "Up to 4 msgs/month", "Msg & data rates may apply"):
        assert required in page.replace("&amp;", "&")
    assert "STOP to cancel" in page and "HELP" in page
    assert 'type="checkbox"' in page and "checked" not in page
    response = requests.post(
        live_server.url + page_url(opt_in_page),
        data={"phone": "(212) 555-6001", "name": "Rosa Diaz", "consent": "yes"},
        headers={"User-Agent": CHROME},
        timeout=10,
    )
    assert response.status_code == 200
    assert "Reply <strong>YES</strong>" in response.text
    [text] = [t for t in emulated_texts(emulator, PHONE) if t["direction"] != "inbound"]
    assert text["from"] == sending.sender.e164
    assert "Reply YES to confirm" in text["body"]
    assert not subscribed(sending), "the form alone subscribes nobody"

    injected = handset_texts(emulator, live_server, sending, PHONE, "Yes")
    assert injected["webhook_status"] == 200
    assert subscribed(sending)
    [entry] = ConsentLedgerEntry.objects.filter(account=sending.account, phone_e164=PHONE)
    assert entry.source == ConsentSource.FORM
    assert entry.message_sid == injected["message_sid"]
    assert entry.ip_address == "127.0.0.1"
    assert entry.data["page_url"] == live_server.url + page_url(opt_in_page)
    assert entry.data["consent_version"] == 1
    assert "Msg & data rates may apply" in entry.data["consent_text"]
    assert entry.data["user_agent"] == CHROME
    assert entry.data["confirming_message_sid"] == injected["message_sid"]
    assert entry.data["requested_at"]
    contact = entry.contact
    assert (contact.first_name, contact.last_name) == ("Rosa", "Diaz")
    # A second YES changes nothing more.
    handset_texts(emulator, live_server, sending, PHONE, "YES")
    assert ConsentLedgerEntry.objects.filter(phone_e164=PHONE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_phone_that_texted_stop_needs_its_own_yes(
    sending, emulator, live_server, settings, opt_in_page
):
    settings.PUBLIC_BASE_URL = live_server.url
    sending.contact("Sam", phone=PHONE)
    handset_texts(emulator, live_server, sending, PHONE, "STOP")
    assert not subscribed(sending)
    response = sign_up(client_for(sending.tenant.alice), opt_in_page)
    assert response.status_code == 200
    assert "opted out of our texts earlier" in response.content.decode()
    assert "text <strong>YES</strong>" in response.content.decode()
    assert not OutboundMessage.objects.filter(to_phone=PHONE, kind="reply").exists()
    assert not subscribed(sending), "the form alone doesn't undo a STOP"
    handset_texts(emulator, live_server, sending, PHONE, "YES")
    assert subscribed(sending)
    latest = ConsentLedgerEntry.objects.filter(phone_e164=PHONE).order_by("-id").first()
    assert latest.source == ConsentSource.FORM


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"consent": None}, "consent", "Tick the box to agree to receive texts."),
        ({"phone": ""}, "phone", "Enter your mobile phone number."),
        ({"phone": "not a phone"}, "phone", "Not a phone number we can read."),
        ({"phone": "+44 20 7946 0958"}, "phone", "can&#x27;t get our texts"),
        ({"email": "rosa@"}, "email", "isn&#x27;t an email address"),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    client, sending, opt_in_page, fields, field, message
):
    response = sign_up(client, opt_in_page, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["errors"]
    assert not OptInRequest.objects.exists()
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db
def test_rate_limited_per_phone_and_per_address(client, sending, opt_in_page):
    for _ in range(PHONE_LIMIT):
        assert sign_up(client, opt_in_page).status_code == 200
    response = sign_up(client, opt_in_page)
    assert response.status_code == 400
    assert "already sent this number a confirmation text" in response.content.decode()
    for i in range(IP_LIMIT - PHONE_LIMIT):
        assert sign_up(client, opt_in_page, phone=f"+1212555{7000 + i}").status_code == 200
    response = sign_up(client, opt_in_page, phone="+12125558000")
    assert response.status_code == 400
    assert "Too many sign-ups from your network" in response.content.decode()
    assert OptInRequest.objects.count() == IP_LIMIT


@pytest.mark.django_db
def test_only_the_embed_variant_may_be_framed(client, sending, opt_in_page):
    assert client.get(page_url(opt_in_page))["X-Frame-Options"] == "DENY"
    embedded = client.get(page_url(opt_in_page, embed=True))
    assert embedded.status_code == 200
    assert "X-Frame-Options" not in embedded
    # The Content-Security-Policy agrees: frame-ancestors 'none' everywhere but the embed.
    assert "frame-ancestors 'none'" in client.get(page_url(opt_in_page))["Content-Security-Policy"]
    assert "frame-ancestors *" in embedded["Content-Security-Policy"]
    assert sign_up(client, opt_in_page).status_code == 200


@pytest.mark.django_db
def test_closed_and_unknown_pages_are_not_found(client, sending, opt_in_page):
    consent_services.opt_in_page_save(
        account=sending.account,
        subscription_type=sending.subscription_type,
        program_name="Acme Outdoor Deals",
        message_frequency="Up to 4 msgs/month",
        enabled=False,
    )
    assert client.get(page_url(opt_in_page)).status_code == 404
    assert client.post(page_url(opt_in_page), {"phone": PHONE}).status_code == 404
    assert client.get("/optin/oip_nothing/").status_code == 404


@pytest.mark.django_db
def test_the_consent_language_is_versioned(sending, opt_in_page):
    same = consent_services.opt_in_page_save(
        account=sending.account,
        subscription_type=sending.subscription_type,
        program_name="Acme Outdoor Deals",
        message_frequency="Up to 4 msgs/month",
    )
    assert same.version == 1
    changed = consent_services.opt_in_page_save(
        account=sending.account,
        subscription_type=sending.subscription_type,
        program_name="Acme Outdoor Deals",
        message_frequency="Up to 8 msgs/month",
    )
    assert changed.version == 2


@pytest.mark.django_db
def test_the_settings_page_gives_the_link_and_embed_code(alice_client, charlie_client, sending):
    types_page = alice_client.get(reverse("consent:subscription_types")).content.decode()
    edit_url = reverse("consent:opt_in_page_edit", args=[sending.subscription_type.public_id])
    assert edit_url in types_page
    response = alice_client.post(
        edit_url,
        {"program_name": "A", "message_frequency": "Up to 4 msgs/month", "enabled": "on"},
    )
    assert response.status_code == 200
    assert "Give the program" in response.content.decode()
    response = alice_client.post(
        edit_url,
        {"program_name": "Acme Deals", "message_frequency": "Up to 4 msgs/month", "enabled": "on"},
        follow=True,
    )
    page = response.content.decode()
    public_id = sending.subscription_type.opt_in_page.public_id
    assert f"/optin/{public_id}/" in page
    assert f"/optin/{public_id}/embed/" in page and "&lt;iframe" in page
    assert charlie_client.get(edit_url).status_code == 404


@pytest.mark.django_db
def test_an_unconfirmed_sign_up_creates_no_contact(client, sending, opt_in_page):
    """Anyone can type anyone's number: only the YES makes the phone a contact."""
    assert sign_up(client, opt_in_page).status_code == 200
    assert not Contact.objects.filter(account=sending.account).exists()
    assert OptInRequest.objects.get().contact is None


@pytest.mark.django_db
def test_no_active_number_means_no_sign_ups(client, sending, opt_in_page):
    """Without a number to text from, the page can't ask for the YES: it says so."""
    type(sending.sender).objects.filter(pk=sending.sender.pk).update(status="released")
    response = client.get(page_url(opt_in_page))
    assert response.status_code == 503
    assert "Sign-ups by text are not open right now." in response.content.decode()
    assert sign_up(client, opt_in_page).status_code == 503
    assert not OptInRequest.objects.exists()
