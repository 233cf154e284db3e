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
        "bodyId": body_id,
        "formId": form_id,
    }
