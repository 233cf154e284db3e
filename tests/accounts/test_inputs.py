"""Text that can't be stored is refused at the door with a 400 that names where it was
(accounts.inputs); the walk over every route is tests/accounts/test_bad_input_walk.py."""

from __future__ import annotations

import json

import pytest

from accounts.inputs import JSON_MAX_BYTES, JSON_MAX_DEPTH
from accounts.services import api_token_create
from contacts.models import Contact

pytestmark = pytest.mark.django_db


def test_a_nul_in_a_search_gets_a_400_naming_the_parameter(alice_client):
    response = alice_client.get("/contacts/?q=ab%00c")

    assert response.status_code == 400
    assert "query parameter “q” contains a NUL character (U+0000)" in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/contacts/export.csv", "/contacts/sms-tools/reformat/preview.csv"]
)
def test_a_csv_export_with_a_nul_filter_is_refused_not_cut_off(alice_client, path):
    response = alice_client.get(path + "?q=%00")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_nul_in_a_form_field_is_refused_and_nothing_is_created(alice_client):
    response = alice_client.post(
        "/contacts/new/", {"first_name": "Ann\x00", "email": "ann@example.com"}
    )

    assert response.status_code == 400
    assert "Not saved: The field “first_name” contains a NUL" in response.content.decode()
    assert not Contact.objects.exists()


@pytest.fixture
def api(tenant, client):
    _, token = api_token_create(account=tenant.account, user=tenant.alice, name="t")

    def post(body: str | bytes):
        return client.post(
            "/api/v1/contacts/create",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return post


def test_an_unpaired_surrogate_in_json_gets_the_api_error_naming_the_field(api):
    response = api('{"first_name": "Ann\\ud800", "email": "ann@example.com"}')

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert "unpaired surrogate (U+D800)" in error["message"]
    assert list(error["fields"]) == ["first_name"]
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[" * 1000 + "]" * 1000, "nested more than"),
        ('{"a":' * (JSON_MAX_DEPTH + 2) + "1" + "}" * (JSON_MAX_DEPTH + 2), "nested more than"),
        (json.dumps({"first_name": "x" * JSON_MAX_BYTES}), "larger than"),
    ],
)
def test_too_deep_or_too_large_json_gets_a_clear_400(api, body, message):
    response = api(body)

    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert not Contact.objects.exists()


def test_ordinary_json_still_reaches_the_api(api):
    response = api(json.dumps({"first_name": "Ann", "email": "ann@example.com"}))

    assert response.status_code == 201, response.content
