"""Contact writes: phones stored as typed and in E.164, validation, duplicates, properties."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from contacts import selectors, services
from contacts.models import Contact, PropertyType
from contacts.phones import PhoneIssue


def test_create_stores_phone_as_typed_and_in_e164(tenant):
    contact = services.contact_create(
        account=tenant.account,
        first_name="Ada",
        email=" Ada@Example.COM ",
        phone="(212) 555-0123",
        mobile_phone="+1 340 712 3456",
    )
    assert contact.email == "ada@example.com"
    assert contact.phone_raw == "(212) 555-0123"
    assert contact.phone_e164 == "+12125550123"
    assert contact.phone_sms_invalid_reason == ""
    assert contact.mobile_phone_e164 == "+13407123456"
    assert contact.mobile_phone_sms_invalid_reason == PhoneIssue.US_VIRGIN_ISLANDS
    assert contact.sms_phones == ["+12125550123"]


def test_invalid_input_gets_specific_errors_and_writes_nothing(tenant):
    with pytest.raises(ValidationError) as exc:
        services.contact_create(
            account=tenant.account,
            email="not-an-email",
            time_zone="Mars/Olympus",
            first_name="x" * 151,
        )
    errors = exc.value.message_dict
    assert "not a valid email" in errors["email"][0]
    assert "not a time zone" in errors["time_zone"][0]
    assert "150" in errors["first_name"][0]
    assert not Contact.objects.exists()


def test_a_contact_needs_something_to_know_it_by(tenant):
    with pytest.raises(ValidationError, match="at least a name"):
        services.contact_create(account=tenant.account)


def test_duplicates_by_email_or_phone_are_refused(tenant):
    first = services.contact_create(account=tenant.account, email="a@x.com", phone="2125550123")
    with pytest.raises(ValidationError) as exc:
        services.contact_create(account=tenant.account, email="A@X.com")
    assert first.public_id in exc.value.message_dict["email"][0]
    with pytest.raises(ValidationError) as exc:
        services.contact_create(account=tenant.account, mobile_phone="+1 212 555 0123")
    assert first.public_id in exc.value.message_dict["mobile_phone"][0]
    # Another account may have the same person.
    services.contact_create(account=tenant.other_account, email="a@x.com")


def test_update_reparses_phones_and_clears_unreachable(tenant):
    contact = services.contact_create(account=tenant.account, phone="2125550123")
    services.contact_phone_mark_unreachable(account=tenant.account, phone_e164="+12125550123")
    contact.refresh_from_db()
    assert contact.phone_unreachable
    contact = services.contact_update(
        account=tenant.account, contact=contact, data={"phone": "800 555 1212"}
    )
    assert contact.phone_e164 == "+18005551212"
    assert contact.phone_sms_invalid_reason == PhoneIssue.NOT_MOBILE_CAPABLE
    assert contact.phone_unreachable is False


def test_property_values_are_typed_and_checked(tenant):
    account = tenant.account
    services.contact_property_create(account=account, label="Shoe size", type=PropertyType.NUMBER)
    services.contact_property_create(account=account, label="Birthday", type=PropertyType.DATE)
    services.contact_property_create(
        account=account, label="Tier", type=PropertyType.CHOICE, choices=["Gold", "Silver"]
    )
    contact = services.contact_create(
        account=account,
        email="p@x.com",
        properties={"shoe_size": "10.5", "birthday": "03/01/1990", "tier": "gold"},
    )
    assert contact.properties == {"shoe_size": 10.5, "birthday": "1990-03-01", "tier": "Gold"}
    with pytest.raises(ValidationError) as exc:
        services.contact_update(
            account=account,
            contact=contact,
            data={"properties": {"tier": "Bronze", "shoe_size": "big", "nope": "1"}},
        )
    errors = exc.value.message_dict
    assert "must be one of: Gold, Silver" in errors["properties.tier"][0]
    assert "must be a number" in errors["properties.shoe_size"][0]
    assert "no contact property" in errors["properties.nope"][0]
    # An empty value removes the key.
    contact = services.contact_update(
        account=account, contact=contact, data={"properties": {"tier": ""}}
    )
    assert "tier" not in contact.properties


def test_property_keys_are_unique_and_not_builtin(tenant):
    services.contact_property_create(account=tenant.account, label="Favourite store", type="text")
    with pytest.raises(ValidationError, match="already exists"):
        services.contact_property_create(
            account=tenant.account, label="Favourite Store", type="text"
        )
    with pytest.raises(ValidationError, match="built-in"):
        services.contact_property_create(account=tenant.account, label="Email", type="text")
    with pytest.raises(ValidationError, match="at least one choice"):
        services.contact_property_create(account=tenant.account, label="Size", type="choice")


def test_deleting_a_property_removes_its_values(tenant):
    prop = services.contact_property_create(account=tenant.account, label="Nick", type="text")
    contact = services.contact_create(
        account=tenant.account, email="n@x.com", properties={"nick": "Al"}
    )
    services.contact_property_delete(account=tenant.account, prop=prop)
    contact.refresh_from_db()
    assert contact.properties == {}


def test_contact_for_phone_finds_mobile_first_then_creates(tenant):
    account = tenant.account
    older = services.contact_create(account=account, phone="2125550123")
    mobile = services.contact_create(account=account, email="m@x.com")
    Contact.objects.filter(pk=mobile.pk).update(mobile_phone_e164="+12125550123")
    found, created = services.contact_for_phone_get_or_create(
        account=account, phone_e164="+12125550123"
    )
    assert (found.pk, created) == (mobile.pk, False)
    Contact.objects.filter(pk=mobile.pk).delete()
    found, created = services.contact_for_phone_get_or_create(
        account=account, phone_e164="+12125550123"
    )
    assert (found.pk, created) == (older.pk, False)
    new, created = services.contact_for_phone_get_or_create(
        account=account, phone_e164="+14165550123"
    )
    assert created and new.mobile_phone_e164 == "+14165550123" and new.sms_phones


def test_keyset_pages_walk_everything_once(tenant):
    ids = {services.contact_create(account=tenant.account, first_name=f"C{i}").pk for i in range(7)}
    queryset = selectors.contacts_filtered(account=tenant.account)
    seen = []
    page = selectors.contacts_page(queryset, account=tenant.account, size=3)
    seen += [c.pk for c in page.items]
    while page.next_cursor:
        page = selectors.contacts_page(
            queryset, account=tenant.account, after=page.next_cursor, size=3
        )
        seen += [c.pk for c in page.items]
    assert sorted(seen) == sorted(ids) and len(seen) == 7
    back = selectors.contacts_page(
        queryset, account=tenant.account, before=page.items[0].public_id, size=3
    )
    assert len(back.items) == 3
    assert back.items[-1].created_at >= page.items[0].created_at


def test_engagements_record_in_bulk_and_one_at_a_time(tenant):
    contact = services.contact_create(account=tenant.account, email="e@x.com")
    services.engagements_record(
        account=tenant.account,
        drafts=[
            services.EngagementDraft(contact_id=contact.pk, kind="sms_sent", summary="Sent “Hi”"),
            services.EngagementDraft(contact_id=contact.pk, kind="sms_clicked", summary="Click"),
        ],
    )
    services.engagement_record(
        account=tenant.account,
        contact=contact,
        kind="sms_delivered",
        summary="Delivered",
        link_url="/sms/x",
    )
    timeline = selectors.contact_timeline(account=tenant.account, contact=contact)
    assert len(timeline) == 3
    only = selectors.contact_timeline(account=tenant.account, contact=contact, kinds=["sms_sent"])
    assert [e.summary for e in only] == ["Sent “Hi”"]
    with pytest.raises(ValueError):  # consent changes come from the ledger
        services.engagement_record(
            account=tenant.account, contact=contact, kind="consent_change", summary="x"
        )
    with pytest.raises(ValueError):
        services.engagement_record(
            account=tenant.account, contact=contact, kind="bogus", summary="x"
        )


def test_empty_property_values_are_not_stored(tenant):
    services.contact_property_create(account=tenant.account, label="Nick", type="text")
    contact = services.contact_create(
        account=tenant.account, email="e@x.com", properties={"nick": "  "}
    )
    assert contact.properties == {}


def test_a_number_twilio_refused_is_marked_not_valid_for_sms(tenant):
    contact = services.contact_create(account=tenant.account, mobile_phone="2125550123")
    assert (
        services.contact_phone_mark_invalid(account=tenant.account, phone_e164="+12125550123") == 1
    )
    contact.refresh_from_db()
    assert contact.sms_phones == []
    assert "Twilio refused" in contact.get_mobile_phone_sms_invalid_reason_display()
    # Typing the number again judges it afresh.
    contact = services.contact_update(
        account=tenant.account, contact=contact, data={"mobile_phone": "2125550123"}
    )
    assert contact.sms_phones == ["+12125550123"]


def test_the_contact_form_refuses_what_an_import_would_as_a_formula(tenant, bob_client):
    from django.urls import reverse

    from contacts.models import Contact

    response = bob_client.post(
        reverse("contacts:create"),
        {"first_name": '=HYPERLINK("http://x.example","Ann")', "mobile_phone": "+1 212 555 0101"},
    )
    assert response.status_code == 200
    assert "which a spreadsheet would run as a formula" in response.content.decode()
    assert not Contact.objects.filter(account=tenant.account).exists()
    # A phone number written with a plus is no formula.
    ok = bob_client.post(
        reverse("contacts:create"), {"first_name": "Ann", "mobile_phone": "+1 212 555 0101"}
    )
    assert ok.status_code == 302
