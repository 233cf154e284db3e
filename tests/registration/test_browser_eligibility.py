"""In Chromium: a refusal goes stale as soon as an answer changes."""

from __future__ import annotations

import pytest

from tests.messaging.test_browser_composer import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refusal_goes_stale_when_an_answer_changes(page, live_server, tenant):
    sign_in(page, live_server, tenant.alice)
    page.goto("/settings/sms/eligibility/")
    page.locator("#id_sole_proprietor_0").check()  # Yes
    page.get_by_label("Promotions, sales and offers").check()
    page.get_by_label("United States (+1)").check()
    page.get_by_role("button", name="Check eligibility").click()
    refused = page.locator("#eligibility-refused")
    assert "Sole proprietors" in refused.inner_text()
    page.locator("#id_sole_proprietor_1").check()  # corrected: No
    assert not refused.locator(".errorlist").is_visible()
    assert refused.get_by_text("Your answers changed since: check eligibility again.").is_visible()
