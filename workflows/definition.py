"""A workflow's trigger and steps: their shape, and the checks every save runs.

Trigger (by `trigger_type`):
    record_created    {}
    property_changed  {"property": key, "value": "" (any change) or the value it changes to}
    list_added        {"list": public id of a static list}
    inbound_keyword   {"keyword": one word}

Steps, a list run in order; each has an "id" (kept across edits) and a "type":
    delay       {"amount": n, "unit": "minutes" | "hours" | "days"}
    wait_until  {"time": "HH:MM"} the next time of day in the record's time zone
    branch      {"property", "operator", "value", "yes": [steps], "no": [steps]}; it ends its
                list: each branch goes its own way, nothing follows them
    send_sms    {"from_number": number public id, "sender_user": user public id,
                 "phone_property": key, "body": text with tokens, "append_opt_out": bool}

Everything is validated on every save; errors are keyed "trigger.<field>" or
"steps.<step id>.<field>", so a builder can show each next to its field. The checks give two
sets: errors of the definition itself, and conflicts with the account as it is now (a list,
property, number or user it names that the account doesn't have, an opt-out keyword): the API
answers the first 400 and the second 409.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterator

from django.core.exceptions import ValidationError

from accounts.models import Account
from consent import selectors as consent_selectors
from consent.models import KeywordKind
from contacts import selectors as contact_selectors
from contacts.models import ListKind
from messaging import links, tokens
from messaging.models import BODY_MAX_LENGTH
from registration.models import PhoneNumber
from workflows import selectors
from workflows.models import TriggerType
from workflows.records import REGISTRY, RecordType

STEP_TYPES = {
    "delay": "Delay",
    "wait_until": "Wait until a time of day",
    "branch": "If/then branch",
    "send_sms": "Send SMS",
}
DELAY_UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
MAX_DELAY = dt.timedelta(days=365)
BRANCH_OPERATORS = {
    "is": "is",
    "is_not": "is not",
    "contains": "contains",
    "is_known": "is known",
    "is_unknown": "is unknown",
}
VALUELESS_OPERATORS = ("is_known", "is_unknown")
MAX_STEPS = 50
MAX_DEPTH = 5
_STEP_ID = re.compile(r"^stp_[A-Za-z0-9]{4,24}$")
_KEYWORD = re.compile(r"^[A-Z0-9]{1,30}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

Errors = dict[str, list[str]]


def new_step_id() -> str:
    return "stp_" + secrets.token_hex(6)


def _add(errors: Errors, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _token_problems(errors: Errors, conflicts: Errors, problems: list) -> None:
    for problem in problems:
        _add(conflicts if problem.unknown_property else errors, "body", problem.message)


def keyword_normalize(text: str) -> str:
    from consent.services import keywords

    return keywords.keyword_normalize(text)


def trigger_clean(
    *, account: Account, record_type: RecordType, trigger_type: str, trigger: dict
) -> tuple[dict, Errors, Errors]:
    """The trigger cleaned, its errors and its conflicts with the account (module doc)."""
    errors: Errors = {}
    conflicts: Errors = {}
    trigger = trigger if isinstance(trigger, dict) else {}
    if trigger_type not in TriggerType.values:
        _add(errors, "trigger_type", "Choose when records enroll: " + ", ".join(TriggerType.values))
        return {}, errors, conflicts
    if trigger_type not in record_type.triggers:
        _add(errors, "trigger_type", f"{record_type.label} can't enroll on this trigger.")
        return {}, errors, conflicts
    if trigger_type == TriggerType.RECORD_CREATED:
        return {}, errors, conflicts
    if trigger_type == TriggerType.PROPERTY_CHANGED:
        key = str(trigger.get("property") or "").strip()
        known = dict(record_type.properties(account))
        if not key:
            _add(errors, "trigger.property", "Choose the property whose change enrolls a record.")
        elif key not in known:
            _add(conflicts, "trigger.property", f"There is no property “{key}”.")
        value = str(trigger.get("value") or "").strip()
        if len(value) > 200:
            _add(errors, "trigger.value", "At most 200 characters.")
        return {"property": key, "value": value}, errors, conflicts
    if trigger_type == TriggerType.LIST_ADDED:
        list_id = str(trigger.get("list") or "").strip()
        found = contact_selectors.contact_lists(account=account).filter(public_id=list_id).first()
        if not list_id:
            _add(errors, "trigger.list", "Choose the list.")
        elif found is None:
            _add(conflicts, "trigger.list", "There is no such list.")
        elif found.kind != ListKind.STATIC:
            _add(
                conflicts,
                "trigger.list",
                f"“{found.name}” is an active list; choose a static list (contacts are added "
                "to those one by one or by import).",
            )
        return {"list": list_id}, errors, conflicts
    keyword = keyword_normalize(str(trigger.get("keyword") or ""))
    if not keyword:
        _add(errors, "trigger.keyword", "Give the keyword a text must be to enroll its sender.")
    elif not _KEYWORD.match(keyword):
        _add(errors, "trigger.keyword", "A keyword is one word of letters and digits, at most 30.")
    else:
        opt_out = {
            rule.word
            for rule in consent_selectors.keyword_rules(account=account)
            if rule.kind == KeywordKind.OPT_OUT
        }
        if keyword in opt_out:
            _add(
                conflicts,
                "trigger.keyword",
                f"{keyword} is an opt-out keyword: whoever texts it can't be texted back.",
            )
    return {"keyword": keyword}, errors, conflicts


class _Context:
    """What step checks look up, read once per save."""

    def __init__(self, account: Account, record_type: RecordType):
        self.account = account
        self.record_type = record_type
        self.properties = dict(record_type.properties(account))
        self.phone_properties = dict(record_type.phone_properties(account))
        self.numbers = {n.public_id: n for n in selectors.sending_numbers(account=account)}
        self.token_properties = {key for key, _ in self.properties.items()}
        self.seen_ids: set[str] = set()
        self.count = 0


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _step_clean(context: _Context, step: dict) -> tuple[dict, Errors, Errors]:
    errors: Errors = {}
    conflicts: Errors = {}
    if not isinstance(step, dict):
        return {}, {"type": ["A step is an object with a type."]}, conflicts
    kind = step.get("type")
    if kind not in STEP_TYPES:
        _add(errors, "type", "A step is one of: " + ", ".join(STEP_TYPES) + ".")
        return {"type": kind}, errors, conflicts
    if kind == "delay":
        amount = _int(step.get("amount"))
        unit = step.get("unit")
        if unit not in DELAY_UNITS:
            _add(errors, "unit", "Wait in minutes, hours or days.")
        if amount is None or amount < 1:
            _add(errors, "amount", "Wait a whole number of at least 1.")
        elif unit in DELAY_UNITS and dt.timedelta(seconds=amount * DELAY_UNITS[unit]) > MAX_DELAY:
            _add(errors, "amount", "A delay is at most 365 days.")
        return {"type": kind, "amount": amount, "unit": unit}, errors, conflicts
    if kind == "wait_until":
        time = str(step.get("time") or "").strip()
        if not _TIME.match(time):
            _add(errors, "time", "Give a time of day as HH:MM (24-hour), e.g. 09:30.")
        return {"type": kind, "time": time}, errors, conflicts
    if kind == "branch":
        key = str(step.get("property") or "").strip()
        operator = step.get("operator")
        value = str(step.get("value") or "").strip()
        if not key:
            _add(errors, "property", "Choose the property to check.")
        elif key not in context.properties:
            _add(conflicts, "property", f"There is no property “{key}”.")
        if operator not in BRANCH_OPERATORS:
            _add(errors, "operator", "Choose how to compare: " + ", ".join(BRANCH_OPERATORS) + ".")
        elif operator not in VALUELESS_OPERATORS and not value:
            _add(errors, "value", "Give the value to compare with.")
        if len(value) > 200:
            _add(errors, "value", "At most 200 characters.")
        if operator in VALUELESS_OPERATORS:
            value = ""
        return (
            {
                "type": kind,
                "property": key,
                "operator": operator,
                "value": value,
                "yes": step.get("yes") or [],
                "no": step.get("no") or [],
            },
            errors,
            conflicts,
        )
    return _send_sms_clean(context, step)


def _send_sms_clean(context: _Context, step: dict) -> tuple[dict, Errors, Errors]:
    errors: Errors = {}
    conflicts: Errors = {}
    number_id = str(step.get("from_number") or "").strip()
    user_id = str(step.get("sender_user") or "").strip()
    phone_property = str(step.get("phone_property") or "").strip()
    body = str(step.get("body") or "").replace("\r\n", "\n")
    append_opt_out = step.get("append_opt_out", True)
    append_opt_out = append_opt_out if isinstance(append_opt_out, bool) else True
    number: PhoneNumber | None = context.numbers.get(number_id)
    if not context.numbers:
        _add(
            conflicts,
            "from_number",
            "The account has no SMS-capable number with an approved use case, so no text can "
            "be sent yet. Finish SMS setup first.",
        )
    elif not number_id:
        _add(errors, "from_number", "Choose the number the text is sent from.")
    elif number is None:
        _add(
            conflicts,
            "from_number",
            "Choose one of the account's active, SMS-capable numbers with an approved use case.",
        )
    if not user_id:
        _add(errors, "sender_user", "Choose the user the text is sent as.")
    elif number is not None:
        users = {
            u.public_id for u in selectors.number_users(account=context.account, number=number)
        }
        if user_id not in users:
            _add(
                conflicts,
                "sender_user",
                f"That user isn't linked to {number.e164}; link them under SMS setup, or choose "
                "one who is.",
            )
    if not phone_property:
        _add(errors, "phone_property", "Choose the phone property the text goes to.")
    elif phone_property not in context.phone_properties:
        _add(conflicts, "phone_property", f"“{phone_property}” is not a phone property.")
    if not body.strip():
        _add(errors, "body", "Write the message.")
    # Counted as it goes out: links at the length of their short links (those fan-out
    # shortens), which is shorter than a long URL and longer than a `www.x.co`.
    full = links.links_shortened(
        tokens.body_with_opt_out(body, append_opt_out=append_opt_out),
        links.short_link_placeholder(context.account, sender=number),
    )
    if len(full) > BODY_MAX_LENGTH:
        with_line = " with the opt-out line" if append_opt_out else ""
        with_links = " and links at short-link length" if links.links_in(body) else ""
        _add(
            errors,
            "body",
            f"A message is limited to {BODY_MAX_LENGTH:,} characters; this one has "
            f"{len(full):,}{with_line}{with_links}.",
        )
    _token_problems(
        errors,
        conflicts,
        tokens.tokens_validate(
            body, known_properties=context.token_properties, message_tokens=False
        ),
    )
    if not append_opt_out and body.strip() and not tokens.has_opt_out_wording(body):
        _add(
            errors,
            "append_opt_out",
            "The opt-out line can be switched off only when the message itself says how to "
            "opt out, e.g. “Reply STOP to opt out”.",
        )
    return (
        {
            "type": "send_sms",
            "from_number": number_id,
            "sender_user": user_id,
            "phone_property": phone_property,
            "body": body,
            "append_opt_out": append_opt_out,
        },
        errors,
        conflicts,
    )


def steps_clean(
    *, account: Account, record_type: RecordType, steps: list
) -> tuple[list, Errors, Errors]:
    """Every step, recursively: ids kept (or given), types checked, branches last in a list;
    the steps cleaned, their errors and their conflicts with the account (module doc)."""
    context = _Context(account, record_type)
    errors: Errors = {}
    conflicts: Errors = {}
    if not isinstance(steps, list):
        return [], {"steps": ["Steps are a list."]}, conflicts
    cleaned = _steps_clean(context, steps, errors, conflicts, depth=1)
    if context.count > MAX_STEPS:
        _add(errors, "steps", f"A workflow has at most {MAX_STEPS} steps.")
    return cleaned, errors, conflicts


def _steps_clean(
    context: _Context, steps: list, errors: Errors, conflicts: Errors, *, depth: int
) -> list:
    if depth > MAX_DEPTH:
        _add(errors, "steps", f"Branches nest at most {MAX_DEPTH} deep.")
        return []
    cleaned = []
    for position, step in enumerate(steps):
        context.count += 1
        raw_id = step.get("id") if isinstance(step, dict) else None
        step_id = raw_id if isinstance(raw_id, str) and _STEP_ID.match(raw_id) else new_step_id()
        if step_id in context.seen_ids:
            step_id = new_step_id()
        context.seen_ids.add(step_id)
        clean, step_errors, step_conflicts = _step_clean(context, step)
        for found, into in ((step_errors, errors), (step_conflicts, conflicts)):
            for field, messages in found.items():
                into.setdefault(f"steps.{step_id}.{field}", []).extend(messages)
        clean = {"id": step_id, **clean}
        if clean.get("type") == "branch":
            if position != len(steps) - 1:
                _add(
                    errors,
                    f"steps.{step_id}.type",
                    "An if/then branch ends its path: put the steps that follow inside its "
                    "yes and no paths.",
                )
            for path in ("yes", "no"):
                clean[path] = _steps_clean(context, clean[path], errors, conflicts, depth=depth + 1)
        cleaned.append(clean)
    return cleaned


def walk(steps: list) -> Iterator[dict]:
    for step in steps:
        yield step
        if step.get("type") == "branch":
            yield from walk(step.get("yes") or [])
            yield from walk(step.get("no") or [])


def locate(steps: list, step_id: str) -> tuple[list, int] | None:
    """The list holding the step and its position there."""
    for position, step in enumerate(steps):
        if step.get("id") == step_id:
            return steps, position
        if step.get("type") == "branch":
            for path in ("yes", "no"):
                found = locate(step.get(path) or [], step_id)
                if found is not None:
                    return found
    return None


def step_find(steps: list, step_id: str) -> dict | None:
    found = locate(steps, step_id)
    return found[0][found[1]] if found else None


def step_next(steps: list, step_id: str) -> dict | None:
    """The step after this one in its path (None at the end: branches don't merge)."""
    found = locate(steps, step_id)
    if found is None:
        return None
    holder, position = found
    return holder[position + 1] if position + 1 < len(holder) else None


def record_type_get(key: str) -> RecordType:
    if key not in REGISTRY:
        raise ValidationError({"record_type": [f"Workflows enroll one of: {', '.join(REGISTRY)}."]})
    return REGISTRY[key]
