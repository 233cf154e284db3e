"""Time zones as accounts and contacts store them: IANA names, checked by a validator rather
than frozen into the database schema as choices (every tzdata release would change those)."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_validate(value: str) -> None:
    if value and value not in time_zone_names():
        raise ValidationError(f"“{value}” is not a time zone (e.g. America/New_York).")


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(time_zone_names())]
