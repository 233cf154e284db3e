"""Searchable pickers: contacts found by name, email or a phone number in any format (and any
part of it), lists and time zones as searchable selects, operators that fit each field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.timezones import time_zone_choices
from contacts import selectors as contact_selectors
from contacts.models import ContactProperty
from tests.conftest import client_for
from tests.messaging.test_send_pages import send_form

pytestmark = pytest.mark.django_db


def test_contacts_are_found_by_any_phone_format_and_any_part_of_the_number(sending, bob_client):
    maya = sending.contact("Maya", phone="+16175550177", email="maya@example.com")
    sending.contact("Noah", phone="+12125550100")
    url = reverse("messaging:contact_search")
    for query in ("(617) 555-0177", "617.555.0177", "+1 617 555 0177", "0177", "555-017", "Maya"):
        results = bob_client.get(url, {"q": query}).json()["results"]
        assert [r["value"] for r in results] == [maya.public_id], query
    [result] = bob_client.get(url, {"q": "maya@"}).json()["results"]
    assert result["text"] == "Maya · maya@example.com · +16175550177"
    # Another account's searcher finds nothing of this one.
    charlie = client_for(sending.tenant.charlie)
    assert charlie.get(url, {"q": "0177"}).json()["results"] == []
    # The contacts index searches the same way.
    index = bob_client.get(reverse("contacts:index"), {"q": "0177"}).content.decode()
    assert "Maya" in index and "Noah" not in index


def test_the_send_page_takes_contacts_as_typed_in_any_phone_format(sending, bob_client):
    maya = sending.contact("Maya", phone="+16175550177", in_list=False)
    message = sending.message()
    url = reverse("messaging:send", args=[message.public_id])
    response = bob_client.post(url, send_form(sending, include_contacts="(617) 555-0177"))
    assert "No contact matches" not in response.content.decode()
    assert list(message.include_contacts.all()) == [maya]
    # The picker shows who was chosen by name, and posts their id.
    page = bob_client.get(url).content.decode()
    assert 'data-picker="contacts"' in page
    assert f'value="{maya.public_id}"' in page
    assert "Maya · +16175550177" in page
    # Lists are a searchable multiple select (chips, not Ctrl-click).
    assert (
        'name="include_lists"' in page
        and "data-picker" in page.split('name="include_lists"')[1][:200]
    )


def test_the_send_page_picks_the_accounts_number_by_default(sending, bob_client):
    message = sending.message(sender=None)
    page = bob_client.get(reverse("messaging:send", args=[message.public_id])).content.decode()
    picker = page.split('name="sender"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{sending.sender.public_id}" selected>' in picker
    assert "no approved number yet" not in picker


def test_time_zones_are_grouped_by_region_with_the_common_ones_first():
    groups = time_zone_choices()
    assert groups[0][0] == "Common"
    assert groups[0][1][0] == ("America/New_York", "Eastern (New York)")
    regions = [name for name, _ in groups]
    assert "Europe" in regions and "Asia" in regions and regions[-1] == "Other"
    europe = dict(groups[regions.index("Europe")][1])
    assert europe["Europe/Paris"] == "Paris"
    every = [zone for _, zones in groups for zone, _ in zones]
    assert len(every) == len(set(every))  # each zone once


def test_operators_fit_each_fields_type(sending, bob_client):
    ContactProperty.objects.create(
        account=sending.account, key="visits", label="Visits", type="number"
    )
    ops = contact_selectors.ops_by_field(
        account=sending.account,
        field_names=[
            "first_name",
            "mobile_phone",
            "property:visits",
            f"list:{sending.audience.public_id}",
        ],
    )
    assert "gt" in ops["property:visits"] and "contains" not in ops["property:visits"]
    assert "sms_valid" in ops["mobile_phone"] and "gt" not in ops["mobile_phone"]
    assert ops[f"list:{sending.audience.public_id}"] == ["in", "not_in"]
    assert "gt" not in ops["first_name"]
    page = bob_client.get(reverse("contacts:index")).content.decode()
    assert 'id="field-ops"' in page and '"property:visits": ["eq", "neq", "gt", "lt"' in page
    page = bob_client.get(reverse("contacts:list_create")).content.decode()
    assert 'id="field-ops"' in page
