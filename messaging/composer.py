"""The composer's parts that any page with a message body reuses (the composer itself, a
workflow's Send SMS step): the insert menus' characters and the settings static/js/composer.js
counts and checks with, the server's own rules (segments, short links, opt-out wording)."""

from __future__ import annotations

from accounts.models import Account
from messaging import links, tokens
from messaging.models import BODY_MAX_LENGTH
from messaging.services import allotment, compose
from registration.models import PhoneNumber

# What the toolbar offers; any other character can be typed or pasted.
EMOJI = "😀 😊 😍 🎉 👍 🙏 ❤️ 🔥 ⭐ ✅ 📣 🎁 🛍️ ⏰ 📅 🚚".split()
# GSM characters people look for first, then a few common ones that force UCS-2.
SPECIAL_CHARACTERS = [
    "€", "£", "¥", "$", "§", "¿", "¡", "@", "#", "%", "&", "[", "]", "{", "}", "~", "|", "^",
    "\\", "é", "è", "ñ", "ü", "©", "®", "™", "°", "•", "–", "…",
]  # fmt: skip


def composer_config(
    *,
    account: Account,
    sender: PhoneNumber | None,
    editable: bool,
    preview_url: str = "",
    body_id: str = "message-body",
    form_id: str = "message-form",
    user=None,
    message_tokens: bool = True,
) -> dict:
    """What composer.js needs, as JSON: limits, the opt-out rule, the short-link length."""
    usage = allotment.usage(account=account)
    return {
        "bodyMaxLength": BODY_MAX_LENGTH,
        "optOutLine": tokens.OPT_OUT_LINE,
        # The server's own opt-out wording rule, so the switch agrees with what saving accepts.
        "optOutPattern": tokens.opt_out_pattern_source(compose.opt_out_keywords(account=account)),
        "optOutNegation": tokens.OPT_OUT_NEGATION.pattern,
        "shortLinkPlaceholder": links.short_link_placeholder(account, sender=sender),
        "maxShortLinks": links.MAX_SHORT_LINKS,
        "previewUrl": preview_url,
        "editable": editable,
        "usage": {"total": usage.total, "used": usage.used, "left": usage.left},
        "unknownValue": tokens.UNKNOWN_VALUE,
        # The sender user's (the message's owner) and the account's token values, filled
        # before counting as the server fills them before fan-out; none for a workflow's text.
        "messageTokenValues": tokens.message_token_values(account=account, user=user)
        if message_tokens
        else {},
        "bodyId": body_id,
        "formId": form_id,
    }


def token_types(*, contact_fields: list[tuple[str, str]], message_tokens: bool = True) -> list:
    """The Personalize menu's types and their properties: the contact's, then (for a message
    with an owner) the sender user's and the company's."""
    types = [("contact", "Contact", contact_fields)]
    if message_tokens:
        for kind, label in (("sender", "Sender user"), ("account", "Company")):
            fields = tokens.MESSAGE_TOKEN_FIELDS[kind]
            types.append((kind, label, [(f"{kind}.{key}", name) for key, name in fields.items()]))
    return types
