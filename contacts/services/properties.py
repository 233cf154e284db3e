"""Account-defined contact properties: their definitions, and reading a value for one."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.text import slugify

from accounts.errors import FieldConflict
from accounts.models import Account
from contacts.models import CONTACT_FIELDS, ContactProperty, PropertyType

# Keys a property can't take: they are contact fields (tokens read both from one namespace).
RESERVED_KEYS = frozenset({*CONTACT_FIELDS, "owner", "id", "created_at", "updated_at"})
# A key as keys are kept (what slugify leaves of one, starting with a letter).
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,59}\Z"
MAX_TEXT_LENGTH = 1000
MAX_CHOICES = 200
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y")
_NUMBER_NOISE = re.compile(r"[,\s$]")


def property_value_clean(definition: ContactProperty, raw) -> str | int | float | None:
    """The stored form of a value for this property, or ValueError with a reason a person reads.

    Empty means "no value" (None). Numbers accept "1,234.50" and "$12"; dates accept ISO
    (2026-03-01) and US (03/01/2026); single-choice values match a choice case-insensitively.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(f"{definition.label} can't be true or false.")
    if isinstance(raw, int | float) and definition.type == PropertyType.NUMBER:
        return raw
    text = str(raw).strip()
    if not text:
        return None
    if definition.type == PropertyType.TEXT:
        if len(text) > MAX_TEXT_LENGTH:
            raise ValueError(f"{definition.label} is longer than {MAX_TEXT_LENGTH} characters.")
        return text
    if definition.type == PropertyType.NUMBER:
        try:
            number = Decimal(_NUMBER_NOISE.sub("", text))
        except InvalidOperation:
            raise ValueError(f"{definition.label} must be a number, not “{text[:40]}”.") from None
        if not number.is_finite():
            raise ValueError(f"{definition.label} must be a number, not “{text[:40]}”.")
        return int(number) if number == number.to_integral_value() else float(number)
    if definition.type == PropertyType.DATE:
        for fmt in _DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, fmt).date().isoformat()  # noqa: DTZ007
            except ValueError:
                continue
        raise ValueError(
            f"{definition.label} must be a date like 2026-03-01 or 03/01/2026, not “{text[:40]}”."
        )
    if definition.type == PropertyType.CHOICE:
        for choice in definition.choices:
            if choice.casefold() == text.casefold():
                return choice
        options = ", ".join(definition.choices[:10])
        raise ValueError(f"{definition.label} must be one of: {options} (got “{text[:40]}”).")
    raise ValueError(f"Unknown property type {definition.type}.")


def property_values_clean(
    *, definitions: dict[str, ContactProperty], values: dict
) -> tuple[dict, dict[str, str]]:
    """Clean a {key: value} dict: the cleaned values, and errors by key."""
    cleaned: dict = {}
    errors: dict[str, str] = {}
    for key, raw in (values or {}).items():
        definition = definitions.get(key)
        if definition is None:
            errors[key] = f"There is no contact property “{key}”."
            continue
        try:
            cleaned[key] = property_value_clean(definition, raw)
        except ValueError as exc:
            errors[key] = str(exc)
    return cleaned, errors


def property_key_from_label(label: str) -> str:
    """A key made from a label that keys can take (KEY_PATTERN, and not a contact field's), for
    an API client that gives none: "Favourite store" -> favourite_store, "2024 budget" ->
    p_2024_budget, "Email" -> email_property."""
    key = slugify(label).replace("-", "_")
    if not re.match(r"[a-z]", key):
        key = f"p_{key}"
    key = key[:60].rstrip("_")
    return f"{key}_property" if key in RESERVED_KEYS else key


def _choices_clean(property_type: str, choices: list[str] | None) -> list[str]:
    if property_type != PropertyType.CHOICE:
        return []
    cleaned: list[str] = []
    for choice in choices or []:
        choice = str(choice).strip()
        if choice and choice.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(choice[:100])
    if not cleaned:
        raise ValidationError({"choices": "A single-choice property needs at least one choice."})
    if len(cleaned) > MAX_CHOICES:
        raise ValidationError({"choices": f"At most {MAX_CHOICES} choices."})
    return cleaned


@transaction.atomic
def contact_property_create(
    *,
    account: Account,
    label: str,
    type: str,  # noqa: A002 - the property's type, as the API names it
    key: str = "",
    choices: list[str] | None = None,
) -> ContactProperty:
    label = label.strip()
    if not label:
        raise ValidationError({"label": "Give the property a name."})
    if type not in PropertyType.values:
        raise ValidationError({"type": f"Choose one of: {', '.join(PropertyType.values)}."})
    key = slugify(key or label).replace("-", "_")[:60]
    if not key or not re.match(r"^[a-z]", key):
        raise ValidationError({"key": "The key must start with a letter (a-z)."})
    if key in RESERVED_KEYS:
        raise ValidationError({"key": f"“{key}” is a built-in contact field; choose another key."})
    if ContactProperty.objects.filter(account=account, key=key).exists():
        raise FieldConflict(
            {"key": f"A property with the key “{key}” already exists."}, code="key_taken"
        )
    return ContactProperty.objects.create(
        account=account,
        key=key,
        label=label[:100],
        type=type,
        choices=_choices_clean(type, choices),
    )


@transaction.atomic
def contact_property_update(
    *, account: Account, prop: ContactProperty, label: str, choices: list[str] | None = None
) -> ContactProperty:
    """Rename a property or change its choices. Its key and type stay: values depend on them."""
    prop = ContactProperty.objects.select_for_update().get(pk=prop.pk, account=account)
    label = label.strip()
    if not label:
        raise ValidationError({"label": "Give the property a name."})
    if prop.type == PropertyType.CHOICE and not any(str(c).strip() for c in choices or []):
        # Refused for the type the property has, which this change doesn't set.
        raise FieldConflict(
            {"choices": "A single-choice property needs at least one choice."},
            code="choices_needed",
        )
    prop.label = label[:100]
    prop.choices = _choices_clean(prop.type, choices)
    prop.save(update_fields=["label", "choices"])
    return prop


@transaction.atomic
def contact_property_delete(*, account: Account, prop: ContactProperty) -> None:
    """Remove the definition and every contact's value for it, so a new property with the same
    key starts empty."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE contacts_contact SET properties = properties - %s "
            "WHERE account_id = %s AND properties ? %s",
            [prop.key, account.pk, prop.key],
        )
    ContactProperty.objects.filter(pk=prop.pk, account=account).delete()
