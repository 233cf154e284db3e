"""The composing API: create, update, list, estimate, preview and test send, with the
project's error shape, viewers read-only and outsiders answered 404."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.services import api_token_create
from messaging import segments
from messaging.models import OutboundMessage, SmsMessage
from messaging.services import compose
from messaging.services.settings import sending_settings
from tests.conftest import emulated_texts
from tests.factories import ContactFactory, PhoneNumberFactory, TestPhoneFactory

pytestmark = pytest.mark.django_db

TOKEN = '{{ contact.first_name | default: "there" }}'


def api(tenant, user, account=None) -> Client:
    _, raw = api_token_create(account=account or tenant.account, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def bob_api(tenant) -> Client:
    return api(tenant, tenant.bob)


@pytest.fixture
def message(tenant) -> SmsMessage:
    return compose.message_create(
        account=tenant.account, owner=tenant.bob, name="Spring sale", body=f"Hi {TOKEN}!"
    )


def test_create_a_message(tenant, bob_api):
    response = bob_api.post(
        "/api/v1/messages",
        {
            "name": "Launch",
            "body": f"Hi {TOKEN}, boots are in. Text STOP to opt out.",
            "append_opt_out": False,
            "campaign": "Spring",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    message = SmsMessage.objects.get(public_id=data["id"])
    assert data["id"].startswith("msg_")
    assert (data["status"], data["archived"], data["campaign"]) == ("draft", False, "Spring")
    assert data["subscription_type"]["id"] == message.subscription_type.public_id
    assert data["owner"] == "bob@example.com"
    assert message.append_opt_out is False


def test_a_draft_is_kept_as_given_with_what_keeps_it_from_being_sent(tenant, bob_api):
    """As the composer keeps a draft: the body without opt-out wording is kept, and
    `problems` says so; review and send refuse it until it is fixed."""
    compose.message_property_create(account=tenant.account, label="Cost center", required=True)
    response = bob_api.post(
        "/api/v1/messages",
        {"name": "X", "body": "No wording", "append_opt_out": False},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    problems = response.json()["problems"]
    assert set(problems) == {"append_opt_out", "properties.cost_center"}
    assert problems["properties.cost_center"] == ["Cost center is required."]
    message = SmsMessage.objects.get(public_id=response.json()["id"])
    assert (message.body, message.append_opt_out) == ("No wording", False)


def test_errors_name_the_fields_in_the_projects_shape(tenant, bob_api):
    missing = bob_api.post("/api/v1/messages", {}, content_type="application/json").json()
    assert missing["error"] == {
        "code": "invalid",
        "message": "Some fields are not valid.",
        "fields": {"name": ["This field is required."]},
    }
    typed = bob_api.post(
        "/api/v1/messages", {"name": 7, "colour": "red"}, content_type="application/json"
    )
    assert typed.status_code == 400
    assert typed.json()["error"]["fields"] == {
        "name": ["Must be text (a JSON string)."],
        "colour": ["Unknown field."],
    }
    # A property the account has no definition for is refused for the account's properties.
    unknown = bob_api.post(
        "/api/v1/messages", {"name": "X", "properties": {"x": "1"}}, content_type="application/json"
    )
    assert unknown.status_code == 409
    assert unknown.json()["error"]["code"] == "message_properties"
    assert unknown.json()["error"]["fields"] == {
        "properties.x": ["There is no message property “x”."]
    }
    assert not SmsMessage.objects.exists()


def test_a_foreign_subscription_type_is_unknown(tenant, bob_api):
    from consent.selectors import subscription_type_default

    foreign = subscription_type_default(account=tenant.other_account)
    response = bob_api.post(
        "/api/v1/messages",
        {"name": "X", "subscription_type": foreign.public_id},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["fields"] == {
        "subscription_type": ["No such subscription type in your account."]
    }


def test_update_changes_only_the_fields_given(tenant, bob_api, message):
    url = f"/api/v1/messages/{message.public_id}"
    response = bob_api.patch(url, {"body": "New body"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["name"] == "Spring sale"
    message.refresh_from_db()
    assert message.body == "New body"
    SmsMessage.objects.filter(pk=message.pk).update(status=SmsMessage.Status.SENT)
    refused = bob_api.patch(url, {"body": "Again"}, content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "not_a_draft"
    assert "only drafts can be changed" in refused.json()["error"]["message"]


def test_list_filters_and_pages_with_a_cursor(tenant, bob_api):
    for n in range(3):
        compose.message_create(account=tenant.account, owner=tenant.bob, name=f"Boots {n}")
    compose.message_create(account=tenant.account, owner=tenant.bob, name="Tents")
    compose.message_create(account=tenant.other_account, owner=tenant.charlie, name="Boots far")
    page = bob_api.get("/api/v1/messages", {"q": "boots", "page_size": 2}).json()
    assert [m["name"] for m in page["results"]] == ["Boots 2", "Boots 1"]
    rest = bob_api.get(page["next"]).json()
    assert [m["name"] for m in rest["results"]] == ["Boots 0"]
    assert bob_api.get("/api/v1/messages", {"status": "sent"}).json()["results"] == []
    bad = bob_api.get("/api/v1/messages", {"status": "nope"})
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]


def test_list_sorts_by_send_time_across_cursor_pages(tenant, bob_api):
    import datetime as dt

    june = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
    for n, day in enumerate((3, 1, 4, 2)):
        message = compose.message_create(account=tenant.account, owner=tenant.bob, name=f"M{n}")
        SmsMessage.objects.filter(pk=message.pk).update(
            status="sent", started_at=june + dt.timedelta(days=day)
        )
    compose.message_create(account=tenant.account, owner=tenant.bob, name="Draft")
    page = bob_api.get("/api/v1/messages", {"sort": "-sent", "page_size": 2}).json()
    assert [m["name"] for m in page["results"]] == ["M2", "M0"]
    assert page["results"][0]["sent_at"] == "2026-06-05T12:00:00Z"
    rest = bob_api.get(page["next"]).json()
    assert [m["name"] for m in rest["results"]] == ["M3", "M1"]
    last = bob_api.get(rest["next"]).json()
    assert [(m["name"], m["sent_at"]) for m in last["results"]] == [("Draft", None)]
    ascending = bob_api.get("/api/v1/messages", {"sort": "sent"}).json()["results"]
    assert [m["name"] for m in ascending] == ["M1", "M3", "M0", "M2", "Draft"]
    bad = bob_api.get("/api/v1/messages", {"sort": "size"})
    assert bad.status_code == 400 and "sort" in bad.json()["error"]["fields"]
    cancelled = bob_api.get("/api/v1/messages", {"status": "cancelled"}).json()["results"]
    assert cancelled == []


def test_estimate_counts_links_at_short_link_length_and_tokens_for_a_contact(
    tenant, bob_api, settings
):
    settings.PUBLIC_LINK_DOMAIN = "sms.example"
    contact = ContactFactory(account=tenant.account, first_name="Zoë")
    body = f"Hi {TOKEN}: https://shop.example.com/{'a' * 200}"
    data = bob_api.post(
        "/api/v1/messages/estimate",
        {"body": body, "contact": contact.public_id},
        content_type="application/json",
    ).json()
    assert data["text"].startswith("Hi Zoë: https://shop.example.com/aaa")
    assert data["counted_text"] == "Hi Zoë: https://sms.example/xxxxxxxxxx\nReply STOP to opt out"
    assert data["links"] == 1 and data["short_link_length"] == 30
    expected = segments.estimate(data["counted_text"])
    assert data["estimate"] == {
        "encoding": "UCS-2",
        "segments": expected.segments,
        "characters": expected.characters,
        "unicode_characters": ["ë"],
    }


def test_estimate_refuses_another_accounts_contact(tenant, bob_api):
    foreign = ContactFactory(account=tenant.other_account, first_name="Secret")
    response = bob_api.post(
        "/api/v1/messages/estimate",
        {"body": TOKEN, "contact": foreign.public_id},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["fields"] == {"contact": ["No such contact in your account."]}


def test_preview_renders_the_saved_message(tenant, bob_api, message):
    contact = ContactFactory(account=tenant.account, first_name="Maya")
    url = f"/api/v1/messages/{message.public_id}/preview"
    data = bob_api.post(url, {"contact": contact.public_id}, content_type="application/json")
    assert data.json()["text"] == "Hi Maya!\nReply STOP to opt out"
    defaults = bob_api.post(url, {}, content_type="application/json").json()
    assert defaults["text"] == "Hi there!\nReply STOP to opt out"
    assert defaults["estimate"]["segments"] == 1


def test_test_send_through_the_api(tenant, bob_api, message, emulator):  # noqa: F811
    PhoneNumberFactory(account=tenant.account, e164="+14155550100", status="active")
    phone = TestPhoneFactory(
        account=tenant.account,
        user=tenant.alice,
        phone_e164="+12065550123",
        verified_at="2026-01-01T00:00:00Z",
    )
    assert bob_api.get("/api/v1/test-phones").json() == [
        {
            "id": phone.public_id,
            "phone": "+12065550123",
            "user": "alice@example.com",
            "verified_at": "2026-01-01T00:00:00Z",
        }
    ]
    response = bob_api.post(
        f"/api/v1/messages/{message.public_id}/test-send",
        {"test_phones": [phone.public_id], "phone_numbers": ["+12065550177"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert [(r["to"], r["ok"], r["segments"]) for r in data["results"]] == [
        ("+12065550123", True, 1),
        ("+12065550177", True, 1),
    ]
    assert all(r["message_sid"].startswith("SM") for r in data["results"])
    assert data["segments_left"] == 10_000 - 2
    assert emulated_texts(emulator, "+12065550123")[0]["body"] == (
        "Hi there!\nReply STOP to opt out"
    )


def test_a_test_send_over_the_allotment_is_refused_with_the_numbers(
    tenant,
    bob_api,
    message,
    emulator,  # noqa: F811
):
    PhoneNumberFactory(account=tenant.account, e164="+14155550100", status="active")
    rules = sending_settings(tenant.account)
    rules.monthly_segment_allotment = 0
    rules.save()
    response = bob_api.post(
        f"/api/v1/messages/{message.public_id}/test-send",
        {"phone_numbers": ["+12065550177"]},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "allotment_exceeded",
            "message": "This test needs 1 segments but only 0 are left this period.",
            "fields": {},
            "needed": 1,
            "left": 0,
        }
    }
    assert not OutboundMessage.objects.exists()


def test_viewers_read_but_cant_write(tenant, message):
    vera = api(tenant, tenant.vera)
    assert vera.get(f"/api/v1/messages/{message.public_id}").status_code == 200
    assert vera.get("/api/v1/messages").status_code == 200
    for method, url, data in (
        ("post", "/api/v1/messages", {"name": "X"}),
        ("patch", f"/api/v1/messages/{message.public_id}", {"name": "X"}),
        ("post", f"/api/v1/messages/{message.public_id}/preview", {}),
        ("post", f"/api/v1/messages/{message.public_id}/test-send", {}),
        ("post", "/api/v1/messages/estimate", {"body": "x"}),
    ):
        response = getattr(vera, method)(url, data, content_type="application/json")
        assert response.status_code == 403, url
        assert response.json()["error"]["code"] == "permission_denied"
    message.refresh_from_db()
    assert message.name == "Spring sale"


def test_outsiders_get_404(tenant, message):
    charlie = api(tenant, tenant.charlie, account=tenant.other_account)
    for method, url in (
        ("get", f"/api/v1/messages/{message.public_id}"),
        ("patch", f"/api/v1/messages/{message.public_id}"),
        ("post", f"/api/v1/messages/{message.public_id}/preview"),
        ("post", f"/api/v1/messages/{message.public_id}/test-send"),
    ):
        response = getattr(charlie, method)(
            url, {"name": "Hacked"}, content_type="application/json"
        )
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
    assert charlie.get("/api/v1/messages").json()["results"] == []
    message.refresh_from_db()
    assert message.name == "Spring sale"


def test_a_test_send_reports_a_typed_number_that_is_not_one(
    tenant,
    bob_api,
    message,
    emulator,  # noqa: F811
):
    PhoneNumberFactory(account=tenant.account, e164="+14155550100", status="active")
    url = f"/api/v1/messages/{message.public_id}/test-send"
    response = bob_api.post(
        url, {"phone_numbers": ["+1 000", "+12065550177"]}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    assert [(r["to"], r["ok"]) for r in response.json()["results"]] == [
        ("+1 000", False),
        ("+12065550177", True),
    ]
    nowhere = bob_api.post(url, {}, content_type="application/json")
    assert nowhere.status_code == 400
    assert nowhere.json()["error"]["fields"] == {
        "test_phones": ["Choose a verified test phone or type a number."]
    }
    no_plus = bob_api.post(url, {"phone_numbers": ["2065550177"]}, content_type="application/json")
    assert no_plus.status_code == 400
    unknown = bob_api.post(url, {"test_phones": ["tph_nope"]}, content_type="application/json")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["fields"] == {
        "test_phones": ["No verified test phone tph_nope in your account."]
    }
