"""Names people give to things of their account (a list, a subscription type)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.errors import FieldConflict


def unique_name_clean(name: str, *, noun: str, max_length: int, others: QuerySet) -> str:
    """The name trimmed; ValidationError on "name" when it is empty or longer than
    `max_length`, FieldConflict (a ValidationError too) when it is already taken among `others`
    (the account's other rows), whatever its case."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": f"Give the {noun} a name."})
    if len(name) > max_length:
        raise ValidationError({"name": f"At most {max_length} characters."})
    if others.filter(name__iexact=name).exists():
        raise FieldConflict({"name": f"A {noun} named “{name}” already exists."}, code="name_taken")
    return name
