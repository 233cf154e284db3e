"""Test sends and test phones, through the real gateway and an in-process Twilio emulator."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.errors import FieldConflict
from messaging.models import OutboundMessage, OutboundStatus, TestPhone
from messaging.services import allotment, compose, test_sends
from messaging.services.settings import sending_settings
from registration.models import PhoneNumber
from tests.conftest import emulated_texts
from tests.factories import ContactFactory, PhoneNumberFactory, TestPhoneFactory

SENDER = "+14155550100"
ALICE_PHONE = "+12065550123"
BOB_PHONE = "+12065550145"


@pytest.fixture
def sender(tenant) -> PhoneNumber:
    return PhoneNumberFactory(account=tenant.account, e164=SENDER, status="active")


def code_texted_to(emulator, phone: str) -> str:
    body = emulated_texts(emulator, phone)[-1]["body"]
    return re.search(r"\b(\d{6})\b", body).group(1)


def verified_phone(tenant, emulator, user, phone: str) -> TestPhone:
    test_phone = test_sends.test_phone_add(account=tenant.account, user=user, phone=phone)
    return test_sends.test_phone_verify(
        account=tenant.account, test_phone=test_phone, code=code_texted_to(emulator, phone)
    )


# Typed numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 (206) 555-0123", "+12065550123"),
        ("+44 20 7183 8750", "+442071838750"),
    ],
)
def test_typed_numbers_with_a_country_code_are_read(raw, expected):
    assert test_sends.phone_number_clean(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("206 555 0123", "with its country code"),
        ("+1 206 555", "not a valid phone number"),
        ("+hello", "not a phone number"),
        ("", "Enter a phone number"),
    ],
)
def test_typed_numbers_without_a_country_code_or_invalid_are_refused(raw, message):
    with pytest.raises(ValidationError, match=message):
        test_sends.phone_number_clean(raw)


# Test phones ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_teammate_verifies_a_phone_with_the_code_texted_through_the_gateway(
    tenant, emulator, sender
):
    phone = test_sends.test_phone_add(account=tenant.account, user=tenant.bob, phone=BOB_PHONE)
    assert not phone.is_verified
    [text] = emulated_texts(emulator, BOB_PHONE)
    assert text["from"] == SENDER
    code = code_texted_to(emulator, BOB_PHONE)
    outbound = OutboundMessage.objects.get(to_phone=BOB_PHONE)
    assert (outbound.kind, outbound.twilio_sid) == (OutboundMessage.Kind.TEST, text["sid"])
    assert phone.code_hash and code not in phone.code_hash  # only a digest is kept

    verified = test_sends.test_phone_verify(account=tenant.account, test_phone=phone, code=code)
    assert verified.is_verified and verified.code_hash == ""
    # The verification text counted toward the month's usage.
    assert allotment.usage(account=tenant.account).used == 1


@pytest.mark.django_db
def test_wrong_codes_are_counted_and_five_lock_the_code(tenant, emulator, sender):
    phone = test_sends.test_phone_add(account=tenant.account, user=tenant.bob, phone=BOB_PHONE)
    code = code_texted_to(emulator, BOB_PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(ValidationError, match="4 tries left"):
        test_sends.test_phone_verify(account=tenant.account, test_phone=phone, code=wrong)
    for _ in range(4):
        with pytest.raises(ValidationError):
            test_sends.test_phone_verify(account=tenant.account, test_phone=phone, code=wrong)
    with pytest.raises(ValidationError, match="Too many wrong codes"):
        test_sends.test_phone_verify(account=tenant.account, test_phone=phone, code=code)
    phone.refresh_from_db()
    assert not phone.is_verified


@pytest.mark.django_db
def test_codes_expire_and_new_ones_wait_half_a_minute(tenant, emulator, sender):
    phone = test_sends.test_phone_add(account=tenant.account, user=tenant.bob, phone=BOB_PHONE)
    code = code_texted_to(emulator, BOB_PHONE)
    with pytest.raises(ValidationError, match="wait half a minute"):
        test_sends.test_phone_code_send(account=tenant.account, test_phone=phone)
    later = timezone.now() + dt.timedelta(minutes=11)
    with pytest.raises(ValidationError, match="expired"):
        test_sends.test_phone_verify(account=tenant.account, test_phone=phone, code=code, now=later)
    test_sends.test_phone_code_send(account=tenant.account, test_phone=phone, now=later)
    new_code = code_texted_to(emulator, BOB_PHONE)
    assert len(emulated_texts(emulator, BOB_PHONE)) == 2
    test_sends.test_phone_verify(account=tenant.account, test_phone=phone, code=new_code, now=later)


@pytest.mark.django_db
def test_a_test_phone_needs_a_sending_number(tenant, emulator):
    with pytest.raises(ValidationError, match="no active sending number"):
        test_sends.test_phone_add(account=tenant.account, user=tenant.bob, phone=BOB_PHONE)


# Test sends -----------------------------------------------------------------------------------


@pytest.fixture
def message(tenant):
    return compose.message_create(
        account=tenant.account,
        owner=tenant.bob,
        name="Spring sale",
        body='Hi {{ contact.first_name | default: "there" }}, tents are 20% off this week.',
    )


@pytest.mark.django_db
def test_a_test_goes_to_verified_phones_and_typed_numbers_rendered_as_a_contact(
    tenant, emulator, sender, message
):
    alice_phone = verified_phone(tenant, emulator, tenant.alice, ALICE_PHONE)
    used_before = allotment.usage(account=tenant.account).used
    contact = ContactFactory(account=tenant.account, first_name="Maya")

    results = test_sends.message_test_send(
        account=tenant.account,
        message=message,
        test_phone_ids=[alice_phone.public_id],
        phone_numbers=["+1 206 555 0177"],
        as_contact=contact,
    )

    assert [(r.to_phone, r.ok, r.error) for r in results] == [
        (ALICE_PHONE, True, ""),
        ("+12065550177", True, ""),
    ]
    expected = "Hi Maya, tents are 20% off this week.\nReply STOP to opt out"
    for phone in (ALICE_PHONE, "+12065550177"):
        assert emulated_texts(emulator, phone)[-1]["body"] == expected
    rows = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.TEST, body=expected)
    assert rows.count() == 2
    assert all(row.twilio_sid and row.status != OutboundStatus.FAILED for row in rows)
    assert allotment.usage(account=tenant.account).used == used_before + 2


@pytest.mark.django_db
def test_without_a_contact_tokens_show_their_defaults(tenant, emulator, sender, message):
    test_sends.message_test_send(
        account=tenant.account, message=message, phone_numbers=["+12065550177"]
    )
    assert emulated_texts(emulator, "+12065550177")[0]["body"].startswith("Hi there, tents")


@pytest.mark.django_db
def test_a_test_needing_more_segments_than_are_left_is_refused_with_the_numbers(
    tenant, emulator, sender, message
):
    rules = sending_settings(tenant.account)
    rules.monthly_segment_allotment = 3
    rules.save()
    with pytest.raises(ValidationError) as excinfo:
        test_sends.message_test_send(
            account=tenant.account,
            message=message,
            phone_numbers=["+12065550171", "+12065550172", "+12065550173", "+12065550174"],
        )
    assert excinfo.value.code == "allotment_exceeded"
    assert excinfo.value.params == {"needed": 4, "left": 3}
    assert excinfo.value.messages == ["This test needs 4 segments but only 3 are left this period."]
    assert emulated_texts(emulator) == []
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db
def test_unverified_or_foreign_test_phones_are_refused(tenant, emulator, sender, message):
    pending = test_sends.test_phone_add(account=tenant.account, user=tenant.bob, phone=BOB_PHONE)
    foreign = TestPhoneFactory(
        account=tenant.other_account,
        user=tenant.charlie,
        phone_e164="+12065550190",
        verified_at=timezone.now(),
    )
    for public_id in (pending.public_id, foreign.public_id, "tph_nope"):
        with pytest.raises(ValidationError) as excinfo:
            test_sends.message_test_send(
                account=tenant.account, message=message, test_phone_ids=[public_id]
            )
        assert "test_phones" in excinfo.value.message_dict
    assert len(emulated_texts(emulator)) == 1  # only bob's verification code


@pytest.mark.django_db
def test_a_recipient_twilio_refuses_is_reported_and_the_others_still_get_it(
    tenant, emulator, sender, message
):
    # The emulator answers 21211 for numbers ending in 1211.
    results = test_sends.message_test_send(
        account=tenant.account,
        message=message,
        phone_numbers=["+12065551211", "+12065550177"],
    )
    assert [(r.to_phone, r.ok) for r in results] == [
        ("+12065551211", False),
        ("+12065550177", True),
    ]
    assert "Twilio refused" in results[0].error
    assert len(emulated_texts(emulator)) == 1


@pytest.mark.django_db
def test_a_test_send_needs_recipients_and_a_body_with_valid_tokens(tenant, emulator, sender):
    empty = compose.message_create(account=tenant.account, owner=tenant.bob, name="Empty")
    with pytest.raises(ValidationError) as excinfo:
        test_sends.message_test_send(account=tenant.account, message=empty)
    assert set(excinfo.value.message_dict) == {"test_phones"}
    with pytest.raises(ValidationError) as excinfo:
        test_sends.message_test_send(
            account=tenant.account, message=empty, phone_numbers=["2065550177"]
        )
    assert "country code" in excinfo.value.message_dict["phone_numbers"][0]
    # The recipients chosen right, the message as saved is what can't be sent: a conflict.
    with pytest.raises(FieldConflict) as excinfo:
        test_sends.message_test_send(
            account=tenant.account, message=empty, phone_numbers=["+12065550177"]
        )
    assert set(excinfo.value.message_dict) == {"body"}


@pytest.mark.django_db
def test_a_typed_number_that_is_not_one_is_reported_and_the_others_still_get_it(
    tenant, emulator, sender, message
):
    results = test_sends.message_test_send(
        account=tenant.account, message=message, phone_numbers=["+1 000", "+12065550177"]
    )
    assert [(r.to_phone, r.ok) for r in results] == [("+1 000", False), ("+12065550177", True)]
    assert "not" in results[0].error and "phone number" in results[0].error
    assert len(emulated_texts(emulator)) == 1


def texts_stop(tenant, phone: str) -> None:
    from consent.services.keywords import inbound_keyword_apply

    inbound_keyword_apply(
        account=tenant.account,
        phone_e164=phone,
        body="STOP",
        received_by_number=SENDER,
        message_sid="SM" + phone[-10:].rjust(32, "0"),
    )


@pytest.mark.django_db
def test_a_typed_number_that_texted_stop_doesnt_get_the_test_and_is_reported(
    tenant, emulator, sender, message
):
    texts_stop(tenant, "+12065550188")
    used_before = allotment.usage(account=tenant.account).used

    results = test_sends.message_test_send(
        account=tenant.account,
        message=message,
        phone_numbers=["+1 206 555 0188", "+12065550177"],
    )

    assert [(r.to_phone, r.ok, r.error) for r in results] == [
        ("+12065550188", False, "+12065550188 has opted out; it can't be texted."),
        ("+12065550177", True, ""),
    ]
    assert emulated_texts(emulator, "+12065550188") == []
    assert len(emulated_texts(emulator, "+12065550177")) == 1
    # Only the text that went out is charged.
    assert allotment.usage(account=tenant.account).used == used_before + 1


@pytest.mark.django_db
def test_a_teammates_verified_test_phone_gets_the_test_even_after_a_stop(
    tenant, emulator, sender, message
):
    bob_phone = verified_phone(tenant, emulator, tenant.bob, BOB_PHONE)
    texts_stop(tenant, BOB_PHONE)

    results = test_sends.message_test_send(
        account=tenant.account,
        message=message,
        test_phone_ids=[bob_phone.public_id],
        phone_numbers=[BOB_PHONE],  # typed too: still the teammate's verified phone
    )

    assert [(r.to_phone, r.ok) for r in results] == [(BOB_PHONE, True)]
    assert len(emulated_texts(emulator, BOB_PHONE)) == 2  # the code, then the test


# Short links in tests ------------------------------------------------------------------------

LONG_LINK = "https://shop.example.com/spring/tents?utm_term=" + "x" * 120


@pytest.mark.django_db
def test_a_test_carries_real_short_links_charged_at_their_length_and_they_redirect(
    tenant, emulator, sender, client, settings
):
    from messaging import links, selectors
    from messaging.models import LinkClick

    settings.PUBLIC_LINK_DOMAIN = "sms.example"
    settings.PUBLIC_LINK_SCHEME = "https"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "sms.example", "evil.example"]
    message = compose.message_create(
        account=tenant.account, owner=tenant.bob, name="Tents", body=f"Tents 20% off: {LONG_LINK}"
    )
    # What the composer shows for this test: the body with the link at short-link length.
    composer_count = selectors.message_preview(
        account=tenant.account, body=message.body, sender=sender
    ).estimate.segments
    assert composer_count == 1
    used_before = allotment.usage(account=tenant.account).used

    results = test_sends.message_test_send(
        account=tenant.account, message=message, phone_numbers=["+12065550177", "+12065550178"]
    )

    assert all(r.ok for r in results)
    bodies = [
        emulated_texts(emulator, phone)[-1]["body"] for phone in ("+12065550177", "+12065550178")
    ]
    short = re.search(r"https://sms\.example/([A-Za-z0-9_-]{10})(?![A-Za-z0-9_-])", bodies[0])
    assert short, bodies[0]
    assert LONG_LINK not in bodies[0]
    assert bodies[0] == f"Tents 20% off: {short.group()}\nReply STOP to opt out"
    assert len(short.group()) == len(links.short_link_placeholder(sender=sender))
    assert [r.outbound.segments for r in results] == [composer_count, composer_count]
    assert allotment.usage(account=tenant.account).used == used_before + 2 * composer_count

    # The tester taps it: the real destination with its UTM parameters, no click counted.
    response = client.get(f"/{short.group(1)}", HTTP_HOST="sms.example")
    assert response.status_code == 302
    assert response["Location"].startswith(LONG_LINK + "&utm_source=smsapp&utm_medium=sms")
    assert not LinkClick.objects.exists()
    # Only on our link host.
    assert client.get(f"/{short.group(1)}", HTTP_HOST="evil.example").status_code == 404


@pytest.mark.django_db
def test_a_draft_saved_over_the_length_limit_cant_be_tested(tenant, emulator, sender, message):
    compose.message_draft_save(account=tenant.account, message=message, body="x" * 1590)
    message.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        test_sends.message_test_send(
            account=tenant.account, message=message, phone_numbers=["+12065550177"]
        )
    assert excinfo.value.message_dict["body"] == [
        "A message is limited to 1,600 characters; this one has 1,612."
    ]
    assert emulated_texts(emulator) == []
