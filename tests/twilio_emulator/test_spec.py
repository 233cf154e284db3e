"""The field lists the emulator tests assert are the ones in Twilio's published specs."""

from __future__ import annotations

import json

import pytest

from tests.twilio_emulator.spec import ACCOUNT_FIELDS, LIST_PAGE_FIELDS, MESSAGE_FIELDS, SPEC_DIR


@pytest.fixture(scope="module")
def api_spec() -> dict:
    return json.loads((SPEC_DIR / "twilio_api_v2010.json").read_text())


@pytest.mark.parametrize(
    ("schema", "fields"),
    [("api.v2010.account", ACCOUNT_FIELDS), ("api.v2010.account.message", MESSAGE_FIELDS)],
)
def test_resource_fields_match_the_spec(api_spec, schema, fields):
    assert set(api_spec["components"]["schemas"][schema]["properties"]) == fields


def test_message_list_page_fields_match_the_spec(api_spec):
    operation = api_spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == LIST_PAGE_FIELDS | {"messages"}
