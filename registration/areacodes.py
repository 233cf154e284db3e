"""US geographic area codes with their state, derived from the phonenumbers package.

phonenumbers knows which +1 area codes are US (not Canada, not the Caribbean or US territories
such as the US Virgin Islands, +1 340) and its geocoder describes number prefixes ("New Jersey",
"San Antonio, TX"). An area code's state is the one most of its prefixes name. Non-geographic
codes (toll-free 8xx, 5xx personal services, 900) have no state and are left out: local 10DLC
numbers are bought in geographic area codes. Built once per process, on first use (about a
second, the geocoder data being large).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

import phonenumbers

from registration.catalog import US_STATES

_STATE_NAMES = {name: name for name in US_STATES.values()}
_STATE_NAMES.update({"Washington State": "Washington", "Washington D.C.": "District of Columbia"})


@dataclass(frozen=True)
class AreaCode:
    code: str
    state: str

    @property
    def label(self) -> str:
        return f"{self.code} ({self.state})"


def _state_of(description: str) -> str | None:
    """The state a geocoder description names: "Ohio", or "Chicago, IL" -> "Illinois"."""
    if description in _STATE_NAMES:
        return _STATE_NAMES[description]
    _, _, tail = description.rpartition(", ")
    return US_STATES.get(tail.strip())


def _is_us(npa: int) -> bool:
    number = phonenumbers.parse(f"+1{npa}5550100")
    return phonenumbers.region_code_for_number(number) == "US"


@functools.cache
def us_area_codes() -> tuple[AreaCode, ...]:
    from phonenumbers.geodata import GEOCODE_DATA

    votes: dict[str, Counter[str]] = {}
    for prefix, names in GEOCODE_DATA.items():
        if not prefix.startswith("1") or len(prefix) < 4:
            continue
        state = _state_of(names.get("en", ""))
        if state:
            votes.setdefault(prefix[1:4], Counter())[state] += 1
    codes = []
    for npa in range(201, 1000):
        code = str(npa)
        if code not in votes or not _is_us(npa):
            continue
        codes.append(AreaCode(code=code, state=votes[code].most_common(1)[0][0]))
    return tuple(codes)


def area_code_get(code: str) -> AreaCode | None:
    return next((area for area in us_area_codes() if area.code == code), None)


_LEADING_CODE = re.compile(r"^(\d{1,3})(?!\d)")


def area_codes_search(query: str = "", *, limit: int = 50) -> list[AreaCode]:
    """Area codes matching what a person types: digits the code starts with ("41", "415",
    or a label such as "415 (California)"), a state's abbreviation ("CA": California only, not
    the Carolinas), or part of a state's name ("new" finds New York, New Jersey...)."""
    query = query.strip()
    if not query:
        return list(us_area_codes()[:limit])
    if digits := _LEADING_CODE.match(query):
        matches = [a for a in us_area_codes() if a.code.startswith(digits.group(1))]
    elif (state := US_STATES.get(query.upper())) is not None:
        matches = [a for a in us_area_codes() if a.state == state]
    else:
        lowered = query.lower()
        matches = [a for a in us_area_codes() if lowered in a.state.lower()]
    return matches[:limit]


@dataclass(frozen=True)
class AreaCodePick:
    """What a typed area-code-or-state asks for: one code to search, or codes to choose from."""

    code: str | None
    choices: list[AreaCode]


def area_code_pick(query: str) -> AreaCodePick:
    """Three digits are searched as typed (the search says when they aren't a US area code);
    anything else that matches one area code searches it, and several are offered to choose."""
    query = query.strip()
    if re.fullmatch(r"\d{3}", query):
        return AreaCodePick(code=query, choices=[])
    matches = area_codes_search(query, limit=500)
    if len(matches) == 1:
        return AreaCodePick(code=matches[0].code, choices=[])
    return AreaCodePick(code=None, choices=matches)
