"""Keyword rules, and what an inbound text does to consent."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import Account
from consent.models import (
    ConsentSource,
    ConsentState,
    ConsentStatus,
    KeywordKind,
    KeywordRule,
    SubscriptionType,
)
from consent.services.consent import BulkConsentResult, phone_consent_set
from consent.services.defaults import (
    TWILIO_STANDARD_KEYWORDS,
    account_defaults_ensure,
    default_reply,
)
from consent.services.opt_in_pages import opt_in_request_confirm, opt_in_request_pending
from contacts import services as contact_services
from contacts.models import Contact, Engagement, EngagementKind

_EDGE_NOISE = re.compile(r"^[\W_]+|[\W_]+$")
_WORDS = re.compile(r"[^\W_]+")
_ONE_WORD = re.compile(r"^[A-Z0-9]{1,30}$")
MAX_REPLY = 480


def keyword_normalize(text: str) -> str:
    """How a message is compared with keywords: trimmed of spaces and punctuation at either end,
    upper case. " Stop. " and "STOP!" become "STOP"; "please stop" stays two words."""
    return _EDGE_NOISE.sub("", (text or "").strip()).upper()


def _word_clean(account: Account, word: str, exclude: KeywordRule | None = None) -> str:
    word = keyword_normalize(word)
    if not _ONE_WORD.match(word):
        raise ValidationError(
            {"word": "A keyword is one word of letters and digits, at most 30 characters."}
        )
    clash = KeywordRule.objects.filter(account=account, word=word)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    existing = clash.first()
    if existing is not None:
        label = existing.get_kind_display().lower()
        raise ValidationError({"word": f"{word} is already one of your {label} keywords."})
    return word


def _reply_clean(reply_text: str, *, required: bool) -> str:
    reply_text = (reply_text or "").strip()
    if required and not reply_text:
        raise ValidationError({"reply_text": "A custom keyword needs the reply it sends."})
    if len(reply_text) > MAX_REPLY:
        raise ValidationError({"reply_text": f"At most {MAX_REPLY} characters."})
    return reply_text


@transaction.atomic
def keyword_rule_create(
    *, account: Account, kind: str, word: str, reply_text: str = ""
) -> KeywordRule:
    if kind not in KeywordKind.values:
        raise ValidationError({"kind": "Choose opt-out, opt-in, help or custom."})
    word = _word_clean(account, word)
    if kind == KeywordKind.CUSTOM and word in TWILIO_STANDARD_KEYWORDS:
        raise ValidationError(
            {"word": f"{word} is one of Twilio's standard keywords and can't be a custom one."}
        )
    reply_text = _reply_clean(reply_text, required=kind == KeywordKind.CUSTOM)
    return KeywordRule.objects.create(
        account=account,
        kind=kind,
        word=word,
        reply_text=reply_text or default_reply(kind, account),
    )


@transaction.atomic
def keyword_rule_update(*, account: Account, rule: KeywordRule, reply_text: str) -> KeywordRule:
    rule = KeywordRule.objects.select_for_update().get(pk=rule.pk, account=account)
    rule.reply_text = _reply_clean(reply_text, required=rule.kind == KeywordKind.CUSTOM) or (
        default_reply(rule.kind, account)
    )
    rule.save(update_fields=["reply_text"])
    return rule


@transaction.atomic
def keyword_rule_delete(*, account: Account, rule: KeywordRule) -> None:
    if rule.word in TWILIO_STANDARD_KEYWORDS:
        raise ValidationError(
            f"{rule.word} is one of Twilio's standard keywords: Twilio acts on it whatever we "
            "store, so it stays, and consent follows it."
        )
    KeywordRule.objects.filter(pk=rule.pk, account=account).delete()


class OutcomeKind:
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    CUSTOM = "custom"
    NONE = "none"
    FLAGGED_FOR_REVIEW = "flagged_for_review"


@dataclass
class KeywordOutcome:
    """What an inbound text did.

    `reply_text` is the text to send back, or None (no reply, or Twilio already answers).
    `duplicate` is True when this MessageSid was applied before: nothing was changed again and
    no reply should be sent.
    """

    kind: str
    reply_text: str | None
    contact: Contact
    keyword: str = ""
    contact_created: bool = False
    duplicate: bool = False
    consent: BulkConsentResult = field(default_factory=BulkConsentResult)
    engagement: Engagement | None = None


def is_short_code(number: str) -> bool:
    """Twilio gives short codes as their digits ("12345"), long codes in E.164."""
    return number.isdigit() and 3 <= len(number) <= 8


def inbound_keyword_apply(
    *,
    account: Account,
    phone_e164: str,
    body: str,
    received_by_number: str,
    message_sid: str,
    subscription_type: SubscriptionType | None = None,
) -> KeywordOutcome:
    """Apply an inbound text to consent and record it on the sender's timeline.

    1. The sender's contact is found by phone, or created.
    2. A message whose whole text (trimmed, any case, end punctuation ignored) is a keyword acts:
       opt-out unsubscribes the number account-wide from `subscription_type`, or from every
       type when None; opt-in subscribes it to `subscription_type`, or to the default type and
       every type it was unsubscribed from. Each change is a ledger row (source keyword).
    3. Any other text is a reply; one that contains an opt-out word ("please stop texting me")
       is flagged for review, not treated as an opt-out and not ignored.
    4. The message joins the timeline (kind sms_reply), keyed by MessageSid: a redelivered
       webhook changes nothing and gets `duplicate=True`.

    Replies: on long codes Twilio answers its standard keywords itself, so we reply only to
    custom keywords and to the account's own added opt-out/opt-in/help words; on short codes
    we also send the opt-in confirmation.
    """
    account_defaults_ensure(account=account)
    dedupe_key = f"sms_reply:{message_sid}"
    try:
        with transaction.atomic():
            previous = Engagement.objects.filter(account=account, dedupe_key=dedupe_key).first()
            if previous is not None:
                return _duplicate(account, previous)
            outcome = _apply(
                account=account,
                phone_e164=phone_e164,
                body=body,
                received_by_number=received_by_number,
                message_sid=message_sid,
                subscription_type=subscription_type,
            )
            outcome.engagement = contact_services.engagement_record(
                account=account,
                contact=outcome.contact,
                kind=EngagementKind.SMS_REPLY,
                summary=f"Replied: {body}",
                data={
                    "body": body[:1600],
                    "from": phone_e164,
                    "to": received_by_number,
                    "message_sid": message_sid,
                    "keyword": outcome.keyword,
                    "outcome": outcome.kind,
                    "needs_review": outcome.kind == OutcomeKind.FLAGGED_FOR_REVIEW,
                },
                dedupe_key=dedupe_key,
            )
            return outcome
    except IntegrityError:
        # A concurrent delivery of the same message won the race; ours rolled back entirely.
        previous = Engagement.objects.filter(account=account, dedupe_key=dedupe_key).first()
        if previous is None:
            raise
        return _duplicate(account, previous)


def _duplicate(account: Account, previous: Engagement) -> KeywordOutcome:
    contact = Contact.objects.get(pk=previous.contact_id, account=account)
    return KeywordOutcome(
        kind=previous.data.get("outcome", OutcomeKind.NONE),
        reply_text=None,
        contact=contact,
        keyword=previous.data.get("keyword", ""),
        duplicate=True,
        engagement=previous,
    )


def _apply(
    *,
    account: Account,
    phone_e164: str,
    body: str,
    received_by_number: str,
    message_sid: str,
    subscription_type: SubscriptionType | None,
) -> KeywordOutcome:
    contact, created = contact_services.contact_for_phone_get_or_create(
        account=account, phone_e164=phone_e164
    )
    word = keyword_normalize(body)
    rule = KeywordRule.objects.filter(account=account, word=word).first() if word else None
    if rule is None:
        opt_out_words = set(
            KeywordRule.objects.filter(account=account, kind=KeywordKind.OPT_OUT).values_list(
                "word", flat=True
            )
        )
        spoken = {w.upper() for w in _WORDS.findall(body or "")}
        flagged = sorted(spoken & opt_out_words)
        return KeywordOutcome(
            kind=OutcomeKind.FLAGGED_FOR_REVIEW if flagged else OutcomeKind.NONE,
            reply_text=None,
            contact=contact,
            keyword=flagged[0] if flagged else "",
            contact_created=created,
        )
    standard_on_long_code = word in TWILIO_STANDARD_KEYWORDS and not is_short_code(
        received_by_number
    )
    outcome = KeywordOutcome(
        kind=rule.kind, reply_text=None, contact=contact, keyword=word, contact_created=created
    )
    evidence = f"Texted “{body.strip()[:160]}” to {received_by_number}"
    if rule.kind == KeywordKind.OPT_OUT:
        types = (
            [subscription_type]
            if subscription_type
            else list(SubscriptionType.objects.filter(account=account))
        )
        outcome.consent = phone_consent_set(
            account=account,
            phone_e164=phone_e164,
            subscription_types=types,
            status=ConsentState.UNSUBSCRIBED,
            source=ConsentSource.KEYWORD,
            message_sid=message_sid,
            evidence=evidence,
            data={"keyword": word, "to": received_by_number},
        )
        outcome.reply_text = None if word in TWILIO_STANDARD_KEYWORDS else rule.reply_text
    elif rule.kind == KeywordKind.OPT_IN and (
        pending := subscription_type is None
        and opt_in_request_pending(account=account, phone_e164=phone_e164)
    ):
        # The YES an opt-in page's confirmation text asked for: the page's type, with the
        # page's evidence (double opt-in).
        outcome.consent = opt_in_request_confirm(
            account=account,
            request=pending,
            contact=contact,
            message_sid=message_sid,
            body=body,
            to_number=received_by_number,
        )
        outcome.reply_text = None if standard_on_long_code else rule.reply_text
    elif rule.kind == KeywordKind.OPT_IN:
        outcome.consent = phone_consent_set(
            account=account,
            phone_e164=phone_e164,
            subscription_types=_opt_in_types(account, phone_e164, subscription_type),
            status=ConsentState.SUBSCRIBED,
            source=ConsentSource.KEYWORD,
            message_sid=message_sid,
            evidence=evidence,
            data={"keyword": word, "to": received_by_number},
        )
        outcome.reply_text = None if standard_on_long_code else rule.reply_text
    elif rule.kind == KeywordKind.HELP:
        outcome.reply_text = None if word in TWILIO_STANDARD_KEYWORDS else rule.reply_text
    else:
        outcome.reply_text = rule.reply_text or None
    return outcome


def _opt_in_types(
    account: Account, phone_e164: str, subscription_type: SubscriptionType | None
) -> list[SubscriptionType]:
    if subscription_type is not None:
        return [subscription_type]
    unsubscribed = ConsentStatus.objects.filter(
        account=account, phone_e164=phone_e164, status=ConsentState.UNSUBSCRIBED
    ).values("subscription_type_id")
    return list(
        SubscriptionType.objects.filter(account=account).filter(
            Q(pk__in=unsubscribed) | Q(is_default=True)
        )
    )
