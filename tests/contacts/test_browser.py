"""In a real browser: import a CSV with some bad rows, watch the progress bar turn into the
summary and the report, then opt a contact in by hand and find the ledger entry."""

from __future__ import annotations

import os

import pytest

from contacts import tasks
from contacts.models import ContactImport
from tests.conftest import PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "First name,Last name,Email,Mobile phone\n"
    "Ada,Lovelace,ada@example.com,(212) 555-0101\n"
    '=HYPERLINK("http://evil.example"),X,evil@example.com,212 555 0102\n'
    "Bob,,not-an-email,212 555 0103\n"
    "Cy,Young,cy@example.com,+1 340 712 3456\n"
)


def sign_in(page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Acme Outdoor").wait_for()


def test_import_with_bad_rows_then_manual_opt_in(page, tenant, tmp_path, settings, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    queued = []
    # Hold the worker back so the page shows the running import; the test plays the worker.
    monkeypatch.setattr(tasks.contact_import_run_task, "delay", lambda *a: queued.append(a))
    sign_in(page, tenant.bob.email)

    page.locator(".main-nav").get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("button", name="Import CSV").click()
    path = tmp_path / "spring-fair.csv"
    path.write_text(CSV)
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and map columns").click()

    page.get_by_role("heading", name="Map the columns of spring-fair.csv").wait_for()
    assert page.get_by_text("Lovelace").first.is_visible()  # the preview
    assert page.get_by_label("Import Mobile phone as").input_value() == "mobile_phone"
    page.get_by_role("button", name="Start import").click()

    progress = page.locator("#import-bar")
    progress.wait_for()
    assert page.get_by_text("Waiting for a worker").is_visible()
    assert len(queued) == 1
    tasks.contact_import_run_task(*queued[0])

    # htmx polls the progress partial and swaps in the summary.
    page.locator("#import-summary").wait_for()
    assert page.locator("#created-count").inner_text() == "2"
    assert page.locator("#rejected-count").inner_text() == "2"
    reasons = page.locator("#rejection-reasons").inner_text()
    assert "1 × Email: “…” is not an email address." in reasons  # grouped, values left out
    with page.expect_download() as download_info:
        page.locator("#download-report").click()
    report = download_info.value.path().read_text(encoding="utf-8-sig")
    assert "would run as a formula" in report and "not an email address" in report
    assert "'=HYPERLINK" in report  # neutralised in the report too
    assert ContactImport.objects.get().status == "done"

    page.locator(".main-nav").get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("link", name="Cy Young").wait_for()
    page.get_by_role("link", name="Ada Lovelace").click()
    page.get_by_role("heading", name="Ada Lovelace").wait_for()
    assert page.locator("#consent-status").get_by_text("Not specified").is_visible()

    page.get_by_text("Opt in or opt out").click()
    page.get_by_label("How was consent given").fill("Signed up at the spring fair stand")
    page.get_by_role("button", name="Record consent change").click()
    assert page.get_by_text(
        "Confirm that this contact gave express, verifiable consent"
    ).is_visible()

    page.get_by_text("Opt in or opt out").click()
    page.get_by_label("How was consent given").fill("Signed up at the spring fair stand")
    page.get_by_label("I confirm that express, verifiable consent").check()
    page.get_by_role("button", name="Record consent change").click()
    page.get_by_text("recorded in the consent ledger").wait_for()
    assert page.locator("#consent-status").get_by_text("Subscribed").is_visible()
    ledger = page.locator("#ledger-table")
    assert ledger.get_by_text("Signed up at the spring fair stand").is_visible()
    assert ledger.get_by_text("Manual change").is_visible()
    assert ledger.get_by_text(tenant.bob.email).is_visible()
    assert page.locator("#timeline").get_by_text("Subscribed to Marketing SMS").is_visible()
