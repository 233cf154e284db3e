"""Every main page under the strict Content-Security-Policy, in headless Chromium: no
violation anywhere, and htmx, Chart.js and the composer still do their work."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from analytics.services import rollups
from messaging.services import compose
from tests.analytics.helpers import campaign_with_results
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects what the browser reports; an init script is the browser's, not the page's, so the
# policy doesn't apply to it.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " at " + (e.sourceFile || location.pathname) + ":" + e.lineNumber);
});
"""


@pytest.fixture
def watched(page, live_server, tenant):
    problems: list[str] = []
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda message: message.type == "error" and problems.append(f"console: {message.text}"),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    client = Client()
    client.force_login(tenant.alice)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )

    def visit(path: str) -> None:
        response = page.goto(path)
        assert response.status == 200, (path, response.status)
        page.wait_for_load_state("networkidle")
        problems.extend(f"{path}: {v}" for v in page.evaluate("window.__violations"))

    return page, visit, problems


def test_the_main_pages_run_under_the_policy_without_a_violation(
    watched, emulator, sending, tenant
):
    page, visit, problems = watched
    message, rows, contacts = campaign_with_results(sending, Client())
    rollups.rollups_apply_all()
    draft = compose.message_create(account=tenant.account, owner=tenant.alice, name="Draft")
    draft.include_lists.add(sending.audience)
    contact = contacts["Ann"]

    response = page.goto("/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]

    for path in (
        "/",
        "/contacts/",
        f"/contacts/{contact.public_id}/",
        "/contacts/lists/",
        f"/contacts/lists/{sending.audience.public_id}/",
        "/contacts/imports/",
        "/contacts/properties/",
        "/contacts/sms-tools/reformat/",
        "/consent/ledger/",
        "/consent/keywords/",
        "/sms/",
        "/sms/inbox/",
        "/sms/test-phones/",
        "/sms/settings/sending/",
        f"/sms/{draft.public_id}/send/",
        f"/sms/{message.public_id}/send/",
        "/analytics/",
        "/analytics/messages/compare/",
        "/workflows/",
        "/workflows/new/",
        "/settings/sms/",
        "/settings/team/",
        "/settings/api-tokens/",
        "/settings/account/",
        "/api/docs/",
    ):
        visit(path)

    # Chart.js draws: the results page and the Analyze tab have live charts.
    for path in (f"/analytics/messages/{message.public_id}/", "/analytics/"):
        visit(path)
        wait_until(page, "window.Chart && Object.keys(Chart.instances).length > 0")

    # The composer counts as you type, and htmx autosaves.
    visit(f"/sms/{draft.public_id}/")
    page.locator("html[data-composer-ready=yes]").wait_for(state="attached")
    page.locator("#message-body").press_sequentially("Boots on sale", delay=0)
    page.locator("#autosave-status .saved").wait_for()
    assert int(page.locator("#segment-counter").get_attribute("data-characters")) > 13
    # htmx swaps the send page's review in.
    visit(f"/sms/{draft.public_id}/send/")

    # Swagger UI renders the schema from its own script file.
    visit("/api/docs/")
    page.locator(".swagger-ui .info").wait_for()

    problems.extend(page.evaluate("window.__violations"))
    assert not problems, "\n".join(problems)
