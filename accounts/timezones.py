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


# The zones most of our US and Canadian customers' contacts live in, offered first.
COMMON_TIME_ZONES = (
    ("America/New_York", "Eastern (New York)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Mountain, no DST (Phoenix)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("America/Halifax", "Atlantic (Halifax)"),
    ("America/St_Johns", "Newfoundland (St. John's)"),
    ("America/Puerto_Rico", "Atlantic, no DST (Puerto Rico)"),
)


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every IANA zone for a select, grouped: the common North American ones first, then by
    region ("America", "Europe", ...), each zone labelled by its city ("America/New_York" ->
    "New York")."""
    common = {name for name, _ in COMMON_TIME_ZONES}
    regions: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(time_zone_names()):
        if name in common:
            continue
        region, _, place = name.partition("/")
        if not place or region in ("Etc", "SystemV", "US", "Canada", "Brazil", "Chile", "Mexico"):
            region, place = "Other", name
        regions.setdefault(region, []).append((name, place.replace("_", " ").replace("/", " / ")))
    return [
        ("Common", list(COMMON_TIME_ZONES)),
        *((region, zones) for region, zones in sorted(regions.items()) if region != "Other"),
        ("Other", regions.get("Other", [])),
    ]
