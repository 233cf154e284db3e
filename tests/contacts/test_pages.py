"""Contact pages as a marketer, a viewer and an outsider see them."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from consent import selectors as consent_selectors
from contacts import services
from contacts.models import Contact, ContactList, ContactListMembership


@pytest.fixture
def ada(tenant):
    return services.contact_create(
        account=tenant.account,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="(212) 555-0123",
        mobile_phone="+1 340 712 3456",
    )


def test_index_lists_searches_and_filters(tenant, bob_client, ada):
    services.contact_create(account=tenant.account, first_name="Bo", email="bo@example.com")
    page = bob_client.get(reverse("contacts:index"))
    assert page.status_code == 200
    assert b"Ada" in page.content and b"Bo" in page.content
    assert b"not valid for SMS" in page.content  # the USVI mobile
    found = bob_client.get(reverse("contacts:index"), {"q": "ada lov"})
    assert [c.pk for c, _ in found.context["rows"]] == [ada.pk]
    by_phone = bob_client.get(reverse("contacts:index"), {"q": "212 555"})
    assert [c.pk for c, _ in by_phone.context["rows"]] == [ada.pk]
    by_field = bob_client.get(
        reverse("contacts:index"), {"field": "mobile_phone", "op": "sms_invalid"}
    )
    assert [c.pk for c, _ in by_field.context["rows"]] == [ada.pk]
    bad = bob_client.get(reverse("contacts:index"), {"field": "email", "op": "gt", "value": "x"})
    assert "doesn't apply to this field" in bad.context["filter_error"]


def test_index_pages_with_cursors(tenant, bob_client):
    for i in range(55):
        services.contact_create(account=tenant.account, first_name=f"P{i:02d}")
    first = bob_client.get(reverse("contacts:index"))
    assert len(first.context["rows"]) == 50 and first.context["total"] == 55
    second = bob_client.get(reverse("contacts:index") + first.context["next_url"])
    assert len(second.context["rows"]) == 5
    assert not second.context["next_url"] and second.context["previous_url"]
    # Cursors are public ids, never integer keys.
    assert "con_" in first.context["next_url"]


def test_detail_says_why_a_phone_cant_take_sms(tenant, vera_client, ada):
    page = vera_client.get(reverse("contacts:detail", args=[ada.public_id]))
    assert page.status_code == 200
    assert "US Virgin Islands" in page.content.decode()
    assert b"Consent history" in page.content
    assert b"Opt in or opt out" not in page.content  # viewers read only


def test_create_edit_and_delete_with_confirmation(tenant, bob_client):
    response = bob_client.post(
        reverse("contacts:create"),
        {
            "first_name": "Grace",
            "email": "grace@example.com",
            "phone": "212 555 0188",
            "marketing_contact": "on",
        },
    )
    contact = Contact.objects.get(email="grace@example.com")
    assert response.url == reverse("contacts:detail", args=[contact.public_id])
    assert contact.phone_e164 == "+12125550188" and contact.marketing_contact

    response = bob_client.post(
        reverse("contacts:edit", args=[contact.public_id]),
        {"first_name": "Grace", "email": "not an email", "phone": "212 555 0188"},
    )
    assert response.status_code == 200
    assert "not a valid email address" in response.content.decode()
    contact.refresh_from_db()
    assert contact.email == "grace@example.com"

    confirm = bob_client.get(reverse("contacts:delete", args=[contact.public_id]))
    assert b"consent ledger entries are kept" in confirm.content
    assert Contact.objects.filter(pk=contact.pk).exists()
    bob_client.post(reverse("contacts:delete", args=[contact.public_id]))
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_viewers_cannot_write_and_outsiders_see_nothing(tenant, vera_client, charlie_client, ada):
    assert vera_client.post(reverse("contacts:create"), {"first_name": "X"}).status_code == 403
    assert vera_client.post(reverse("contacts:delete", args=[ada.public_id])).status_code == 403
    for name in ("detail", "edit", "delete", "timeline"):
        assert (
            charlie_client.get(reverse(f"contacts:{name}", args=[ada.public_id])).status_code == 404
        )
    assert ada.public_id.encode() not in charlie_client.get(reverse("contacts:index")).content


def test_export_neutralises_formulas(tenant, bob_client):
    contact = services.contact_create(
        account=tenant.account, first_name="Eve", phone="+1 212 555 0100"
    )
    # Written before contacts refused formulas (or straight into the table): still neutralised.
    type(contact).objects.filter(pk=contact.pk).update(first_name='=HYPERLINK("http://evil")')
    response = bob_client.get(reverse("contacts:export"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'
    # Only an E.164 number may start with + unprefixed (the rule in accounts/exports.py).
    assert (rows[1][4], rows[1][5]) == ("'+1 212 555 0100", "+12125550100")


def test_timeline_filter_by_type(tenant, bob_client, ada):
    services.engagement_record(
        account=tenant.account, contact=ada, kind="sms_sent", summary="Sent A"
    )
    services.engagement_record(
        account=tenant.account, contact=ada, kind="sms_reply", summary="Said B"
    )
    response = bob_client.get(
        reverse("contacts:timeline", args=[ada.public_id]), {"kind": "sms_reply"}
    )
    assert b"Said B" in response.content and b"Sent A" not in response.content


def test_properties_page(tenant, bob_client, vera_client):
    response = bob_client.post(
        reverse("contacts:properties"),
        {"label": "Tier", "type": "choice", "choices": "Gold\nSilver"},
    )
    assert response.status_code == 302
    page = bob_client.get(reverse("contacts:properties"))
    assert b"tier" in page.content
    again = bob_client.post(reverse("contacts:properties"), {"label": "Tier", "type": "text"})
    assert "already exists" in again.content.decode()
    assert (
        vera_client.post(reverse("contacts:properties"), {"label": "X", "type": "text"}).status_code
        == 403
    )


def test_lists_static_and_active(tenant, bob_client, ada):
    response = bob_client.post(reverse("contacts:list_create"), {"name": "VIP", "kind": "static"})
    vip = ContactList.objects.get(name="VIP")
    assert response.url == reverse("contacts:list_detail", args=[vip.public_id])
    bob_client.post(
        reverse("contacts:bulk_list"),
        {
            "action": "add",
            "contact_list": vip.public_id,
            "contact": [ada.public_id],
            "scope": "selected",
        },
    )
    assert ContactListMembership.objects.filter(contact_list=vip, contact=ada).exists()
    response = bob_client.post(
        reverse("contacts:list_create"),
        {
            "name": "VIPs without SMS",
            "kind": "active",
            "match": "all",
            "rule0-field": f"list:{vip.public_id}",
            "rule0-op": "in",
            "rule1-field": "mobile_phone",
            "rule1-op": "sms_invalid",
        },
    )
    active = ContactList.objects.get(name="VIPs without SMS")
    detail = bob_client.get(reverse("contacts:list_detail", args=[active.public_id]))
    assert detail.context["total"] == 1
    assert "list “VIP” is a member" in detail.content.decode()
    lists = bob_client.get(reverse("contacts:lists"))
    assert [count for _, count in lists.context["lists"]] == [1, 1]
    broken = bob_client.post(
        reverse("contacts:list_create"),
        {
            "name": "Broken",
            "kind": "active",
            "rule0-field": "email",
            "rule0-op": "gt",
            "rule0-value": "a",
        },
    )
    assert "Condition 1" in broken.content.decode()
    assert not ContactList.objects.filter(name="Broken").exists()


def test_bulk_consent_from_the_index_needs_confirmation(
    tenant, bob_client, ada, django_capture_on_commit_callbacks
):
    marketing = consent_selectors.subscription_type_default(account=tenant.account)
    data = {
        "action": "opt_in",
        "subscription_type": marketing.public_id,
        "scope": "selected",
        "contact": [ada.public_id],
        "evidence": "Paper form",
    }
    response = bob_client.post(reverse("consent:bulk_change"), data, follow=True)
    assert "express, verifiable consent" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(
            reverse("consent:bulk_change"), {**data, "consent_confirmed": "on"}
        )
    page = bob_client.get(response.url)
    assert page.context["job"].status == "done"
    assert page.context["job"].changed_count == 1  # the USVI mobile can't be subscribed
