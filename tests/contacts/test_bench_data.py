"""The benchmark's generated file stays what it claims: valid, distinct US numbers, 1% bad."""

from __future__ import annotations

from bench.contacts_import import csv_text
from contacts.phones import phone_check


def test_bench_csv_is_realistic():
    lines = csv_text(300).splitlines()
    assert lines[0] == "First name,Last name,Email,Phone,Tier"
    phones = [line.split(",")[3] for line in lines[1:]]
    assert len(set(phones)) == 300
    assert all(phone_check(p).valid_for_sms for p in phones)
    assert sum("not-an-email" in line for line in lines) == 3
