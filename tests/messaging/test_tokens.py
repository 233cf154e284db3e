from __future__ import annotations

from messaging import tokens


def test_tokens_render_values_and_defaults():
    body = 'Hi {{ contact.first_name | default: "there" }}, {{contact.city}} store opens 9am'
    assert tokens.render(body, {"first_name": "Ana", "city": "Austin"}) == (
        "Hi Ana, Austin store opens 9am"
    )
    assert tokens.render(body, {"first_name": "", "city": None}) == "Hi there,  store opens 9am"


def test_a_body_without_tokens_renders_unchanged():
    assert tokens.render("Sale today", {"first_name": "x"}) == "Sale today"


def test_validation_names_broken_and_unknown_tokens():
    problems = tokens.tokens_validate(
        'Hi {{ contact.first_name | default: "there" }} {{ contact.shoe_size }} {{ oops }}',
        known_properties={"first_name"},
    )
    messages = [p.message for p in problems]
    assert "There is no contact property “shoe_size”." in messages
    unreadable = [p for p in problems if "can't be read" in p.message]
    assert [p.token for p in unreadable] == ["{{ oops }}"]
    assert len(problems) == 2


def test_opt_out_wording_is_recognised():
    assert tokens.has_opt_out_wording("Sale! Reply STOP to opt out")
    assert tokens.has_opt_out_wording("Text END to unsubscribe")
    assert tokens.has_opt_out_wording("Msg&data rates may apply. To unsubscribe reply END")
    assert not tokens.has_opt_out_wording("Stop by our store today")
    # Mentioning opting out is not telling the recipient how to do it.
    assert not tokens.has_opt_out_wording("No opt-out fees, unsubscribe-free savings!")


def test_opt_out_line_is_appended_on_its_own_line():
    assert tokens.body_with_opt_out("Sale", append_opt_out=True) == "Sale\nReply STOP to opt out"
    assert tokens.body_with_opt_out("Sale", append_opt_out=False) == "Sale"


# Opt-out wording: a STOP-family keyword used as an instruction -----------------------------

OPT_OUT_WORDING_CASES = [
    ("Sale! Reply STOP to opt out", True),
    ("Text END to unsubscribe", True),
    ("Msg&data rates may apply. To unsubscribe reply END", True),
    ("Tents 20% off. STOP to end", True),
    ("Reply HELP for help, STOP to opt out.", True),
    ("Reply “STOP” to opt out", True),
    ("Text ‘QUIT’ to stop these texts", True),
    ('Reply "stop" to opt-out', True),
    ("Respond with UNSUBSCRIBE anytime", True),
    ("Stop by our store today", False),
    ("No opt-out fees, unsubscribe-free savings!", False),
    # Saying there is a way out is not saying how: no keyword.
    ("Visit example.com to opt out", False),
    ("Click here to unsubscribe", False),
    # A negated instruction tells the recipient what not to do.
    ("Do not reply stop", False),
    ("Don’t text STOP, you'll miss the sale", False),
    # A keyword inside another word is not the keyword.
    ("See the context stopped in the video", False),
    ("Reply STOPPING to opt out", False),
]


def test_opt_out_wording_needs_a_stop_family_keyword_used_as_an_instruction():
    found = {text: tokens.has_opt_out_wording(text) for text, _ in OPT_OUT_WORDING_CASES}
    assert found == dict(OPT_OUT_WORDING_CASES)


def test_the_accounts_own_opt_out_keywords_count_and_the_standard_ones_always_do():
    assert not tokens.has_opt_out_wording("Reply BASTA to opt out")
    assert tokens.has_opt_out_wording("Reply BASTA to opt out", keywords=["BASTA"])
    assert tokens.has_opt_out_wording("Reply STOP to opt out", keywords=["BASTA"])


def test_a_token_without_a_default_counts_15_characters_until_a_contact_is_chosen(tenant):
    from messaging import selectors
    from tests.factories import ContactFactory

    body = "Hi {{ contact.first_name }}!"
    estimate = selectors.message_preview(
        account=tenant.account, body=body, append_opt_out=False
    ).estimate
    assert estimate.characters == len("Hi !") + 15
    with_default = selectors.message_preview(
        account=tenant.account,
        body='Hi {{ contact.first_name | default: "there" }}!',
        append_opt_out=False,
    )
    assert with_default.estimate.characters == len("Hi there!")
    ann = ContactFactory(account=tenant.account, first_name="Ann")
    for_ann = selectors.message_preview(
        account=tenant.account, body=body, append_opt_out=False, contact=ann
    )
    assert (for_ann.text, for_ann.estimate.characters) == ("Hi Ann!", 7)


def test_sender_and_company_tokens_are_filled_for_the_whole_message(sending):
    from messaging.models import OutboundMessage, SmsMessage
    from messaging.services import compose
    from messaging.services.audience import recipients
    from messaging.services.fanout import message_fanout, plan_for

    sending.tenant.alice.first_name, sending.tenant.alice.last_name = "Alice", ""
    sending.tenant.alice.save()
    sending.contact("Mia", phone="+12125550101")
    body = (
        "Hi {{ contact.first_name }}, {{ sender.first_name }} from {{ account.name }} here. "
        '{{ sender.last_name | default: "" }}Reply STOP to opt out'
    )
    message = sending.message(body=body, status=SmsMessage.Status.SENDING, append_opt_out=False)
    assert compose.message_problems(account=sending.account, message=message) == {}
    message_fanout(message=message, recipients=recipients(message), plan=plan_for(message))
    row = OutboundMessage.objects.get(message=message)
    assert row.body == "Hi Mia, Alice from Acme Outdoor here. Reply STOP to opt out"
    # The composer's preview fills them the same way (the owner is the sender user).
    from messaging import selectors

    preview = selectors.message_preview(
        account=sending.account, body=body, append_opt_out=False, user=sending.tenant.alice
    )
    assert preview.text.startswith("Hi , Alice from Acme Outdoor here.")


def test_unknown_sender_properties_and_message_tokens_in_workflows_are_refused():
    problems = tokens.tokens_validate(
        "Hi from {{ sender.shoe_size }}", known_properties={"first_name"}
    )
    assert [p.message for p in problems] == ["There is no sender property “shoe_size”."]
    problems = tokens.tokens_validate(
        "Hi from {{ account.name }}", known_properties=set(), message_tokens=False
    )
    assert [p.message for p in problems] == ["Only contact tokens can be used here, not account."]
