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


def area_codes_search(query: str = "", *, limit: int = 50) -> list[AreaCode]:
    """Area codes whose digits start with ``query``, or whose state contains it."""
    query = query.strip().lower()
    if not query:
        return list(us_area_codes()[:limit])
    matches = [
        area
        for area in us_area_codes()
        if area.code.startswith(query) or query in area.state.lower()
    ]
    return matches[:limit]
