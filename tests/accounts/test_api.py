from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken
from accounts.services import api_token_create


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.django_db
def test_create_a_token_on_the_settings_page_and_call_me_with_it(tenant, bob_client):
    page = bob_client.post(reverse("api_tokens"), {"name": "CRM sync"})
    assert b"Copy your new token now" in page.content
    raw = page.context["new_token"]
    token = ApiToken.objects.get(user=tenant.bob)
    assert raw not in token.key_hash  # only the hash is stored

    response = Client().get("/api/v1/me", **bearer(raw))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "bob@example.com"
    assert body["account"] == {"id": tenant.account.public_id, "name": "Acme Outdoor"}
    assert body["role"] == "marketer"
    # The token page never shows the secret again.
    assert raw.encode() not in bob_client.get(reverse("api_tokens")).content


@pytest.mark.django_db
def test_a_revoked_token_stops_working(tenant, bob_client):
    token, raw = api_token_create(account=tenant.account, user=tenant.bob, name="old")
    bob_client.post(reverse("api_token_revoke", args=[token.public_id]))
    response = Client().get("/api/v1/me", **bearer(raw))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.django_db
def test_errors_have_one_shape(tenant):
    missing = Client().get("/api/v1/me")
    assert missing.status_code == 401
    assert set(missing.json()["error"]) == {"code", "message", "fields"}
    bad = Client().get("/api/v1/me", **bearer("sms_not-a-token"))
    assert bad.json() == {
        "error": {"code": "authentication_failed", "message": "Invalid API token.", "fields": {}}
    }


@pytest.mark.django_db
def test_token_acts_in_its_own_account_even_when_the_user_has_several(tenant):
    from accounts.services import account_create

    second = account_create(name="Second", owner=tenant.alice)
    _, raw = api_token_create(account=second, user=tenant.alice, name="second")
    assert Client().get("/api/v1/me", **bearer(raw)).json()["account"]["id"] == second.public_id


@pytest.mark.django_db
def test_session_auth_works_for_the_api(alice_client):
    assert alice_client.get("/api/v1/me").json()["email"] == "alice@example.com"


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/me" in schema.json()["paths"]
    docs = client.get(reverse("api_docs"))
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/nope"),
        ("get", "/api/v1/"),
        ("post", "/api/v1/contacts/con_x/explode"),
        ("delete", "/api/v1/me/extra"),
        ("get", "/api/v1/sms-setup/business/"),  # no trailing slashes in the API
    ],
)
def test_unknown_api_paths_answer_the_json_error(tenant, method, path):
    _, raw = api_token_create(account=tenant.account, user=tenant.bob, name="t")
    for client in (Client(**bearer(raw)), Client()):
        response = getattr(client, method)(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "error": {"code": "not_found", "message": f"No API route at {path}.", "fields": {}}
        }


def test_pages_still_answer_the_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
