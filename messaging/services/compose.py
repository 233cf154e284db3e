"""Composing SMS messages: create, update (the composer autosaves through it), archive, delete;
custom message property definitions; the account's sending rules (quiet hours, frequency cap).

The rules of a message: a name, a body of at most 1,600 characters (opt-out line included)
whose tokens name real contact properties, the opt-out line switched off only when the body
carries its own opt-out wording (an opt-out keyword used as an instruction), and valid values
for the account's message properties, the required ones filled in. Creating a message on its
page checks them as a whole and refuses what breaks them; the composer's autosave
(`message_draft_save`) and the API (`message_draft_create`, `message_draft_update`) keep
whatever was typed and report the problems instead, and review and send refuse a message that
still has any (`message_problems`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts.errors import FieldConflict, StateConflict
from accounts.models import Account, User
from consent import selectors as consent_selectors
from consent.models import KeywordKind, SubscriptionType
from messaging import selectors, tokens
from messaging.models import (
    BODY_MAX_LENGTH,
    Campaign,
    MessageProperty,
    SendingSettings,
    SmsMessage,
)
from messaging.services.settings import sending_settings
from registration.models import PhoneNumber

NAME_MAX_LENGTH = 200
PROPERTY_TEXT_MAX_LENGTH = 500
EDITABLE_FIELDS = frozenset(
    {"name", "body", "append_opt_out", "subscription_type", "campaign_name", "sender", "properties"}
)


def body_length(text: str) -> int:
    """Characters as the 1,600 limit counts them: code points, like Twilio's API (composer.js
    counts the same way, not in UTF-16 units as a textarea's maxlength would)."""
    return len(text)


def opt_out_keywords(*, account: Account) -> list[str]:
    """The account's opt-out keywords (the standard ones are added by the wording check)."""
    return [
        rule.word
        for rule in consent_selectors.keyword_rules(account=account)
        if rule.kind == KeywordKind.OPT_OUT
    ]


def _body_errors(
    *, account: Account, body: str, append_opt_out: bool, errors: dict[str, list[str]]
) -> None:
    full = tokens.body_with_opt_out(body, append_opt_out=append_opt_out)
    length = body_length(full)
    if length > BODY_MAX_LENGTH:
        with_line = " with the opt-out line" if append_opt_out else ""
        errors.setdefault("body", []).append(
            f"A message is limited to {BODY_MAX_LENGTH:,} characters; this one has "
            f"{length:,}{with_line}."
        )
    known = {key for key, _ in selectors.personalization_fields(account=account)}
    for problem in tokens.tokens_validate(body, known_properties=known):
        errors.setdefault("body", []).append(problem.message)
    if not append_opt_out and not tokens.has_opt_out_wording(
        body, keywords=opt_out_keywords(account=account)
    ):
        errors.setdefault("append_opt_out", []).append(
            "The opt-out line can be switched off only when the message itself says how to "
            "opt out, e.g. “Reply STOP to opt out”."
        )


def _name_clean(name: str, errors: dict[str, list[str]]) -> str:
    name = (name or "").strip()
    if not name:
        errors.setdefault("name", []).append("Give the message a name.")
    elif len(name) > NAME_MAX_LENGTH:
        errors.setdefault("name", []).append(f"At most {NAME_MAX_LENGTH} characters.")
    return name


def _property_value_clean(prop: MessageProperty, raw: object) -> object:
    """The stored form of one property value; ValidationError with a message for the user."""
    if prop.type == MessageProperty.Type.NUMBER:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation as exc:
            raise ValidationError(f"{prop.label}: enter a number.") from exc
        if not number.is_finite():
            raise ValidationError(f"{prop.label}: enter a number.")
        return int(number) if number == number.to_integral_value() else float(number)
    text = str(raw).strip()
    if prop.type == MessageProperty.Type.CHOICE and text not in prop.choices:
        raise ValidationError(f"{prop.label}: choose one of {', '.join(prop.choices)}.")
    if len(text) > PROPERTY_TEXT_MAX_LENGTH:
        raise ValidationError(f"{prop.label}: at most {PROPERTY_TEXT_MAX_LENGTH} characters.")
    return text


def properties_clean(
    *,
    account: Account,
    values: Mapping[str, object],
    current: Mapping[str, object] | None = None,
    creating: bool,
    errors: dict[str, list[str]],
) -> dict[str, object]:
    """Merge `values` over `current`; unknown keys, bad values and (at creation) missing
    required values are errors under `properties.<key>`."""
    definitions = {p.key: p for p in selectors.message_properties(account=account)}
    result = {k: v for k, v in (current or {}).items() if k in definitions}
    for key, raw in values.items():
        prop = definitions.get(key)
        if prop is None:
            errors.setdefault(f"properties.{key}", []).append(
                f"There is no message property “{key}”."
            )
            continue
        if raw is None or str(raw).strip() == "":
            if prop.required and (creating or key in result):
                errors.setdefault(f"properties.{key}", []).append(f"{prop.label} is required.")
            result.pop(key, None)
            continue
        try:
            result[key] = _property_value_clean(prop, raw)
        except ValidationError as exc:
            errors.setdefault(f"properties.{key}", []).extend(exc.messages)
    if creating:
        for key, prop in definitions.items():
            if prop.required and key not in result and key not in values:
                errors.setdefault(f"properties.{key}", []).append(f"{prop.label} is required.")
    return result


def _subscription_type_check(
    account: Account, subscription_type: SubscriptionType | None, errors: dict
) -> None:
    if subscription_type is not None and subscription_type.account_id != account.pk:
        errors.setdefault("subscription_type", []).append("Choose one of your subscription types.")


def _sender_check(account: Account, sender: PhoneNumber | None, errors: dict) -> None:
    if sender is not None and (
        sender.account_id != account.pk or sender.status != PhoneNumber.Status.ACTIVE
    ):
        errors.setdefault("sender", []).append("Choose one of your active numbers.")


def campaign_get_or_create(*, account: Account, name: str) -> Campaign | None:
    """The account's campaign of that name (any case), created when new; None for ""."""
    name = (name or "").strip()[:200]
    if not name:
        return None
    existing = Campaign.objects.filter(account=account, name__iexact=name).first()
    if existing is not None:
        return existing
    campaign, _ = Campaign.objects.get_or_create(account=account, name=name)
    return campaign


@transaction.atomic
def message_create(
    *,
    account: Account,
    owner: User | None,
    name: str,
    body: str = "",
    append_opt_out: bool = True,
    subscription_type: SubscriptionType | None = None,
    campaign_name: str = "",
    sender: PhoneNumber | None = None,
    properties: Mapping[str, object] | None = None,
) -> SmsMessage:
    """A new draft. Without a subscription type it gets the account's default one."""
    errors: dict[str, list[str]] = {}
    name = _name_clean(name, errors)
    _body_errors(account=account, body=body, append_opt_out=append_opt_out, errors=errors)
    _subscription_type_check(account, subscription_type, errors)
    _sender_check(account, sender, errors)
    values = properties_clean(
        account=account, values=properties or {}, creating=True, errors=errors
    )
    if errors:
        raise ValidationError(errors)
    return _message_insert(
        account=account,
        owner=owner,
        name=name,
        body=body,
        append_opt_out=append_opt_out,
        subscription_type=subscription_type,
        campaign_name=campaign_name,
        sender=sender,
        properties=values,
    )


def _message_insert(
    *,
    account: Account,
    owner: User | None,
    name: str,
    body: str,
    append_opt_out: bool,
    subscription_type: SubscriptionType | None,
    campaign_name: str,
    sender: PhoneNumber | None,
    properties: dict,
) -> SmsMessage:
    """The new draft row, its checks done by the caller; without a subscription type it gets
    the account's default one."""
    return SmsMessage.objects.create(
        account=account,
        owner=owner,
        name=name,
        body=body,
        append_opt_out=append_opt_out,
        subscription_type=subscription_type
        or consent_selectors.subscription_type_default(account=account),
        campaign=campaign_get_or_create(account=account, name=campaign_name),
        sender=sender,
        properties=properties,
    )


def _draft_for_update(account: Account, message: SmsMessage) -> SmsMessage:
    message = SmsMessage.objects.select_for_update().get(pk=message.pk, account=account)
    if message.status != SmsMessage.Status.DRAFT:
        raise StateConflict(
            f"This message is {message.get_status_display().lower()}; only drafts can be changed.",
            code="not_a_draft",
        )
    if message.archived_at is not None:
        raise StateConflict("This message is archived; restore it to change it.", code="archived")
    return message


def _properties_keep(
    *, account: Account, values: Mapping[str, object], current: Mapping[str, object] | None
) -> None:
    """FieldConflict when a property value can't be kept: a key the account has no message
    property for, a value of the wrong kind, or a required one emptied. Each depends on the
    account's message properties as they are now."""
    unkept: dict[str, list[str]] = {}
    properties_clean(account=account, values=values, current=current, creating=False, errors=unkept)
    if unkept:
        raise FieldConflict(unkept, code="message_properties")


@transaction.atomic
def message_draft_create(
    *,
    account: Account,
    owner: User | None,
    name: str,
    body: str = "",
    append_opt_out: bool = True,
    subscription_type: SubscriptionType | None = None,
    campaign_name: str = "",
    sender: PhoneNumber | None = None,
    properties: Mapping[str, object] | None = None,
) -> DraftSave:
    """A new draft as given (the API's create), like the composer keeps what was typed: the
    problems that keep it from being sent come back with it. Refused only for what can't be
    kept: an empty name, another account's subscription type or number, a property value
    `_properties_keep` refuses. Without a subscription type it gets the account's default."""
    errors: dict[str, list[str]] = {}
    name = _name_clean(name, errors)
    _subscription_type_check(account, subscription_type, errors)
    _sender_check(account, sender, errors)
    if errors:
        raise ValidationError(errors)
    _properties_keep(account=account, values=properties or {}, current=None)
    values = properties_clean(account=account, values=properties or {}, creating=False, errors={})
    message = _message_insert(
        account=account,
        owner=owner,
        name=name,
        body=body,
        append_opt_out=append_opt_out,
        subscription_type=subscription_type,
        campaign_name=campaign_name,
        sender=sender,
        properties=values,
    )
    return DraftSave(message, message_problems(account=account, message=message), {})


@transaction.atomic
def message_draft_update(*, account: Account, message: SmsMessage, **changes) -> DraftSave:
    """Change a draft (the API's PATCH): only the fields given (`properties` merges key by key),
    kept as given, with the problems left. Nothing changes when a value can't be kept (see
    `message_draft_create`)."""
    message = _draft_for_update(account, message)
    errors: dict[str, list[str]] = {}
    if "name" in changes:
        _name_clean(changes["name"], errors)
    if "subscription_type" in changes:
        _subscription_type_check(account, changes["subscription_type"], errors)
    if "sender" in changes:
        _sender_check(account, changes["sender"], errors)
    if errors:
        raise ValidationError(errors)
    if "properties" in changes:
        _properties_keep(
            account=account, values=changes["properties"] or {}, current=message.properties
        )
    return message_draft_save(account=account, message=message, **changes)


def message_problems(*, account: Account, message: SmsMessage) -> dict[str, list[str]]:
    """What keeps a saved draft from being sent, by field ({} when nothing): the rules drafts
    are saved without (autosave keeps what was typed), checked again at review and send. The
    account's message properties are checked as they are now: one made required since the
    message was created must have a value."""
    errors: dict[str, list[str]] = {}
    _name_clean(message.name, errors)
    _body_errors(
        account=account, body=message.body, append_opt_out=message.append_opt_out, errors=errors
    )
    defined = {p.key for p in selectors.message_properties(account=account)}
    properties_clean(
        account=account,
        # Values of properties deleted since stay in the JSON; they are no one's concern.
        values={k: v for k, v in (message.properties or {}).items() if k in defined},
        creating=True,
        errors=errors,
    )
    return errors


@dataclass(frozen=True)
class DraftSave:
    message: SmsMessage
    # What still keeps the draft from being sent, and what could not be kept, by field.
    problems: dict[str, list[str]]
    # Of those, what could not be kept: the value before it stays saved.
    unsaved: dict[str, list[str]]


@transaction.atomic
def message_draft_save(*, account: Account, message: SmsMessage, **changes) -> DraftSave:
    """The composer's autosave: keep what the user typed even while it isn't ready to send (a
    half-typed token, a body over the limit, the opt-out line off before the wording is in),
    and say what is wrong; review and send refuse it until it is fixed (message_problems).

    Only what can't be stored is left as it was, and reported: an empty name, another
    account's subscription type or number, a property value of the wrong kind.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"message_draft_save() got unexpected fields: {sorted(unknown)}")
    message = _draft_for_update(account, message)
    unsaved: dict[str, list[str]] = {}
    if "name" in changes:
        name_errors: dict[str, list[str]] = {}
        name = _name_clean(changes["name"], name_errors)
        if name_errors:
            unsaved.update(name_errors)
        else:
            message.name = name
    message.body = changes.get("body", message.body)
    message.append_opt_out = changes.get("append_opt_out", message.append_opt_out)
    if "subscription_type" in changes:
        type_errors: dict[str, list[str]] = {}
        _subscription_type_check(account, changes["subscription_type"], type_errors)
        if type_errors:
            unsaved.update(type_errors)
        else:
            message.subscription_type = changes["subscription_type"]
    if "sender" in changes:
        sender_errors: dict[str, list[str]] = {}
        _sender_check(account, changes["sender"], sender_errors)
        if sender_errors:
            unsaved.update(sender_errors)
        else:
            message.sender = changes["sender"]
    if "properties" in changes:
        # Good values are merged; a bad one keeps the value before it and is reported.
        message.properties = properties_clean(
            account=account,
            values=changes["properties"] or {},
            current=message.properties,
            creating=False,
            errors=unsaved,
        )
    if "campaign_name" in changes:
        message.campaign = campaign_get_or_create(account=account, name=changes["campaign_name"])
    message.save()
    problems = message_problems(account=account, message=message)
    for field_name, messages in unsaved.items():
        known = problems.setdefault(field_name, [])
        known.extend(m for m in messages if m not in known)
    return DraftSave(message, problems, unsaved)


@transaction.atomic
def message_clone(*, account: Account, message: SmsMessage, owner: User) -> SmsMessage:
    """A new draft with the same content, audience and settings (not the schedule)."""
    message = SmsMessage.objects.get(pk=message.pk, account=account)
    copy = message_create(
        account=account,
        owner=owner,
        name=f"{message.name} (copy)"[:200],
        body=message.body,
        append_opt_out=message.append_opt_out,
        subscription_type=message.subscription_type,
        campaign_name=message.campaign.name if message.campaign_id else "",
        sender=message.sender,
        properties=message.properties,
    )
    copy.include_lists.set(message.include_lists.all())
    copy.exclude_lists.set(message.exclude_lists.all())
    copy.include_contacts.set(message.include_contacts.all())
    copy.exclude_contacts.set(message.exclude_contacts.all())
    return copy


# Custom message properties -------------------------------------------------------------------

PROPERTY_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,59}\Z"
_KEY = re.compile(PROPERTY_KEY_PATTERN)


def _property_key(label: str, key: str) -> str:
    key = (key or "").strip() or slugify(label).replace("-", "_")
    return key


@transaction.atomic
def message_property_create(
    *,
    account: Account,
    label: str,
    key: str = "",
    type: str = MessageProperty.Type.TEXT,
    choices: list[str] | None = None,
    required: bool = False,
) -> MessageProperty:
    errors: dict[str, list[str]] = {}
    label = (label or "").strip()
    if not label or len(label) > 100:
        errors.setdefault("label", []).append(
            "Give the property a label of at most 100 characters."
        )
    key = _property_key(label, key)
    if not _KEY.match(key):
        errors.setdefault("key", []).append(
            "A key starts with a letter and has only lower-case letters, digits and _."
        )
    elif MessageProperty.objects.filter(account=account, key=key).exists():
        errors.setdefault("key", []).append(f"A message property “{key}” already exists.")
    if type not in MessageProperty.Type.values:
        errors.setdefault("type", []).append("Choose a type.")
    clean_choices = [c.strip()[:100] for c in (choices or []) if c and c.strip()]
    if type == MessageProperty.Type.CHOICE and not clean_choices:
        errors.setdefault("choices", []).append("List the choices, one per line.")
    if errors:
        raise ValidationError(errors)
    return MessageProperty.objects.create(
        account=account,
        label=label,
        key=key,
        type=type,
        choices=list(dict.fromkeys(clean_choices)) if type == MessageProperty.Type.CHOICE else [],
        required=required,
    )


@transaction.atomic
def message_property_delete(*, account: Account, prop: MessageProperty) -> None:
    """Remove a definition; values already stored on messages stay in their JSON untouched."""
    MessageProperty.objects.filter(account=account, pk=prop.pk).delete()


# Sending rules (account admins) ---------------------------------------------------------------

# The law's window for marketing texts, in the recipient's local time (TCPA and state rules):
# an account may narrow its quiet hours inside it, never widen them past it.
LEGAL_SENDING_START = dt.time(8, 0)
LEGAL_SENDING_END = dt.time(21, 0)
FREQUENCY_CAP_MAX = 10


def sending_rules_errors(
    *, quiet_hours_start: dt.time, quiet_hours_end: dt.time, frequency_cap: int
) -> dict[str, list[str]]:
    """What is wrong with these quiet hours and cap ({} when nothing); the admin uses it too."""
    errors: dict[str, list[str]] = {}
    window = f"{LEGAL_SENDING_START:%H:%M}-{LEGAL_SENDING_END:%H:%M}"
    if quiet_hours_start < LEGAL_SENDING_START:
        errors["quiet_hours_start"] = [
            f"Marketing texts may go out from {LEGAL_SENDING_START:%H:%M} at the earliest "
            f"(the legal window is {window} recipient time)."
        ]
    if quiet_hours_end > LEGAL_SENDING_END:
        errors["quiet_hours_end"] = [
            f"Marketing texts must stop by {LEGAL_SENDING_END:%H:%M} "
            f"(the legal window is {window} recipient time)."
        ]
    if not errors and quiet_hours_start >= quiet_hours_end:
        errors["quiet_hours_end"] = ["The end must be after the start."]
    if not 1 <= frequency_cap <= FREQUENCY_CAP_MAX:
        errors["frequency_cap"] = [
            f"Between 1 and {FREQUENCY_CAP_MAX} texts per contact in 24 hours."
        ]
    return errors


@transaction.atomic
def sending_rules_update(
    *,
    account: Account,
    quiet_hours_start: dt.time,
    quiet_hours_end: dt.time,
    frequency_cap: int,
) -> SendingSettings:
    """When marketing texts may reach recipients (their local time) and how many a day."""
    errors = sending_rules_errors(
        quiet_hours_start=quiet_hours_start,
        quiet_hours_end=quiet_hours_end,
        frequency_cap=frequency_cap,
    )
    if errors:
        raise ValidationError(errors)
    rules = sending_settings(account)
    rules.quiet_hours_start = quiet_hours_start
    rules.quiet_hours_end = quiet_hours_end
    rules.frequency_cap = frequency_cap
    rules.save(update_fields=["quiet_hours_start", "quiet_hours_end", "frequency_cap"])
    return rules
