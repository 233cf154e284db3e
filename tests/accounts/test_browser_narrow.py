"""Every main page works on a 390 px phone: the navigation wraps and nothing is wider than the
screen."""

from __future__ import annotations

import pytest

from analytics.services import rollups
from tests.analytics.helpers import campaign_with_results
from tests.messaging.test_browser_composer import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390


def test_main_pages_fit_a_390px_screen(page, live_server, sending, emulator, client):
    message, _, contacts = campaign_with_results(sending, client)
    rollups.rollups_apply_all()
    draft = sending.message(name="Summer teaser")
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    sign_in(page, live_server, sending.tenant.alice)
    pages = [
        "/",
        "/contacts/",
        f"/contacts/{contacts['Ann'].public_id}/",
        "/contacts/lists/",
        "/contacts/imports/",
        "/sms/",
        f"/sms/{draft.public_id}/",
        f"/sms/{draft.public_id}/?tab=settings",
        f"/sms/{draft.public_id}/send/",
        f"/analytics/messages/{message.public_id}/",
        f"/analytics/messages/{message.public_id}/?tab=recipients",
        "/analytics/",
        "/sms/inbox/",
        "/workflows/",
        "/settings/sms/",
        "/settings/team/",
        "/consent/keywords/",
    ]
    too_wide = {}
    for path in pages:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE_WIDTH:
            # Name the widest culprits, to say what to fix.
            too_wide[path] = page.evaluate(
                """w => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w + 1
                  && e.parentElement.getBoundingClientRect().right <= w + 1)
                .slice(0, 3).map(e => e.tagName + '#' + e.id + '.' + e.className)""",
                PHONE_WIDTH,
            )
    assert too_wide == {}
    # The navigation wraps onto more lines instead of running off the screen.
    page.goto("/")
    nav = page.locator(".topbar nav")
    assert nav.bounding_box()["width"] <= PHONE_WIDTH
    assert page.get_by_role("link", name="Workflows").is_visible()
