"""The composer's pages: list, create, edit with autosave, preview, test send, archive, test
phones and the SMS settings pages, with their role and tenant limits."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from messaging.models import MessageProperty, OutboundMessage, SmsMessage, TestPhone
from messaging.services import compose, lifecycle
from messaging.services.settings import sending_settings
from registration.models import PhoneNumber
from tests.conftest import emulated_texts
from tests.factories import ContactFactory, PhoneNumberFactory, TestPhoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(tenant) -> SmsMessage:
    return compose.message_create(
        account=tenant.account,
        owner=tenant.bob,
        name="Spring sale",
        body='Hi {{ contact.first_name | default: "there" }}! Tents 20% off.',
    )


@pytest.fixture
def sender(tenant) -> PhoneNumber:
    return PhoneNumberFactory(account=tenant.account, e164="+14155550100", status="active")


def form_data(message: SmsMessage, **overrides) -> dict:
    data = {
        "name": message.name,
        "body": message.body,
        "append_opt_out": "on",
        "subscription_type": message.subscription_type.public_id,
        "campaign_name": "",
        "sender": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# The list -------------------------------------------------------------------------------------


def test_the_list_shows_tabs_search_and_the_create_button_to_editors(
    tenant, bob_client, vera_client, message
):
    other = compose.message_create(account=tenant.account, owner=tenant.bob, name="Winter boots")
    lifecycle.message_archive(account=tenant.account, message=other, user=None)
    page = bob_client.get(reverse("messaging:index")).content.decode()
    assert "Spring sale" in page and "Winter boots" not in page
    assert 'id="create-message"' in page
    archived = bob_client.get(reverse("messaging:index"), {"tab": "archived"}).content.decode()
    assert "Winter boots" in archived and "Spring sale" not in archived
    searched = bob_client.get(reverse("messaging:index"), {"q": "nothing"}).content.decode()
    assert "No message named like" in searched
    assert 'id="create-message"' not in vera_client.get(reverse("messaging:index")).content.decode()


def test_the_list_shows_scheduled_and_sent_times_in_the_accounts_zone_and_sorts_by_them(
    tenant, bob_client
):
    import datetime as dt

    account = tenant.account  # America/New_York
    scheduled = compose.message_create(account=account, owner=tenant.bob, name="Boots week")
    went_out = compose.message_create(account=account, owner=tenant.bob, name="Tents week")
    called_off = compose.message_create(account=account, owner=tenant.bob, name="Called off")
    SmsMessage.objects.filter(pk=scheduled.pk).update(
        status="scheduled",
        schedule_kind="at",
        scheduled_at=dt.datetime(2026, 6, 5, 13, 0, tzinfo=dt.UTC),
    )
    SmsMessage.objects.filter(pk=went_out.pk).update(
        status="sent", started_at=dt.datetime(2026, 5, 20, 22, 30, tzinfo=dt.UTC)
    )
    SmsMessage.objects.filter(pk=called_off.pk).update(status="cancelled")

    page = bob_client.get(reverse("messaging:index"), {"sort": "-sent"}).content.decode()
    assert 'id="sort-scheduled"' in page and 'id="sort-sent"' in page
    assert "Jun 5, 2026 09:00" in page  # 13:00 UTC in New York
    assert "May 20, 2026 18:30" in page
    assert page.index("Tents week") < page.index("Boots week")
    sent_tab = bob_client.get(reverse("messaging:index"), {"tab": "sent"}).content.decode()
    assert "Tents week" in sent_tab and "Called off" not in sent_tab
    cancelled = bob_client.get(reverse("messaging:index"), {"tab": "cancelled"}).content.decode()
    assert "Called off" in cancelled and "Tents week" not in cancelled


def test_create_a_message_with_its_required_properties(tenant, bob_client):
    compose.message_property_create(account=tenant.account, label="Cost center", required=True)
    url = reverse("messaging:new")
    response = bob_client.post(url, {"name": "Launch", "campaign_name": "Q2"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not SmsMessage.objects.exists()

    response = bob_client.post(
        url, {"name": "Launch", "campaign_name": "Q2", "prop_cost_center": "MKT"}
    )
    message = SmsMessage.objects.get()
    assert response.url == reverse("messaging:compose", args=[message.public_id])
    assert (message.owner, message.campaign.name) == (tenant.bob, "Q2")
    assert message.properties == {"cost_center": "MKT"}


def test_viewers_cant_create_messages(vera_client):
    assert vera_client.get(reverse("messaging:new")).status_code == 403


# The composer ---------------------------------------------------------------------------------


def test_the_composer_has_the_editor_toolbar_preview_and_test_send(bob_client, message, settings):
    settings.PUBLIC_LINK_DOMAIN = "sms.example"
    page = bob_client.get(reverse("messaging:compose", args=[message.public_id])).content.decode()
    for marker in (
        'id="message-body"',
        'id="link-insert"',
        'id="insert-emoji-menu"',
        'id="insert-special-menu"',
        'id="token-insert"',
        'id="preview-font-size"',
        'id="preview-dark"',
        'id="segment-counter"',
        'id="test-send-form"',
        "build/segments-calculator.js",
        "js/composer.js",
        '"shortLinkPlaceholder": "https://sms.example/xxxxxxxxxx"',
    ):
        assert marker in page, marker
    assert 'hx-post="/sms/' in page


def test_a_viewer_reads_the_composer_without_editing(vera_client, message):
    page = vera_client.get(reverse("messaging:compose", args=[message.public_id])).content.decode()
    assert "Read only." in page
    assert re.search(r"<textarea[^>]*disabled", page)
    assert 'id="test-send-form"' not in page
    assert "hx-post" not in page.split('id="message-form"')[1].split(">")[0]


def test_autosave_saves_a_valid_draft(bob_client, message):
    url = reverse("messaging:save", args=[message.public_id])
    response = bob_client.post(url, form_data(message, body="Boots 30% off €5", name="Boots"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saved" in html
    # The server's exact count, for the composer to show beside its own.
    assert 'data-encoding="GSM-7"' in html and 'data-segments="1"' in html
    message.refresh_from_db()
    assert (message.name, message.body) == ("Boots", "Boots 30% off €5")


def test_autosave_keeps_what_was_typed_and_says_what_blocks_sending(bob_client, message):
    url = reverse("messaging:save", args=[message.public_id])
    response = bob_client.post(url, form_data(message, body="Tents on sale", append_opt_out=None))
    html = response.content.decode()
    assert "Saved" in html and "Not saved" not in html
    assert "before it can be sent" in html and "opt-out line can be switched off only" in html
    message.refresh_from_db()
    assert (message.body, message.append_opt_out) == ("Tents on sale", False)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("Hi {{ contact.first_na", "This token can&#x27;t be read"),
        ("x" * 1700, "limited to 1,600 characters; this one has 1,722"),
    ],
)
def test_a_half_typed_token_or_a_long_body_doesnt_drop_a_name_edit(
    bob_client, message, body, problem
):
    url = reverse("messaging:save", args=[message.public_id])
    html = bob_client.post(url, form_data(message, name="Boots week", body=body)).content.decode()
    assert "Saved" in html and problem in html
    message.refresh_from_db()
    assert (message.name, message.body) == ("Boots week", body)
    assert 'id="message-title" hx-swap-oob="true">Boots week<' in html


def test_an_emptied_name_or_a_bad_property_value_keeps_the_rest_of_the_edit(
    tenant, bob_client, message
):
    compose.message_property_create(account=tenant.account, label="Budget", type="number")
    url = reverse("messaging:save", args=[message.public_id])
    data = form_data(message, name="  ", body="New body", prop_budget="lots")
    html = bob_client.post(url, data).content.decode()
    assert "Give the message a name." in html and "Budget: Enter a number." in html
    # Not "Saved": those two values were not kept (the rest was, and says so).
    assert "Not saved:" in html and 'class="saved"' not in html
    assert "The rest was saved at" in html
    message.refresh_from_db()
    assert (message.name, message.body) == ("Spring sale", "New body")
    assert message.properties == {}


def test_autosave_of_a_body_with_a_nul_says_not_saved_and_keeps_the_old_body(bob_client, message):
    url = reverse("messaging:save", args=[message.public_id])
    response = bob_client.post(url, form_data(message, body="Boots\x00 on sale"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Not saved: The field “body” contains a NUL character" in html
    assert "Saved" not in html
    body = message.body
    message.refresh_from_db()
    assert message.body == body


def test_a_name_too_long_to_keep_is_reported_not_saved(bob_client, message):
    url = reverse("messaging:save", args=[message.public_id])
    html = bob_client.post(url, form_data(message, name="N" * 201, body="New")).content.decode()

    assert "Not saved: Name: Ensure this value has at most 200 characters" in html
    assert 'class="saved"' not in html
    message.refresh_from_db()
    assert (message.name, message.body) == ("Spring sale", "New")


def test_autosave_turns_windows_line_breaks_into_newlines(bob_client, message):
    url = reverse("messaging:save", args=[message.public_id])
    bob_client.post(url, form_data(message, body="Line one\r\nLine two"))
    message.refresh_from_db()
    assert message.body == "Line one\nLine two"


def test_autosave_refuses_a_message_that_is_not_a_draft(bob_client, message):
    SmsMessage.objects.filter(pk=message.pk).update(status=SmsMessage.Status.SENT)
    url = reverse("messaging:save", args=[message.public_id])
    html = bob_client.post(url, form_data(message, body="Changed")).content.decode()
    assert "Only drafts can be changed." in html
    message.refresh_from_db()
    assert message.body != "Changed"


def test_the_preview_renders_the_typed_body_for_a_contact(tenant, bob_client, message):
    contact = ContactFactory(account=tenant.account, first_name="Zoë")
    url = reverse("messaging:preview", args=[message.public_id])
    response = bob_client.post(
        url,
        {"contact": contact.public_id, "body": 'Hi {{ contact.first_name | default: "x" }}'},
    )
    data = response.json()
    assert data["text"] == "Hi Zoë"
    assert (data["encoding"], data["segments"], data["characters"]) == ("UCS-2", 1, 6)
    assert data["values"]["first_name"] == "Zoë"
    assert data["contact"] == {"id": contact.public_id, "name": "Zoë"}


def test_the_preview_wont_render_another_accounts_contact(tenant, bob_client, message):
    foreign = ContactFactory(account=tenant.other_account, first_name="Secret")
    url = reverse("messaging:preview", args=[message.public_id])
    response = bob_client.post(url, {"contact": foreign.public_id})
    assert response.status_code == 404
    assert "Secret" not in response.content.decode()


def test_contact_options_search_the_account_only(tenant, bob_client):
    ContactFactory(account=tenant.account, first_name="Maya", last_name="Lin")
    ContactFactory(account=tenant.other_account, first_name="Mallory")
    html = bob_client.get(reverse("messaging:contact_options"), {"q": "Ma"}).content.decode()
    assert "Maya Lin" in html and "Mallory" not in html


def test_a_test_send_saves_the_composer_then_texts_it(
    tenant,
    bob_client,
    message,
    sender,
    emulator,  # noqa: F811 - fixture
):
    url = reverse("messaging:test_send", args=[message.public_id])
    data = form_data(message, body="Fresh text, unsaved until now")
    data["phone_numbers"] = "+1 206 555 0177"
    html = bob_client.post(url, data).content.decode()
    assert "Test sent to +12065550177" in html
    message.refresh_from_db()
    assert message.body == "Fresh text, unsaved until now"
    [text] = emulated_texts(emulator, "+12065550177")
    assert text["body"] == "Fresh text, unsaved until now\nReply STOP to opt out"


def test_a_test_send_over_the_allotment_shows_the_numbers(
    tenant,
    bob_client,
    message,
    sender,
    emulator,  # noqa: F811 - fixture
):
    rules = sending_settings(tenant.account)
    rules.monthly_segment_allotment = 1
    rules.save()
    url = reverse("messaging:test_send", args=[message.public_id])
    html = bob_client.post(url, {"phone_numbers": "+12065550171, +12065550172"}).content.decode()
    assert "This test needs 2 segments but only 1 are left this period." in html
    assert not OutboundMessage.objects.exists()


def test_archive_and_restore(bob_client, message):
    response = bob_client.post(reverse("messaging:archive", args=[message.public_id]))
    assert response.url == reverse("messaging:index")
    message.refresh_from_db()
    assert message.archived_at is not None
    bob_client.post(reverse("messaging:unarchive", args=[message.public_id]))
    message.refresh_from_db()
    assert message.archived_at is None


# Test phones ----------------------------------------------------------------------------------


def test_add_and_verify_a_test_phone_through_the_pages(
    tenant,
    bob_client,
    sender,
    emulator,  # noqa: F811 - fixture
):
    url = reverse("messaging:test_phones")
    response = bob_client.post(url, {"phone": "+1 206 555 0145"})
    assert response.status_code == 302
    phone = TestPhone.objects.get(user=tenant.bob)
    code = re.search(r"\d{6}", emulated_texts(emulator, "+12065550145")[0]["body"]).group()
    verify = reverse("messaging:test_phone_verify", args=[phone.public_id])
    bob_client.post(verify, {"code": "000000" if code != "000000" else "111111"})
    phone.refresh_from_db()
    assert phone.verified_at is None and phone.attempts == 1
    bob_client.post(verify, {"code": code})
    phone.refresh_from_db()
    assert phone.is_verified
    assert "+12065550145" in bob_client.get(url).content.decode()


def test_a_typed_number_needs_its_country_code(tenant, bob_client, sender):
    response = bob_client.post(reverse("messaging:test_phones"), {"phone": "206 555 0145"})
    assert "with its country code" in response.content.decode()
    assert not TestPhone.objects.exists()


def test_a_teammates_test_phone_cant_be_verified_or_removed_by_someone_else(
    tenant, bob_client, alice_client
):
    phone = TestPhoneFactory(account=tenant.account, user=tenant.bob, phone_e164="+12065550145")
    for name in ("messaging:test_phone_verify", "messaging:test_phone_delete"):
        response = alice_client.post(reverse(name, args=[phone.public_id]), {"code": "123456"})
        assert response.status_code == 404
    assert TestPhone.objects.filter(pk=phone.pk).exists()


# Settings pages -------------------------------------------------------------------------------


def test_sms_usage_is_read_only_for_super_admins(tenant, alice_client, bob_client):
    url = reverse("messaging:usage_settings")
    assert bob_client.get(url).status_code == 403
    page = alice_client.get(url).content.decode()
    assert "segments used this period" in page
    assert 'id="monthly-allotment">10000<' in page
    assert "<form" not in page.split('id="allotment"')[1]
    # The tenant can't raise its own allotment or buy itself segments.
    response = alice_client.post(
        url,
        {
            "monthly_segment_allotment": "20000",
            "allotment_renewal_day": "12",
            "purchased_segments": "500",
        },
    )
    assert response.status_code == 405
    rules = sending_settings(tenant.account)
    assert (rules.monthly_segment_allotment, rules.allotment_renewal_day) == (10_000, 1)


def test_account_admins_set_quiet_hours_and_the_cap_inside_the_legal_window(
    tenant, alice_client, bob_client
):
    import datetime as dt

    from accounts.models import Membership

    url = reverse("messaging:sending_rules")
    assert bob_client.get(url).status_code == 403
    page = alice_client.get(url).content.decode()
    assert 'value="08:00"' in page and 'value="20:00"' in page and 'value="3"' in page
    assert 'href="/sms/settings/sending/"' in page  # in the settings menu

    refused = alice_client.post(
        url, {"quiet_hours_start": "07:00", "quiet_hours_end": "22:00", "frequency_cap": "3"}
    )
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "from 08:00 at the earliest" in html and "must stop by 21:00" in html
    assert sending_settings(tenant.account).quiet_hours_start == dt.time(8, 0)

    # A marketer with the SMS setup permission is an account admin too.
    Membership.objects.filter(account=tenant.account, user=tenant.bob).update(can_setup_sms=True)
    saved = bob_client.post(
        url, {"quiet_hours_start": "09:30", "quiet_hours_end": "21:00", "frequency_cap": "2"}
    )
    assert saved.status_code == 302
    rules = sending_settings(tenant.account)
    assert (rules.quiet_hours_start, rules.quiet_hours_end, rules.frequency_cap) == (
        dt.time(9, 30),
        dt.time(21, 0),
        2,
    )


def test_message_properties_are_defined_by_super_admins(tenant, alice_client, bob_client):
    url = reverse("messaging:properties")
    assert bob_client.post(url, {"label": "Region", "type": "text"}).status_code == 403
    alice_client.post(
        url, {"label": "Region", "type": "choice", "choices": "East\nWest\n", "required": "on"}
    )
    prop = MessageProperty.objects.get(account=tenant.account)
    assert (prop.key, prop.choices, prop.required) == ("region", ["East", "West"], True)
    alice_client.post(reverse("messaging:property_delete", args=[prop.public_id]))
    assert not MessageProperty.objects.exists()


# Tenancy ---------------------------------------------------------------------------------------


def test_outsiders_get_404_on_every_message_page(tenant, charlie_client, message):
    for name, method in (
        ("messaging:compose", "get"),
        ("messaging:save", "post"),
        ("messaging:preview", "post"),
        ("messaging:test_send", "post"),
        ("messaging:archive", "post"),
        ("messaging:unarchive", "post"),
        ("messaging:delete", "post"),
    ):
        url = reverse(name, args=[message.public_id])
        assert getattr(charlie_client, method)(url).status_code == 404, name
    message.refresh_from_db()
    assert message.archived_at is None
