"""In headless Chromium at a phone's width: Analytics > Consent draws its charts from the
rollups and nothing spills sideways."""

from __future__ import annotations

import pytest

from analytics.services import consent_rollups
from tests.analytics.helpers import consent_history
from tests.analytics.test_browser_performance import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_consent_report_at_390_px(page, live_server, sending, tenant):
    consent_history(sending)
    consent_rollups.consent_rollups_apply_all()
    sign_in(page, live_server, tenant.alice)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/analytics/")
    page.click("#consent-tab")
    page.wait_for_url("**/analytics/consent/")
    page.goto("/analytics/consent/?start=2026-06-01&end=2026-06-30")
    assert page.locator("#total-opt-ins").inner_text() == "7"
    assert page.locator("#total-opt-outs").inner_text() == "3"
    for chart in ("now-chart", "series-chart", "sources-chart", "keywords-chart"):
        page.wait_for_selector(f"#{chart}[data-drawn='true']")
    assert "Marketing SMS" in page.locator("#now-table").inner_text()
    # The report's own content fits: wide tables scroll in their box (the page shell's
    # navigation is the shell's business).
    assert page.evaluate("document.querySelector('main').scrollWidth") <= page.evaluate(
        "document.querySelector('main').clientWidth"
    )
