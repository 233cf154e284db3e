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
