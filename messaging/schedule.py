"""When a text may go out: recipients' time zones and the account's quiet hours."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache

import phonenumbers
from phonenumbers import timezone as phone_timezone


class TimeZoneSource:
    CONTACT = "contact"
    PHONE = "phone number"
    ACCOUNT = "account"


@lru_cache(maxsize=4096)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=20_000)
def _zone_for_prefix(e164_prefix: str) -> str | None:
    """The time zone of a NANP area code (+1NPANXX), when phonenumbers knows a single one."""
    try:
        number = phonenumbers.parse(e164_prefix + "0" * (12 - len(e164_prefix)), None)
    except phonenumbers.NumberParseException:
        return None
    zones = [z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
    # An area code across two zones (208: Boise and Los Angeles) says nothing for certain.
    return zones[0] if len(zones) == 1 else None


def zone_from_phone(e164: str) -> str | None:
    # Area code plus exchange decides the zone; caching on it keeps fan-out from re-parsing.
    return _zone_for_prefix(e164[:8]) if e164 else None


def recipient_zone(
    *, contact_zone: str | None, phone_e164: str, account_zone: str
) -> tuple[zoneinfo.ZoneInfo, str]:
    """The zone to schedule a recipient in, and where it came from."""
    if contact_zone and (zone := _zone(contact_zone)):
        return zone, TimeZoneSource.CONTACT
    inferred = zone_from_phone(phone_e164)
    if inferred and (zone := _zone(inferred)):
        return zone, TimeZoneSource.PHONE
    return _zone(account_zone) or dt.UTC, TimeZoneSource.ACCOUNT


def next_allowed(
    when: dt.datetime, zone: dt.tzinfo, *, start: dt.time, end: dt.time
) -> dt.datetime:
    """The earliest moment at or after `when` that falls inside [start, end) local time."""
    local = when.astimezone(zone)
    if start <= local.time() < end:
        return when
    day = local.date() if local.time() < start else local.date() + dt.timedelta(days=1)
    opening = dt.datetime.combine(day, start)
    # Resolve the wall-clock time in the zone (fold=0: the first of an ambiguous pair).
    return opening.replace(tzinfo=zone).astimezone(dt.UTC)


def local_time_in_zone(local: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A naive wall-clock datetime placed in `zone`, as UTC."""
    return local.replace(tzinfo=zone).astimezone(dt.UTC)
