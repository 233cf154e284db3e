"""Reading phone numbers and judging them for SMS."""

from __future__ import annotations

import random

import pytest

from contacts import phones
from contacts.phones import PhoneIssue, phone_check, phone_repair


@pytest.mark.parametrize(
    ("typed", "e164", "reason"),
    [
        ("(212) 555-0123", "+12125550123", ""),
        ("212.555.0123", "+12125550123", ""),
        ("1 212 555 0123", "+12125550123", ""),
        ("+1 (416) 555-0123", "+14165550123", ""),  # Canada
        ("+1 787 555 1234", "+17875551234", ""),  # Puerto Rico is in the US
        ("+1 340 712 3456", "+13407123456", PhoneIssue.US_VIRGIN_ISLANDS),
        ("+1 876 555 1234", "+18765551234", PhoneIssue.OUTSIDE_US_CANADA),  # Jamaica
        ("+44 7911 123456", "+447911123456", PhoneIssue.NOT_PLUS_ONE),
        ("800-555-1212", "+18005551212", PhoneIssue.NOT_MOBILE_CAPABLE),  # toll-free
        ("+1 900 555 1212", "+19005551212", PhoneIssue.NOT_MOBILE_CAPABLE),  # premium rate
        ("(555) 010-1234", "", PhoneIssue.INVALID),  # no area code 555
        ("212-555-01", "", PhoneIssue.INVALID),
        ("call me", "", PhoneIssue.UNPARSEABLE),
        ("", "", PhoneIssue.MISSING),
        ("   ", "", PhoneIssue.MISSING),
    ],
)
def test_phone_check_reads_and_judges(typed, e164, reason):
    check = phone_check(typed)
    assert (check.e164, check.reason) == (e164, reason)
    assert check.valid_for_sms is (reason == "")
    if reason:
        assert check.reason_text == PhoneIssue(reason).label


def test_default_region_reads_national_numbers():
    assert phone_check("07911 123456", "GB").e164 == "+447911123456"
    assert phone_check("07911 123456", "GB").reason == PhoneIssue.NOT_PLUS_ONE
    # +1 numbers read the same whatever the account's region.
    assert phone_check("+1 212 555 0123", "GB").e164 == "+12125550123"


def test_the_fast_path_agrees_with_phonenumbers_on_random_nanp_numbers():
    rng = random.Random(3)
    for _ in range(3000):
        national = f"{rng.randint(200, 999)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        assert phone_check(national) == phones._phone_check_full(national, "US"), national


@pytest.mark.parametrize(
    ("typed", "new_raw", "fixable"),
    [
        ("(212) 555-0123", "+12125550123", True),
        ("2125550123.0", "+12125550123", True),  # a spreadsheet's float
        ("212-555-0123 ext. 5", "+12125550123", True),
        ("tel: 212/555/0123 (cell)", "+12125550123", True),
        ("5.55E+09", "5.55E+09", False),  # digits lost for good
        ("+44 7911 123456", "+447911123456", False),  # valid, but not +1
        ("+1 340 712 3456", "+13407123456", False),
        ("hello", "hello", False),
    ],
)
def test_phone_repair(typed, new_raw, fixable):
    repair = phone_repair(typed)
    assert repair.new_raw == new_raw
    assert repair.fixable is fixable
    if not fixable:
        assert repair.note


def test_scientific_notation_says_why():
    assert "scientific notation" in phone_repair("2.12555E+09").note
