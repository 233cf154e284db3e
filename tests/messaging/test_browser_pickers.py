"""The pickers in Chromium: lists and contacts chosen by typing, the contacts' action bar on
selection, and operators that follow the chosen field."""

from __future__ import annotations

import pytest

from contacts.models import ContactProperty
from tests.messaging.test_browser_composer import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_choose_lists_and_contacts_by_typing(page, live_server, sending):
    sending.contact("Ann", phone="+12125552001")
    maya = sending.contact("Maya", phone="+16175550177", in_list=False)
    message = sending.message()
    message.include_lists.clear()
    sign_in(page, live_server, sending.tenant.bob)
    page.goto(f"/sms/{message.public_id}/send/")

    lists = page.locator("#id_include_lists-ts-control")
    lists.fill("Cust")
    page.locator(".ts-dropdown .option", has_text="Customers").first.click()
    contacts = page.locator("#id_include_contacts-ts-control")
    contacts.fill("(617) 555-0177")
    page.locator(".ts-dropdown .option", has_text="Maya").click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Next: Review").click()
    assert page.locator("#sendable").inner_text() == "2"
    assert set(message.include_contacts.values_list("pk", flat=True)) == {maya.pk}
    # Back on the page, Maya is shown by name.
    assert "Maya" in page.locator("#id_include_contacts-ts-control").locator("..").inner_text()


def test_the_action_bar_appears_on_selection_and_operators_follow_the_field(
    page, live_server, sending
):
    ContactProperty.objects.create(
        account=sending.account, key="visits", label="Visits", type="number"
    )
    ann = sending.contact("Ann", phone="+12125552001")
    sign_in(page, live_server, sending.tenant.bob)
    page.goto("/contacts/")
    bar = page.locator("#bulk-actions")
    assert bar.is_hidden()
    page.get_by_label(f"Select {ann}").check()
    assert bar.is_visible()
    assert page.locator("#selected-count").inner_text() == "1"
    page.get_by_label(f"Select {ann}").uncheck()
    assert bar.is_hidden()

    row = page.locator(".property-filter").first
    row.locator('select[name="field"]').select_option("property:visits")
    enabled = row.locator('select[name="op"] option:not([disabled])').all_inner_texts()
    assert "is greater than (after)" in enabled and "contains" not in enabled
    row.locator('select[name="field"]').select_option("mobile_phone")
    enabled = row.locator('select[name="op"] option:not([disabled])').all_inner_texts()
    assert "is valid for SMS" in enabled and "is greater than (after)" not in enabled
