from __future__ import annotations

import datetime as dt

import pytest

from messaging.services.allotment import period_for


@pytest.mark.parametrize(
    ("today", "renewal_day", "expected"),
    [
        (dt.date(2026, 11, 22), 15, (dt.date(2026, 11, 15), dt.date(2026, 12, 15))),
        (dt.date(2026, 11, 10), 15, (dt.date(2026, 10, 15), dt.date(2026, 11, 15))),
        (dt.date(2026, 11, 15), 15, (dt.date(2026, 11, 15), dt.date(2026, 12, 15))),
        (dt.date(2026, 1, 3), 20, (dt.date(2025, 12, 20), dt.date(2026, 1, 20))),
        (dt.date(2026, 12, 31), 31, (dt.date(2026, 12, 31), dt.date(2027, 1, 31))),
        # A contract signed on the 31st renews on the last day of shorter months.
        (dt.date(2026, 2, 28), 31, (dt.date(2026, 2, 28), dt.date(2026, 3, 31))),
        (dt.date(2026, 2, 27), 31, (dt.date(2026, 1, 31), dt.date(2026, 2, 28))),
    ],
)
def test_the_period_runs_from_one_contract_day_to_the_next(today, renewal_day, expected):
    assert period_for(today, renewal_day) == expected
