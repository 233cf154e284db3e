"""The composer in headless Chromium: live counting that agrees with the server, UCS-2
highlighting and look-alike replacement, personalization, preview and a test send that the
Twilio emulator receives."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from contacts.models import Contact
from messaging import links, segments, selectors, tokens
from messaging.models import SmsMessage
from messaging.services import compose
from tests.conftest import emulated_texts, wait_until
from tests.factories import ContactFactory, KeywordRuleFactory, PhoneNumberFactory
from tests.messaging.segments_corpus import build_corpus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def open_composer(page, live_server, tenant, message: SmsMessage) -> None:
    sign_in(page, live_server, tenant.bob)
    page.goto(f"/sms/{message.public_id}/")
    page.locator("html[data-composer-ready=yes]").wait_for(state="attached")


def shown_count(page) -> tuple[str, int, int]:
    counter = page.locator("#segment-counter")
    return (
        counter.get_attribute("data-encoding"),
        int(counter.get_attribute("data-segments")),
        int(counter.get_attribute("data-characters")),
    )


def expected_count(account, body: str, contact=None) -> tuple[str, int, int]:
    preview = selectors.message_preview(
        account=account,
        body=body,
        append_opt_out=True,
        contact=contact,
        sender=selectors.sender_for(account=account),
    )
    estimate = preview.estimate
    return (estimate.encoding, estimate.segments, estimate.characters)


@pytest.fixture
def draft(tenant) -> SmsMessage:
    PhoneNumberFactory(account=tenant.account, e164="+14155550100", status="active")
    return compose.message_create(account=tenant.account, owner=tenant.bob, name="Spring sale")


def test_compose_count_personalize_preview_and_send_a_test(
    page,
    live_server,
    tenant,
    draft,
    emulator,  # noqa: F811 - fixture
):
    account = tenant.account
    ContactFactory(account=account, first_name="Maya", last_name="Lin")
    open_composer(page, live_server, tenant, draft)
    body = page.locator("#message-body")

    # A GSM text: one segment, and the server's autosave counts the same.
    text = "Spring sale! 20% off tents this weekend at our store."
    body.press_sequentially(text, delay=0)
    assert page.locator("#count-encoding").inner_text() == "GSM-7"
    assert shown_count(page) == expected_count(account, text) == ("GSM-7", 1, 75)
    page.locator("#autosave-status .saved").wait_for()
    server = page.locator("#server-count")
    assert server.get_attribute("data-segments") == "1"
    assert SmsMessage.objects.get(pk=draft.pk).body == text

    # Extension characters cost two septets each.
    body.press_sequentially(" Only €5 [today]", delay=0)
    text += " Only €5 [today]"
    assert shown_count(page) == expected_count(account, text) == ("GSM-7", 1, 94)

    # An emoji switches to UCS-2: the count changes, the culprit is highlighted.
    body.press_sequentially(" 🎉", delay=0)
    text += " 🎉"
    assert shown_count(page) == expected_count(account, text) == ("UCS-2", 2, 93)
    assert page.locator("#count-segments").inner_text() == "2"
    assert page.locator("#preview-bubble mark.ucs2").all_inner_texts() == ["🎉"]
    assert page.locator("#ucs2-list").inner_text() == "🎉"
    wait_until(page, "document.querySelector('#server-count')?.dataset.encoding === 'UCS-2'")
    assert server.get_attribute("data-segments") == "2"
    assert server.get_attribute("data-characters") == "93"

    # Curly quotes have GSM look-alikes: one click swaps them; the emoji has none and stays.
    body.press_sequentially(" It’s “big”", delay=0)
    assert "’ → '" in page.locator("#ucs2-list").inner_text()
    page.get_by_role("button", name="Replace 3 characters with GSM look-alikes").click()
    text += ' It\'s "big"'
    assert body.input_value() == text
    assert shown_count(page) == expected_count(account, text)

    # Personalize: a token with its default, shown in the preview.
    body.press("Home")
    page.locator("#personalize-menu summary").click()
    page.locator("#token-field").select_option("first_name")
    page.locator("#token-default").fill("friend")
    page.get_by_role("button", name="Insert token").click()
    token = '{{ contact.first_name | default: "friend" }}'
    assert body.input_value() == token + text
    body.press_sequentially(", ", delay=0)  # typing goes on after the token
    text = token + ", " + text
    assert body.input_value() == text
    assert page.locator("#preview-bubble").inner_text().startswith("friend, Spring")
    assert shown_count(page) == expected_count(account, text)

    # Preview as a contact: the values come from the server, the count follows.
    page.locator("#preview-contact").select_option(label="Maya Lin")
    wait_until(page, "document.querySelector('#preview-bubble').textContent.startsWith('Maya')")
    maya = Contact.objects.get(first_name="Maya")
    assert shown_count(page) == expected_count(account, text, maya)
    assert page.locator("#preview-as").inner_text() == "Maya Lin"

    # Font size and dark mode.
    page.locator("#preview-font-size").evaluate(
        "el => { el.value = '24'; el.dispatchEvent(new Event('input')); }"
    )
    font_size = page.locator("#preview-bubble").evaluate("el => getComputedStyle(el).fontSize")
    assert font_size == "24px"
    page.get_by_label("Dark mode").check()
    assert "dark" in page.locator("#preview-phone").get_attribute("class")
    background = page.locator("#preview-phone").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert background == "rgb(0, 0, 0)"

    # A test to a typed number, rendered as Maya, reaches the emulator.
    page.locator("#id_phone_numbers").fill("+1 206 555 0177")
    page.get_by_role("button", name="Send test").click()
    page.get_by_text("Test sent to +12065550177").wait_for()
    expected = tokens.render(
        tokens.body_with_opt_out(text, append_opt_out=True), {"first_name": "Maya"}
    )
    [received] = emulated_texts(emulator, "+12065550177")
    assert received["body"] == expected
    assert received["body"].startswith("Maya, Spring sale!")
    assert SmsMessage.objects.get(pk=draft.pk).body == text


def test_links_count_at_the_length_of_their_short_link(page, live_server, tenant, draft):
    open_composer(page, live_server, tenant, draft)
    long_link = "https://shop.example.com/spring/tents?utm_campaign=" + "x" * 120
    text = f"Tents are 20% off: {long_link} See you soon."
    page.locator("#message-body").fill(text)
    short = links.short_link_placeholder(tenant.account)
    assert shown_count(page) == expected_count(tenant.account, text)
    assert shown_count(page)[1] == 1
    note = page.locator("#count-links").inner_text()
    assert f"counted as {len(short)} characters" in note

    # The toolbar's link field: Enter inserts the link at the cursor (it doesn't submit).
    page.locator("#message-body").press("End")
    page.locator("#insert-link-menu summary").click()
    page.locator("#link-url").fill("shop.example.com/boots")
    page.locator("#link-url").press("Enter")
    text += " https://shop.example.com/boots "
    assert page.locator("#message-body").input_value() == text
    assert "2 links counted" in page.locator("#count-links").inner_text()
    assert shown_count(page) == expected_count(tenant.account, text)


def test_the_opt_out_line_stays_on_until_the_body_has_opt_out_wording(
    page, live_server, tenant, draft
):
    open_composer(page, live_server, tenant, draft)
    switch = page.locator("#id_append_opt_out")
    page.locator("#message-body").fill("Tents on sale")
    switch.click()
    assert switch.is_checked()  # refused: the body doesn't say how to opt out
    text = "Tents on sale. Text STOP to opt out."
    page.locator("#message-body").fill(text)
    switch.click()
    assert not switch.is_checked()
    estimate = segments.estimate(text)
    assert shown_count(page) == (estimate.encoding, estimate.segments, estimate.characters)
    page.locator("#autosave-status .saved").wait_for()
    saved = SmsMessage.objects.get(pk=draft.pk)
    assert (saved.body, saved.append_opt_out) == (text, False)


def test_the_browser_count_agrees_with_the_server_over_the_corpus(page, live_server, tenant, draft):
    """Every body of the segment test corpus (a sample, without CR, which a textarea turns
    into LF), typed into the composer, shows the count the server computes."""
    open_composer(page, live_server, tenant, draft)
    corpus = [text for text in build_corpus() if "\r" not in text and len(text) <= 1600]
    sample = corpus[:: max(1, len(corpus) // 400)]
    shown = page.evaluate(
        """texts => texts.map(text => {
            const body = document.getElementById('message-body');
            body.value = text;
            body.dispatchEvent(new Event('input'));
            const c = document.getElementById('segment-counter').dataset;
            return [c.encoding, Number(c.segments), Number(c.characters)];
        })""",
        sample,
    )
    placeholder = links.short_link_placeholder(tenant.account)
    mismatches = []
    for text, got in zip(sample, shown, strict=True):
        preview = selectors.preview_build(
            body=text, append_opt_out=True, values={}, link_placeholder=placeholder
        )
        want = [preview.estimate.encoding, preview.estimate.segments, preview.estimate.characters]
        if got != want:
            mismatches.append((text, got, want))
    assert len(sample) > 300
    assert not mismatches, mismatches[:5]


def test_the_browser_reads_opt_out_wording_as_the_server_does(page, live_server, tenant, draft):
    """The switch's rule (the hint turns "ok") agrees with what saving accepts, for the
    account's own opt-out keyword too."""
    from tests.messaging.test_tokens import OPT_OUT_WORDING_CASES

    KeywordRuleFactory(account=tenant.account, kind="opt_out", word="BASTA")
    open_composer(page, live_server, tenant, draft)
    texts = [text for text, _ in OPT_OUT_WORDING_CASES] + [
        "Reply BASTA to opt out",
        "Reply BASTANTE to opt out",
        "Tents 🎉 on sale 🎉 but don't reply BASTA",
    ]
    shown = page.evaluate(
        """texts => texts.map(text => {
            const body = document.getElementById('message-body');
            body.value = text;
            body.dispatchEvent(new Event('input'));
            return document.getElementById('opt-out-rule').classList.contains('ok');
        })""",
        texts,
    )
    keywords = compose.opt_out_keywords(account=tenant.account)
    server = [tokens.has_opt_out_wording(text, keywords=keywords) for text in texts]
    assert dict(zip(texts, shown, strict=True)) == dict(zip(texts, server, strict=True))
    assert server[-3:] == [True, False, False]
    assert server[: len(OPT_OUT_WORDING_CASES)] == [want for _, want in OPT_OUT_WORDING_CASES]


def test_the_tests_cost_the_composer_shows_is_what_the_server_charges(
    page,
    live_server,
    tenant,
    draft,
    emulator,  # noqa: F811 - fixture
):
    """Links go out as short links (a link holding a token as typed, rendered): the composer's
    "this test needs N segments" is the charge, and the tester gets the real short link."""
    from messaging.models import OutboundMessage

    open_composer(page, live_server, tenant, draft)
    long_link = "https://shop.example.com/spring/tents?utm_term=" + "x" * 120
    text = (
        f"Hi {{{{contact.first_name}}}}, tents 20% off: {long_link} "
        "Your page: https://x.example.com/u/{{contact.first_name}} See you!"
    )
    # Padded to just under one segment: counting the token link at short-link length (it is
    # longer than the link as rendered) would make it two.
    counted = selectors.message_preview(
        account=tenant.account, body=text, sender=selectors.sender_for(account=tenant.account)
    ).counted_text
    text = text.replace("See you!", "See you" + "!" * (158 - len(counted)) + "!")
    page.locator("#message-body").fill(text)
    page.locator("#id_phone_numbers").fill("+1 206 555 0177, +1 206 555 0178")
    cost = page.locator("#test-cost").inner_text()
    # A test send is charged for the text as it goes out (no contact: tokens empty), not for
    # the estimate, which counts an unknown first name as 15 characters.
    exact = selectors.message_preview(
        account=tenant.account, body=text, sender=selectors.sender_for(account=tenant.account)
    ).counted_text
    shown = (None, segments.estimate(exact).segments)
    assert shown[1] == 1
    assert cost.startswith(f"This test needs {2 * shown[1]} of the")

    page.get_by_role("button", name="Send test").click()
    page.get_by_text("Test sent to +12065550178").wait_for()
    rows = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.TEST)
    assert sum(row.segments for row in rows) == 2 * shown[1]
    [received] = emulated_texts(emulator, "+12065550177")
    short = links.short_link_placeholder(tenant.account)
    assert long_link not in received["body"]
    # The token link went out as typed, its token filled (no first name: empty).
    assert "Your page: https://x.example.com/u/ See you!" in received["body"]
    assert len(received["body"]) == 158
    assert len(received["body"]) == len(
        text.replace(long_link, short).replace("{{contact.first_name}}", "")
        + "\nReply STOP to opt out"
    )


def test_autosave_keeps_a_name_edit_while_a_token_is_half_typed(page, live_server, tenant, draft):
    open_composer(page, live_server, tenant, draft)
    page.locator("#message-body").press_sequentially("Hi {{ contact.first_na", delay=0)
    page.locator("#id_name").fill("")
    page.locator("#id_name").press_sequentially("Boots week", delay=0)
    # The title changes once a save carrying the new name came back.
    wait_until(page, "document.querySelector('#message-title').textContent === 'Boots week'")
    assert "can't be read" in page.locator("#autosave-status").inner_text()
    saved = SmsMessage.objects.get(pk=draft.pk)
    assert (saved.name, saved.body) == ("Boots week", "Hi {{ contact.first_na")
    assert page.locator("#message-title").inner_text() == "Boots week"
    # Reopened, the draft is as typed, and says what still blocks sending.
    page.reload()
    assert page.locator("#message-body").input_value() == "Hi {{ contact.first_na"
    assert "Before it can be sent" in page.locator("#autosave-status").inner_text()


def test_autosave_never_says_saved_for_a_body_it_could_not_keep(page, live_server, tenant, draft):
    open_composer(page, live_server, tenant, draft)
    page.locator("#message-body").press_sequentially("Boots on sale", delay=0)
    page.locator("#autosave-status .saved").wait_for()
    # A NUL (pasted from a broken export, say) can't be stored: the input check refuses it.
    page.locator("#message-body").fill("Boots\x00 on sale")
    page.locator("#message-body").dispatch_event("keyup")
    page.locator("#autosave-status .not-saved").wait_for()

    status = page.locator("#autosave-status").inner_text()
    assert "Not saved" in status and "NUL character" in status
    assert page.locator("#autosave-status .saved").count() == 0
    assert page.locator("#message-body").input_value() == "Boots\x00 on sale"
    assert SmsMessage.objects.get(pk=draft.pk).body == "Boots on sale"


def test_a_test_send_can_be_personalized_as_another_contact_than_the_preview(
    page,
    live_server,
    tenant,
    draft,
    emulator,  # noqa: F811 - fixture
):
    ContactFactory(account=tenant.account, first_name="Maya", last_name="Lin")
    ContactFactory(account=tenant.account, first_name="Noah", last_name="Kim")
    open_composer(page, live_server, tenant, draft)
    page.locator("#message-body").fill('Hi {{ contact.first_name | default: "there" }}!')
    page.locator("#preview-contact").select_option(label="Maya Lin")
    wait_until(page, "document.querySelector('#preview-bubble').textContent.startsWith('Hi Maya')")
    # The test follows the preview (Maya) until another contact is chosen for it.
    picker = page.locator("#id_as_contact-ts-control")
    assert "Maya Lin" in picker.locator("..").inner_text()
    picker.fill("Noah")
    page.locator(".ts-dropdown .option", has_text="Noah").click()
    page.keyboard.press("Escape")
    page.locator("#id_phone_numbers").fill("+1 206 555 0179")
    page.get_by_role("button", name="Send test").click()
    page.get_by_text("Test sent to +12065550179").wait_for()
    [received] = emulated_texts(emulator, "+12065550179")
    assert received["body"].startswith("Hi Noah!")
    # The preview still shows Maya.
    assert page.locator("#preview-bubble").inner_text().startswith("Hi Maya")


def test_personalize_offers_the_contact_the_sender_user_and_the_company(
    page, live_server, tenant, draft
):
    open_composer(page, live_server, tenant, draft)
    body = page.locator("#message-body")
    body.fill("Hello from ")
    page.locator("#personalize-menu summary").click()
    assert page.locator("#token-type option").all_inner_texts() == [
        "Contact",
        "Sender user",
        "Company",
    ]
    page.locator("#token-type").select_option("account")
    assert page.locator("#token-field").input_value() == "account.name"
    page.locator("#token-default").fill("")
    page.get_by_role("button", name="Insert token").click()
    assert body.input_value() == "Hello from {{ account.name }}"
    assert page.locator("#preview-bubble").inner_text().startswith("Hello from Acme Outdoor")
    expected = selectors.message_preview(
        account=tenant.account, body=body.input_value(), user=draft.owner
    ).estimate
    assert shown_count(page) == (expected.encoding, expected.segments, expected.characters)
    page.locator("#autosave-status .saved").wait_for()
