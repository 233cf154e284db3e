from __future__ import annotations

import datetime as dt
import zoneinfo

from messaging.schedule import TimeZoneSource, next_allowed, recipient_zone

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
EIGHT, EIGHT_PM = dt.time(8), dt.time(20)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_inside_quiet_hours_window_sends_now():
    noon_ny = utc(2026, 6, 1, 16, 0)
    assert next_allowed(noon_ny, NEW_YORK, start=EIGHT, end=EIGHT_PM) == noon_ny


def test_late_evening_waits_for_next_morning_local_time():
    ten_pm_ny = utc(2026, 6, 2, 2, 0)  # 22:00 EDT on June 1st
    assert next_allowed(ten_pm_ny, NEW_YORK, start=EIGHT, end=EIGHT_PM) == utc(2026, 6, 2, 12, 0)


def test_early_morning_waits_until_opening_the_same_day():
    six_am_ny = utc(2026, 6, 1, 10, 0)
    assert next_allowed(six_am_ny, NEW_YORK, start=EIGHT, end=EIGHT_PM) == utc(2026, 6, 1, 12, 0)


def test_closing_time_itself_is_outside_the_window():
    eight_pm_ny = utc(2026, 6, 2, 0, 0)
    assert next_allowed(eight_pm_ny, NEW_YORK, start=EIGHT, end=EIGHT_PM) == utc(2026, 6, 2, 12, 0)


def test_opening_across_a_daylight_saving_change_uses_the_new_offset():
    # 21:00 EST on Saturday March 7th 2026; DST starts at 2am on the 8th.
    late = utc(2026, 3, 8, 2, 0)
    assert next_allowed(late, NEW_YORK, start=EIGHT, end=EIGHT_PM) == utc(2026, 3, 8, 12, 0)


def test_zone_comes_from_contact_then_phone_then_account():
    zone, source = recipient_zone(
        contact_zone="America/Denver", phone_e164="+12125550100", account_zone="UTC"
    )
    assert (str(zone), source) == ("America/Denver", TimeZoneSource.CONTACT)
    zone, source = recipient_zone(contact_zone="", phone_e164="+13105550100", account_zone="UTC")
    assert (str(zone), source) == ("America/Los_Angeles", TimeZoneSource.PHONE)
    zone, source = recipient_zone(contact_zone="", phone_e164="", account_zone="America/Chicago")
    assert (str(zone), source) == ("America/Chicago", TimeZoneSource.ACCOUNT)


def test_an_area_code_across_two_zones_tells_no_zone():
    zone, source = recipient_zone(
        contact_zone="", phone_e164="+12085550100", account_zone="America/Chicago"
    )
    assert (str(zone), source) == ("America/Chicago", TimeZoneSource.ACCOUNT)
