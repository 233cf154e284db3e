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


@pytest.fixture
def schema(db) -> dict:
    return Client().get("/api/schema/?format=json").json()


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["garbage", "cD0yMDI2"])  # "p=2026": not a time
def test_a_cursor_that_names_no_page_is_not_found(tenant, cursor):
    """A cursor is opaque: one that doesn't decode names no page of the list (DRF's own answer
    too), whatever it reads like; the schema says so on every cursor list."""
    _, raw = api_token_create(account=tenant.account, user=tenant.bob, name="t")
    response = Client(**bearer(raw)).get("/api/v1/lists", {"cursor": cursor})
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "This cursor names no page of this list: follow a `next` or `previous` "
            "link.",
            "fields": {},
        }
    }


def test_the_schema_says_cursor_lists_and_named_objects_can_be_404(schema):
    paths = schema["paths"]
    assert "404" in paths["/api/v1/lists"]["get"]["responses"]
    assert "404" in paths["/api/v1/messages"]["post"]["responses"]  # names a subscription type
    assert "404" not in paths["/api/v1/me"]["get"]["responses"]
    assert "409" in paths["/api/v1/sms-setup/available-numbers"]["get"]["responses"]
    assert "409" not in paths["/api/v1/lists"]["get"]["responses"]


def test_json_bodies_take_no_field_the_schema_doesnt_name(tenant, schema):
    bodies = [
        content["schema"]["$ref"].rsplit("/", 1)[-1]
        for path in schema["paths"].values()
        for operation in path.values()
        for media, content in operation.get("requestBody", {}).get("content", {}).items()
        if media == "application/json" and "$ref" in content["schema"]
    ]
    components = schema["components"]["schemas"]
    assert bodies and all(components[name]["additionalProperties"] is False for name in bodies)
    _, raw = api_token_create(account=tenant.account, user=tenant.bob, name="t")
    response = Client(**bearer(raw)).post(
        "/api/v1/lists/create", {"name": "Fair", "nmae": "x"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"nmae": ["Unknown field."]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": 7}, "name", "Must be text (a JSON string)."),
        ({"name": "Fair", "kind": True}, "kind", "Must be text (a JSON string)."),
        ({"name": "  "}, "name", "This field may not be blank."),
        ({"name": "x" * 201}, "name", "At most 200 characters."),
    ],
)
def test_json_values_are_taken_in_the_type_the_schema_names(tenant, body, field, message):
    """DRF alone would read 7 as "7" and true as "True"; the schema says a string."""
    _, raw = api_token_create(account=tenant.account, user=tenant.bob, name="t")
    response = Client(**bearer(raw)).post(
        "/api/v1/lists/create", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"][field] == [message]


def test_text_the_schema_takes_can_be_stored(schema):
    """Every request text says what the input check refuses (a NUL), and a text that may not
    be blank needs something other than whitespace, in patterns that read alike in Python and
    ECMAScript."""
    name = schema["components"]["schemas"]["ListCreateInput"]["properties"]["name"]
    assert name["pattern"].startswith("^[^\\u0000]*[^\\u0000\\u0009")
    assert name["minLength"] == 1
    query = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/workflows"]["get"]["parameters"]
    }
    assert query["q"]["pattern"] == "^[^\\u0000]*$"


@pytest.mark.django_db
def test_a_name_another_list_has_is_a_conflict(tenant):
    _, raw = api_token_create(account=tenant.account, user=tenant.bob, name="t")
    client = Client(**bearer(raw))
    client.post("/api/v1/lists/create", {"name": "Fair"}, content_type="application/json")
    response = client.post(
        "/api/v1/lists/create", {"name": "fair"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "name_taken",
        "message": "A list named “fair” already exists.",
        "fields": {"name": ["A list named “fair” already exists."]},
    }
