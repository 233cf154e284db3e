"""The whole journey of a new business, in Chromium: sign up -> confirm the email -> SMS setup
through approval (the emulator approves) -> import contacts with their consent -> compose with a
token and a link -> settings -> send -> the results show deliveries and a click. Once on a
desktop screen and once on a 390 px phone."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import requests
import time_machine
from django.conf import settings as django_settings
from django.core import mail

from analytics.services import rollups
from messaging import links
from messaging.models import SmsMessage
from tests.analytics.helpers import IPHONE
from tests.conftest import emulated_texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tandem-ride-2026"
CONTACTS_CSV = (
    "First name,Last name,Email,Mobile phone\n"
    "Maya,Lin,maya@example.com,(212) 555-2101\n"
    "Noah,Kim,noah@example.com,212.555.2102\n"
)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_new_business_signs_up_sets_up_sms_imports_composes_sends_and_reads_results(
    page, live_server, emulator, settings, tmp_path, width
):
    # Early afternoon in New York tomorrow: inside quiet hours for the recipients (212), and
    # the browser's cookies stay in the future of the real clock.
    now = dt.datetime.now(dt.UTC)
    afternoon = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(18, 0), dt.UTC)
    # Twilio's callbacks (the Messaging Service is created during setup) reach this server.
    settings.PUBLIC_BASE_URL = live_server.url
    page.set_viewport_size({"width": width, "height": 900})
    with time_machine.travel(afternoon, tick=True):
        _journey(page, live_server, emulator, tmp_path, narrow=width < 768)


def _open_settings_link(page, name: str) -> None:
    page.locator("#settings-menu summary").click()
    page.locator("#settings-menu").get_by_role("link", name=name).click()


def _journey(page, live_server, emulator, tmp_path, *, narrow: bool):
    # 1. Sign up, then confirm the address from the email.
    page.goto("/login/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Business name").fill("Harbor Bikes")
    page.get_by_label("Work email").fill("owner@harborbikes.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    [email] = mail.outbox
    link = re.search(r"https?://\S+/signup/confirm/\S+/", email.body).group()
    page.goto("/" + link.split("://", 1)[1].split("/", 1)[1])
    page.get_by_role("button", name="Confirm and continue").click()
    page.get_by_role("heading", name="Harbor Bikes").wait_for()
    checklist = page.locator("#getting-started")
    assert "0 of 4 done" in checklist.inner_text()

    # 2. SMS setup, from the checklist, through approval.
    checklist.get_by_role("link", name="Set up SMS").click()
    page.get_by_role("heading", name="SMS setup").wait_for()
    page.get_by_role("link", name="Check eligibility").click()
    page.locator("#id_sole_proprietor_1").check()  # No
    page.get_by_label("Promotions, sales and offers").check()
    page.get_by_label("United States (+1)").check()
    page.get_by_role("button", name="Check eligibility").click()

    page.get_by_role("heading", name="Company").wait_for()
    page.get_by_label("Legal business name").fill("Harbor Bikes LLC")
    page.get_by_label("Website URL").fill("https://harborbikes.example")
    page.get_by_label("Business type").select_option("llc")
    page.get_by_label("Industry").select_option("RETAIL")
    page.get_by_label("USA and Canada").check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Address").wait_for()
    page.get_by_label("Street address").fill("9 Harbor Way")
    page.get_by_label("City").fill("Brooklyn")
    page.get_by_label("State or province").select_option("NY")
    page.get_by_label("ZIP or postal code").fill("11201")
    page.get_by_label("Country").select_option("US")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Registration").wait_for()
    page.get_by_label("Private").check()
    assert not page.get_by_label("Stock ticker (public companies)").is_visible()
    page.get_by_label("Business registration number").fill("12-3456789")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Point of contact").wait_for()
    page.get_by_label("First name").fill("Hana")
    page.get_by_label("Last name").fill("Owner")
    page.get_by_label("Business email").fill("owner@harborbikes.example")
    page.get_by_label("Phone").fill("212 555 0142")
    page.get_by_label("Job title").fill("Owner")
    page.get_by_label("Position").select_option("CEO")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Review your business registration").wait_for()
    page.get_by_role("button", name="Submit registration").click()
    page.locator("#brand-approved").wait_for()

    page.locator("#use-case-start").click()
    page.get_by_label("Campaign description").fill(
        "Harbor Bikes texts customers who opted in about service specials, new bikes and "
        "group rides from our Brooklyn shop."
    )
    page.get_by_label("Sample message 1").fill(
        "Harbor Bikes: spring tune-ups are 20% off this week. Reply STOP to opt out."
    )
    page.get_by_label("Sample message 2").fill(
        "New e-bikes just landed at Harbor Bikes. Test ride one this Saturday!"
    )
    page.get_by_label("A form on our website").check()
    page.get_by_label("Describe how consent is collected").fill(
        "Customers tick an unchecked SMS box on our website's signup form, which states the "
        "message frequency and that they can reply STOP at any time."
    )
    page.get_by_label("Opt-in page URL").fill("https://harborbikes.example/sms")
    page.locator("#id_has_links_0").check()  # our texts carry links
    page.locator("#id_has_phone_numbers_1").check()
    page.get_by_label("Got it").check()
    page.get_by_role("button", name="Save and review").click()
    page.get_by_role("button", name="Submit SMS use case").click()
    page.locator(
        '#step-use-case [data-status="in_review"], #step-use-case [data-status="approved"]'
    ).first.wait_for()
    page.locator("#numbers-start").click()
    page.get_by_label("Area code").fill("212")
    page.get_by_role("button", name="Search numbers").click()
    page.locator("#number-results table").wait_for()
    page.locator("#number-results summary").first.click()
    page.locator("#number-results").get_by_role("button", name=re.compile(r"^Buy ")).first.click()
    page.locator("#phone-numbers tr[data-e164]").first.wait_for()
    page.locator("nav[aria-label=breadcrumb] a").first.click()
    page.locator("#setup-complete").wait_for()

    # 3. Import contacts with their consent, into a list.
    page.goto("/")
    assert "1 of 4 done" in page.locator("#getting-started").inner_text()
    page.locator("#getting-started").get_by_role("link", name="Import contacts").click()
    csv_path = tmp_path / "customers.csv"
    csv_path.write_text(CONTACTS_CSV)
    page.get_by_label("CSV file").set_input_files(str(csv_path))
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_label("…or a new list named").fill("Customers")
    page.get_by_label("Subscribe them to (optional)").select_option(label="Marketing SMS")
    page.get_by_label("I confirm that every contact in this file").check()
    page.get_by_label("How and where they gave consent").fill("Website signup form, spring 2026")
    page.get_by_role("button", name="Start import").click()
    page.locator("#import-summary").wait_for()
    assert page.locator("#created-count").inner_text() == "2"
    page.goto("/")
    assert "3 of 4 done" in page.locator("#getting-started").inner_text()

    # 4. Compose with a token and a link; settings; send or schedule; review; send.
    page.locator("#getting-started").get_by_role("link", name="Send a first message").click()
    page.get_by_label("Name").fill("Spring tune-up")
    page.get_by_role("button", name="Create and write the message").click()
    page.locator("html[data-composer-ready=yes]").wait_for(state="attached")
    body = page.locator("#message-body")
    body.fill("Hi ")
    page.locator("#personalize-menu summary").click()
    page.locator("#token-field").select_option("first_name")
    page.locator("#token-default").fill("there")
    page.get_by_role("button", name="Insert token").click()
    body.press("End")
    body.press_sequentially(", tune-ups are 20% off: https://harborbikes.example/tune-up")
    assert page.locator("#preview-bubble").inner_text().startswith("Hi there, tune-ups")
    assert page.locator("#count-encoding").inner_text() == "GSM-7"
    page.get_by_role("button", name="Next: Settings").click()
    assert page.get_by_label("Subscription type").is_visible()
    page.get_by_role("button", name="Next: Send or schedule").click()
    page.wait_for_url("**/send/")
    page.locator("#id_include_lists-ts-control").fill("Cust")
    page.locator(".ts-dropdown .option", has_text="Customers").first.click()
    page.keyboard.press("Escape")
    page.get_by_label("Send now").check()
    page.get_by_role("button", name="Next: Review").click()
    assert page.locator("#sendable").inner_text() == "2"
    assert page.locator("#segments-total").inner_text().startswith("2 ")  # GSM-7, one each
    page.locator("#send-button").click()
    page.locator("#send-progress").wait_for()

    message = SmsMessage.objects.get(name="Spring tune-up")
    maya_text = _wait_for(lambda: emulated_texts(emulator, "+12125552101"))
    assert maya_text[0]["body"].startswith("Hi Maya, tune-ups are 20% off: ")
    assert "harborbikes.example" not in maya_text[0]["body"]  # shortened

    # 5. Maya taps the link on her phone; the results show deliveries and the click.
    [short] = links.links_in(maya_text[0]["body"])
    code = short.rsplit("/", 1)[1]
    tap = requests.get(
        f"{live_server.url}/{code}",
        headers={"Host": django_settings.PUBLIC_LINK_DOMAIN, "User-Agent": IPHONE},
        allow_redirects=False,
        timeout=10,
    )
    assert tap.status_code == 302
    assert tap.headers["Location"].startswith("https://harborbikes.example/tune-up?utm_source=")

    def results_ready() -> bool:
        rollups.rollups_apply_all()
        page.goto(f"/analytics/messages/{message.public_id}/")
        return page.locator("#kpi-delivery-rate").inner_text() == "100.0%"

    assert _wait_for(results_ready), page.locator("#kpis").inner_text()
    assert page.locator("#kpi-sent").inner_text() == "2"
    assert page.locator("#kpi-unique-clicks").inner_text() == "1"
    assert page.locator("#kpi-click-rate").inner_text() == "50.0%"
    received = page.locator("#original-message").inner_text()
    assert received.startswith(("Hi Maya, tune-ups", "Hi Noah, tune-ups"))
    assert "{{" not in received

    # Home: every step ticked, the send among the recent ones with its rates.
    page.goto("/")
    assert page.locator("#getting-started").count() == 0
    recent = page.locator("#recent-sends").inner_text()
    assert "Spring tune-up" in recent and "100.0%" in recent and "50.0%" in recent
    if narrow:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)
