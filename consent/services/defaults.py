"""What every account starts with: the "Marketing SMS" subscription type and the keyword sets."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Account
from accounts.names import unique_name_clean
from consent.models import KeywordKind, KeywordRule, SubscriptionType

DEFAULT_SUBSCRIPTION_TYPE = "Marketing SMS"
# The opt-out words Twilio itself acts on (Advanced Opt-Out's defaults), and with them the opt-in
# and help words it answers on long codes: we send no reply of our own to those there, or the
# person would get two. Twilio's opt-out words are every account's too.
TWILIO_OPT_OUT_KEYWORDS = (
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
)
TWILIO_STANDARD_KEYWORDS = frozenset(
    {*TWILIO_OPT_OUT_KEYWORDS, "START", "YES", "UNSTOP", "HELP", "INFO"}
)
# What Twilio texts back on a long code when someone sends one of those words (its standard
# replies, Advanced Opt-Out off): what the contact actually receives, whatever we store.
CARRIER_REPLIES = {
    KeywordKind.OPT_OUT: (
        "You have successfully been unsubscribed. You will not receive any more messages from "
        "this number. Reply START to resubscribe."
    ),
    KeywordKind.OPT_IN: (
        "You have successfully been re-subscribed to messages from this number. Reply HELP for "
        "help. Reply STOP to unsubscribe. Msg&Data Rates May Apply."
    ),
    KeywordKind.HELP: "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}


def carrier_reply(word: str) -> str:
    """The reply Twilio sends itself to a standard keyword on a long code ("" for others)."""
    word = word.upper()
    if word in TWILIO_OPT_OUT_KEYWORDS:
        return CARRIER_REPLIES[KeywordKind.OPT_OUT]
    if word in ("START", "YES", "UNSTOP"):
        return CARRIER_REPLIES[KeywordKind.OPT_IN]
    if word in ("HELP", "INFO"):
        return CARRIER_REPLIES[KeywordKind.HELP]
    return ""


DEFAULT_KEYWORDS = {
    KeywordKind.OPT_OUT: TWILIO_OPT_OUT_KEYWORDS,
    KeywordKind.OPT_IN: ("START", "YES", "UNSTOP", "SUBSCRIBE"),
    KeywordKind.HELP: ("HELP", "INFO"),
}


def default_reply(kind: str, account: Account) -> str:
    name = account.name
    if kind == KeywordKind.OPT_OUT:
        return (
            f"{name}: You're unsubscribed and will get no more messages. Reply START to "
            "resubscribe."
        )
    if kind == KeywordKind.OPT_IN:
        return (
            f"{name}: You're subscribed to our text messages. Msg & data rates may apply. "
            "Reply HELP for help, STOP to opt out."
        )
    if kind == KeywordKind.HELP:
        return (
            f"{name}: Reply to this message for help. Msg & data rates may apply. Reply STOP "
            "to opt out."
        )
    return ""


@transaction.atomic
def account_defaults_ensure(*, account: Account) -> None:
    """Give the account its default subscription type and keywords. Idempotent.

    The full default keyword sets are created once (an account may later remove its own
    additions such as SUBSCRIBE); Twilio's standard words are put back whenever missing, since
    Twilio acts on them whatever we store.
    """
    if not SubscriptionType.objects.filter(account=account, is_default=True).exists():
        existing = SubscriptionType.objects.filter(
            account=account, name=DEFAULT_SUBSCRIPTION_TYPE
        ).first()
        if existing is not None:
            existing.is_default = True
            existing.save(update_fields=["is_default"])
        else:
            SubscriptionType.objects.create(
                account=account,
                name=DEFAULT_SUBSCRIPTION_TYPE,
                description="Marketing text messages: offers, news and reminders.",
                is_default=True,
            )
    present = set(KeywordRule.objects.filter(account=account).values_list("word", flat=True))
    first_time = not present
    rules = []
    for kind, words in DEFAULT_KEYWORDS.items():
        for word in words:
            if word in present or not (first_time or word in TWILIO_STANDARD_KEYWORDS):
                continue
            rules.append(
                KeywordRule(
                    account=account, kind=kind, word=word, reply_text=default_reply(kind, account)
                )
            )
    KeywordRule.objects.bulk_create(rules, ignore_conflicts=True)


def _name_clean(account: Account, name: str, exclude: SubscriptionType | None = None) -> str:
    others = SubscriptionType.objects.filter(account=account).exclude(
        pk=getattr(exclude, "pk", None)
    )
    return unique_name_clean(name, noun="subscription type", max_length=100, others=others)


@transaction.atomic
def subscription_type_create(
    *, account: Account, name: str, description: str = ""
) -> SubscriptionType:
    return SubscriptionType.objects.create(
        account=account, name=_name_clean(account, name), description=description.strip()[:300]
    )


@transaction.atomic
def subscription_type_update(
    *, account: Account, subscription_type: SubscriptionType, name: str, description: str = ""
) -> SubscriptionType:
    """Rename or describe a type. Types are never deleted: the ledger refers to them."""
    subscription_type = SubscriptionType.objects.select_for_update().get(
        pk=subscription_type.pk, account=account
    )
    subscription_type.name = _name_clean(account, name, exclude=subscription_type)
    subscription_type.description = description.strip()[:300]
    subscription_type.save(update_fields=["name", "description"])
    return subscription_type
