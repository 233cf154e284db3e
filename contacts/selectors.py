"""Reads of contacts: the filter language shared by the index, active lists and bulk actions,
keyset pages, the timeline (its sources: timeline.py), and what other apps need to know about
contacts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.errors import FieldConflict
from accounts.models import Account
from contacts.models import (
    Contact,
    ContactImport,
    ContactList,
    ContactListMembership,
    ContactProperty,
    Engagement,
    EngagementKind,
    ListKind,
    PhoneReformat,
    PropertyType,
)
from contacts.subscriptions import subscription_type_exists, subscriptions
from contacts.timeline import (
    TimelineCursor,
    TimelineItem,
    timeline_after_q,
    timeline_completers,
    timeline_sources,
)

PAGE_SIZE = 50
MAX_CONDITIONS = 20
MAX_LIST_NESTING = 3

TEXT_FIELDS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "company_name": "Company name",
    "time_zone": "Time zone",
}
PHONE_FIELDS = {"phone": "Phone", "mobile_phone": "Mobile phone"}

OPS = {
    "eq": "is",
    "neq": "is not",
    "contains": "contains",
    "starts_with": "starts with",
    "gt": "is greater than (after)",
    "lt": "is less than (before)",
    "is_known": "is known",
    "is_unknown": "is unknown",
    "sms_valid": "is valid for SMS",
    "sms_invalid": "is not valid for SMS",
    "is_true": "is yes",
    "is_false": "is no",
    "in": "is a member",
    "not_in": "is not a member",
    "subscribed": "is subscribed",
    "unsubscribed": "is unsubscribed",
    "not_specified": "is not specified",
}
TEXT_OPS = ("eq", "neq", "contains", "starts_with", "is_known", "is_unknown")
OPS_NEEDING_VALUE = frozenset({"eq", "neq", "contains", "starts_with", "gt", "lt"})


@dataclass(frozen=True)
class Condition:
    """One rule: `field` is a contact field, "property:<key>", "list:<id>" or
    "subscription:<id>"; `value` is a string as typed."""

    field: str
    op: str
    value: str = ""

    def as_dict(self) -> dict:
        return {"field": self.field, "op": self.op, "value": self.value}


@dataclass
class ContactFilter:
    """What the index shows: a search, and conditions that must all (or any) hold."""

    q: str = ""
    conditions: list[Condition] = field(default_factory=list)
    match: str = "all"

    @property
    def is_empty(self) -> bool:
        return not self.q and not self.conditions


def _property_ops(property_type: str) -> tuple[str, ...]:
    if property_type in (PropertyType.NUMBER, PropertyType.DATE):
        return ("eq", "neq", "gt", "lt", "is_known", "is_unknown")
    if property_type == PropertyType.CHOICE:
        return ("eq", "neq", "is_known", "is_unknown")
    return TEXT_OPS


def _builtin_ops(field_name: str) -> tuple[str, ...] | None:
    if field_name in TEXT_FIELDS:
        return TEXT_OPS
    if field_name in PHONE_FIELDS:
        return ("is_known", "is_unknown", "starts_with", "sms_valid", "sms_invalid")
    if field_name == "marketing_contact":
        return ("is_true", "is_false")
    kind = field_name.partition(":")[0]
    if kind == "list":
        return ("in", "not_in")
    if kind == "subscription":
        return ("subscribed", "unsubscribed", "not_specified")
    return None


def ops_by_field(*, account: Account, field_names: list[str]) -> dict[str, list[str]]:
    """The operators of each field a filter offers (one query for every property), so the
    operator menu shows only those that fit the chosen field's type."""
    types = dict(ContactProperty.objects.filter(account=account).values_list("key", "type"))
    result = {}
    for name in field_names:
        kind, _, ident = name.partition(":")
        ops = _property_ops(types[ident]) if kind == "property" and ident in types else None
        result[name] = list(ops or _builtin_ops(name) or ())
    return result


def _conflict(message: str) -> FieldConflict:
    """A condition refused for what the account has now (a property, list or subscription type
    it names, or that property's type), not for how it is written."""
    return FieldConflict({"rules": message}, code="rules")


def ops_for_field(account: Account, field_name: str) -> tuple[str, ...]:
    """The operators a field accepts; ValidationError when the field doesn't exist (a
    FieldConflict when it names a property, list or subscription type the account hasn't)."""
    kind, _, ident = field_name.partition(":")
    if kind == "property":
        prop = ContactProperty.objects.filter(account=account, key=ident).first()
        if prop is None:
            raise _conflict(f"There is no contact property “{ident}”.")
        return _property_ops(prop.type)
    if kind not in ("list", "subscription") and (ops := _builtin_ops(field_name)):
        return ops
    if kind == "list":
        if not ContactList.objects.filter(account=account, public_id=ident).exists():
            raise _conflict("That list doesn't exist (any more).")
        return ("in", "not_in")
    if kind == "subscription":
        if not subscription_type_exists(account=account, subscription_type_id=ident):
            raise _conflict("That subscription type doesn't exist.")
        return ("subscribed", "unsubscribed", "not_specified")
    raise ValidationError(f"Unknown field “{field_name}”.")


def condition_validate(account: Account, raw: dict) -> Condition:
    """A Condition from user input, or ValidationError saying what is wrong with it."""
    if not isinstance(raw, dict):
        raise ValidationError("Each condition needs a field, an operator and a value.")
    field_name = str(raw.get("field") or "").strip()
    op = str(raw.get("op") or "").strip()
    value = raw.get("value")
    value = "" if value is None else str(value).strip()
    if not field_name:
        raise ValidationError("Choose a field.")
    allowed = ops_for_field(account, field_name)
    if op not in allowed:
        readable = ", ".join(f"“{OPS[o]}”" for o in allowed)
        message = f"“{OPS.get(op, op)}” doesn't apply to this field; use {readable}."
        # A property's operators are its type's, which the account sets.
        is_property = field_name.startswith("property:") and op in OPS
        raise _conflict(message) if is_property else ValidationError(message)
    if op in OPS_NEEDING_VALUE and not value:
        raise ValidationError(f"“{OPS[op]}” needs a value.")
    if field_name.startswith("property:") and op in ("eq", "neq", "gt", "lt"):
        from contacts.services.properties import property_value_clean

        prop = ContactProperty.objects.get(account=account, key=field_name.split(":", 1)[1])
        try:
            property_value_clean(prop, value)
        except ValueError as exc:
            raise _conflict(str(exc)) from None
    return Condition(field_name, op, value[:200])


def rules_validate(account: Account, rules: dict, *, list_public_id: str | None = None) -> dict:
    """Clean an active list's rules; refuses lists that would contain themselves."""
    if not isinstance(rules, dict):
        raise ValidationError("Rules must be an object with “match” and “conditions”.")
    match = rules.get("match", "all")
    if match not in ("all", "any"):
        raise ValidationError("“match” must be “all” or “any”.")
    raw_conditions = rules.get("conditions") or []
    if not isinstance(raw_conditions, list) or not raw_conditions:
        raise ValidationError("An active list needs at least one condition.")
    if len(raw_conditions) > MAX_CONDITIONS:
        raise ValidationError(f"At most {MAX_CONDITIONS} conditions.")
    errors = []
    conflicts = []
    conditions = []
    for number, raw in enumerate(raw_conditions, start=1):
        try:
            conditions.append(condition_validate(account, raw))
        except FieldConflict as exc:
            conflicts.append(f"Condition {number}: {' '.join(exc.messages)}")
        except ValidationError as exc:
            errors.append(f"Condition {number}: {' '.join(exc.messages)}")
    if errors:
        raise ValidationError(errors)
    if conflicts:
        raise FieldConflict({"rules": conflicts}, code="rules")
    cleaned = {"match": match, "conditions": [c.as_dict() for c in conditions]}
    if list_public_id:
        _check_no_cycle(account, list_public_id, cleaned)
    return cleaned


def _check_no_cycle(account: Account, own_id: str, rules: dict, depth: int = 0) -> None:
    if depth > MAX_LIST_NESTING:
        raise _conflict(f"Lists can refer to lists at most {MAX_LIST_NESTING} levels deep.")
    for condition in rules.get("conditions", []):
        kind, _, ident = condition["field"].partition(":")
        if kind != "list":
            continue
        if ident == own_id:
            raise _conflict("An active list can't refer to itself.")
        nested = ContactList.objects.filter(account=account, public_id=ident).first()
        if nested is not None and nested.is_active:
            _check_no_cycle(account, own_id, nested.rules, depth + 1)


def _text_q(column: str, op: str, value: str) -> Q:
    if op == "eq":
        return Q(**{f"{column}__iexact": value})
    if op == "neq":
        return ~Q(**{f"{column}__iexact": value})
    if op == "contains":
        return Q(**{f"{column}__icontains": value})
    if op == "starts_with":
        return Q(**{f"{column}__istartswith": value})
    if op == "is_known":
        return ~Q(**{column: ""})
    if op == "is_unknown":
        return Q(**{column: ""})
    raise ValidationError(f"Unknown operator {op}.")


def _property_q(account: Account, key: str, op: str, value: str) -> Q:
    prop = ContactProperty.objects.filter(account=account, key=key).first()
    if prop is None:
        # A rule on a deleted property matches nothing rather than everything.
        return Q(pk__in=[])
    column = f"properties__{key}"
    if op == "is_known":
        return Q(properties__has_key=key)
    if op == "is_unknown":
        return ~Q(properties__has_key=key)
    if prop.type == PropertyType.TEXT:
        return _text_q(column, op, value)
    from contacts.services.properties import property_value_clean

    try:
        typed = property_value_clean(prop, value)
    except ValueError:
        return Q(pk__in=[])
    if op == "eq":
        return Q(**{column: typed})
    if op == "neq":
        return ~Q(**{column: typed}) | ~Q(properties__has_key=key)
    if op in ("gt", "lt"):
        return Q(**{f"{column}__{op}": typed})
    raise ValidationError(f"Unknown operator {op}.")


def _phone_q(account: Account, prefix: str, op: str, value: str) -> Q:
    e164 = f"{prefix}_e164"
    if op == "is_known":
        return ~Q(**{f"{prefix}_raw": ""})
    if op == "is_unknown":
        return Q(**{f"{prefix}_raw": ""})
    if op == "sms_valid":
        return ~Q(**{e164: ""}) & Q(**{f"{prefix}_sms_invalid_reason": ""})
    if op == "sms_invalid":
        return ~Q(**{f"{prefix}_sms_invalid_reason": ""})
    if op == "starts_with":
        return Q(**{f"{e164}__startswith": phone_prefix(value, account.default_region)})
    raise ValidationError(f"Unknown operator {op}.")


def phone_prefix(text: str, region: str = "US") -> str:
    """An E.164 prefix for a partly typed number: "212" -> "+1212", "+44" -> "+44"."""
    digits = re.sub(r"\D", "", text)
    if text.strip().startswith("+"):
        return "+" + digits
    if (region or "US") in ("US", "CA") and not digits.startswith("1"):
        return "+1" + digits
    return "+" + digits


def condition_q(account: Account, condition: Condition, depth: int = 0) -> Q:
    name, op, value = condition.field, condition.op, condition.value
    if name in TEXT_FIELDS:
        if name == "email":
            value = value.lower()
        return _text_q(name, op, value)
    if name in PHONE_FIELDS:
        return _phone_q(account, name, op, value)
    if name == "marketing_contact":
        return Q(marketing_contact=(op == "is_true"))
    kind, _, ident = name.partition(":")
    if kind == "property":
        return _property_q(account, ident, op, value)
    if kind == "list":
        contact_list = ContactList.objects.filter(account=account, public_id=ident).first()
        if contact_list is None:
            member = Q(pk__in=[])
        else:
            member = Q(pk__in=contact_list_members(contact_list, depth=depth + 1).values("pk"))
        return member if op == "in" else ~member
    if kind == "subscription":
        return subscriptions().contacts_in_state_q(
            account=account, subscription_type_id=ident, state=op
        )
    raise ValidationError(f"Unknown field “{name}”.")


def search_q(account: Account, q: str) -> Q:
    """A prefix search on name, email and phone, shaped to use the account-leading indexes
    (see the migration that adds the PostgreSQL pattern indexes)."""
    q = q.strip()[:100]
    if not q:
        return Q()
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 3 and re.fullmatch(r"[\d\s()+.-]+", q):
        prefix = phone_prefix(q, account.default_region)
        found = Q(phone_e164__startswith=prefix) | Q(mobile_phone_e164__startswith=prefix)
        if len(digits) < 10 and not q.lstrip().startswith("+"):
            # Part of a number ("0177", "555-01"): people remember the end as often as the
            # start, so it matches anywhere. A whole number stays a prefix, on the index.
            found |= Q(phone_e164__contains=digits) | Q(mobile_phone_e164__contains=digits)
        return found
    words = q.split()
    result = Q(email__startswith=q.lower())
    if len(words) >= 2:
        result |= Q(first_name__istartswith=words[0], last_name__istartswith=" ".join(words[1:]))
    else:
        result |= Q(first_name__istartswith=q) | Q(last_name__istartswith=q)
    return result


def contacts_filtered(
    *, account: Account, contact_filter: ContactFilter | None = None, depth: int = 0
) -> QuerySet[Contact]:
    """The account's contacts matching a filter (unordered)."""
    queryset = Contact.objects.filter(account=account)
    if contact_filter is None:
        return queryset
    if depth > MAX_LIST_NESTING:
        return queryset.none()
    if contact_filter.q:
        queryset = queryset.filter(search_q(account, contact_filter.q))
    if contact_filter.conditions:
        parts = [condition_q(account, c, depth) for c in contact_filter.conditions]
        combined = parts[0]
        for part in parts[1:]:
            combined = (combined | part) if contact_filter.match == "any" else (combined & part)
        queryset = queryset.filter(combined)
    return queryset


def contact_list_members(contact_list: ContactList, depth: int = 0) -> QuerySet[Contact]:
    """A list's contacts: its memberships (static) or its rules evaluated now (active)."""
    if contact_list.kind == ListKind.STATIC:
        return Contact.objects.filter(account_id=contact_list.account_id).filter(
            Exists(
                ContactListMembership.objects.filter(
                    contact_list=contact_list, contact=OuterRef("pk")
                )
            )
        )
    rules = contact_list.rules or {}
    conditions = [Condition(**c) for c in rules.get("conditions", [])]
    if not conditions:
        return Contact.objects.none()
    return contacts_filtered(
        account=contact_list.account,
        contact_filter=ContactFilter(conditions=conditions, match=rules.get("match", "all")),
        depth=depth,
    )


def contact_list_member_ids(
    contact_list: ContactList, *, id_range: tuple[int, int | None] | None = None
) -> QuerySet:
    """The ids of a list's contacts, optionally only those in (lo, hi], for `pk__in=`.

    A static list's range is put on the membership table itself: PostgreSQL does not carry a
    range on contacts over to the joined memberships, and would read all of them per slice.
    """
    if contact_list.kind == ListKind.STATIC:
        ids = ContactListMembership.objects.filter(contact_list=contact_list)
        column = "contact_id"
    else:
        ids = contact_list_members(contact_list)
        column = "pk"
    if id_range is not None:
        lo, hi = id_range
        ids = ids.filter(**{f"{column}__gt": lo})
        if hi is not None:
            ids = ids.filter(**{f"{column}__lte": hi})
    return ids.values(column)


@dataclass
class Page:
    """A keyset page of the newest-first contact order. Cursors are public ids, not offsets."""

    items: list
    next_cursor: str | None
    previous_cursor: str | None


def contacts_page(
    queryset: QuerySet[Contact],
    *,
    account: Account,
    after: str = "",
    before: str = "",
    size: int = PAGE_SIZE,
) -> Page:
    """One page in (-created_at, -id) order, after or before a contact's public id.

    The (account, -created_at, -id) index serves it at any depth; a deleted boundary contact
    starts over from the first page.
    """
    boundary_id = after or before
    boundary = None
    if boundary_id:
        boundary = (
            Contact.objects.filter(account=account, public_id=boundary_id)
            .values("created_at", "id")
            .first()
        )
    if boundary and before:
        rows = list(
            queryset.filter(created_at__gte=boundary["created_at"])
            .filter(Q(created_at__gt=boundary["created_at"]) | Q(id__gt=boundary["id"]))
            .order_by("created_at", "id")[: size + 1]
        )
        has_more = len(rows) > size
        rows = list(reversed(rows[:size]))
        return Page(
            rows,
            next_cursor=rows[-1].public_id if rows else None,
            previous_cursor=rows[0].public_id if has_more and rows else None,
        )
    if boundary:
        # The plain bound lets the index scan start at the boundary; the OR breaks ties.
        queryset = queryset.filter(created_at__lte=boundary["created_at"]).filter(
            Q(created_at__lt=boundary["created_at"]) | Q(id__lt=boundary["id"])
        )
    rows = list(queryset.order_by("-created_at", "-id")[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return Page(
        rows,
        next_cursor=rows[-1].public_id if has_more and rows else None,
        previous_cursor=rows[0].public_id if boundary and rows else None,
    )


def contacts_iter_ids(queryset: QuerySet[Contact], *, batch: int = 2000) -> Iterator[list[int]]:
    """Contact ids in keyset batches, for jobs that walk a whole filter or list."""
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _engagements(
    *,
    account: Account,
    contact: Contact,
    kinds: set[str],
    limit: int,
    before: TimelineCursor | None,
) -> list[TimelineItem]:
    engagements = (
        Engagement.objects.filter(account=account, contact=contact)
        .filter(timeline_after_q(before))
        .order_by("-occurred_at", "-public_id")
    )
    if kinds != set(EngagementKind.values):
        engagements = engagements.filter(kind__in=kinds)
    return [
        TimelineItem(e.public_id, e.kind, e.occurred_at, e.summary, e.data, e.link_url)
        for e in engagements[:limit]
    ]


def contact_timeline(
    *,
    account: Account,
    contact: Contact,
    kinds: list[str] | None = None,
    limit: int = 50,
    before: TimelineCursor | None = None,
) -> list[TimelineItem]:
    """The contact's timeline, newest first: the kinds asked for (all when none), at most
    `limit` items, older than `before`."""
    wanted = {k for k in (kinds or []) if k in EngagementKind.values} or set(EngagementKind.values)
    items = _engagements(account=account, contact=contact, kinds=wanted, limit=limit, before=before)
    for source_kinds, read in timeline_sources():
        if asked := wanted & source_kinds:
            items += read(account=account, contact=contact, kinds=asked, limit=limit, before=before)
    for kind, complete in timeline_completers():
        if kind in wanted:
            items = complete(account=account, items=items)
    items.sort(key=lambda item: (item.occurred_at, item.id), reverse=True)
    return items[:limit]


def contact_properties(*, account: Account) -> QuerySet[ContactProperty]:
    return ContactProperty.objects.filter(account=account).order_by("label")


def contact_lists(*, account: Account) -> QuerySet[ContactList]:
    return ContactList.objects.filter(account=account).order_by("name")


def contact_list_memberships_of(*, account: Account, contact: Contact) -> list[ContactList]:
    """Static lists the contact is on (active lists are computed, see contact_list_members)."""
    return list(
        ContactList.objects.filter(
            account=account,
            kind=ListKind.STATIC,
            pk__in=ContactListMembership.objects.filter(contact=contact).values("contact_list_id"),
        ).order_by("name")
    )


def contact_imports(*, account: Account) -> QuerySet[ContactImport]:
    return ContactImport.objects.filter(account=account).order_by("-created_at")


def contact_import_last_mapping(*, account: Account) -> dict[str, str]:
    """The column mapping of the account's most recent mapped import, by normalised header."""
    last = (
        ContactImport.objects.filter(account=account)
        .exclude(mapping={})
        .order_by("-created_at")
        .values_list("mapping", flat=True)
        .first()
    )
    return {header_key(h): target for h, target in (last or {}).items()}


def header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def phone_reformats(*, account: Account) -> QuerySet[PhoneReformat]:
    return PhoneReformat.objects.filter(account=account).order_by("-created_at")


def contacts_by_ids(*, account: Account, contact_ids) -> QuerySet[Contact]:
    """Other apps' way to load contacts they hold ids of (fan-out, analytics)."""
    return Contact.objects.filter(account=account, pk__in=contact_ids)


def contact_token_values(contact: Contact) -> dict[str, object]:
    """What personalisation tokens can read: contact fields and property values by key."""
    values: dict[str, object] = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        # E.164 as fan-out renders them, so the preview shows (and counts) what is sent.
        "phone": contact.phone_e164 or contact.phone_raw,
        "mobile_phone": contact.mobile_phone_e164 or contact.mobile_phone_raw,
        "company_name": contact.company_name,
        "time_zone": contact.time_zone,
    }
    for key, value in (contact.properties or {}).items():
        values.setdefault(key, value)
    return values


def contact_filter_from_query(account: Account, query) -> ContactFilter:
    """The index's filter from its query string (also stored by bulk jobs, so "the whole
    filter" means the same thing later). Raises ValidationError on a bad condition.

    Parameters: q; list (a list's public id); subscription + subscription_state; and repeated
    field/op/value triples for property and field conditions.
    """
    conditions: list[Condition] = []
    list_id = (query.get("list") or "").strip()
    if list_id:
        conditions.append(condition_validate(account, {"field": f"list:{list_id}", "op": "in"}))
    subscription = (query.get("subscription") or "").strip()
    if subscription:
        conditions.append(
            condition_validate(
                account,
                {
                    "field": f"subscription:{subscription}",
                    "op": query.get("subscription_state") or "subscribed",
                },
            )
        )
    getlist = getattr(query, "getlist", lambda name: [query[name]] if query.get(name) else [])
    fields, ops, values = getlist("field"), getlist("op"), getlist("value")
    for position, name in enumerate(fields):
        if not name:
            continue
        conditions.append(
            condition_validate(
                account,
                {
                    "field": name,
                    "op": ops[position] if position < len(ops) else "",
                    "value": values[position] if position < len(values) else "",
                },
            )
        )
    return ContactFilter(q=(query.get("q") or "").strip(), conditions=conditions)
