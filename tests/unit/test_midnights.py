"""Release midnights in every zone: the instant of local midnight is the first of that day.

Local mode runs each fan's pre-save at midnight of the release date in the fan's zone,
so this must hold for every zone GeoIP can report, on every day a release can fall on.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

import pytest

from app.localtime import now_utc, resolve, to_utc

UTC = timezone.utc
SECOND = timedelta(seconds=1)


def _midnights_of_the_next_three_years():
    first = now_utc().date()
    last = date(first.year + 3, first.month, 1) + timedelta(days=first.day - 1)  # 29 Feb too
    return [datetime.combine(first + timedelta(days=n), time()) for n in range((last - first).days)]


def _midnight_failures(tz, midnights):
    """Days whose midnight instant is off its date, or not the first instant of it."""
    failures = []
    for midnight in midnights:
        day = midnight.date()
        utc = resolve(midnight, tz).utc
        if utc.astimezone(tz).date() != day or (utc - SECOND).astimezone(tz).date() == day:
            failures.append((tz.key, day, utc))
    return failures


def test_every_zone_every_day_of_the_next_three_years():
    midnights = _midnights_of_the_next_three_years()
    zones = sorted(available_timezones())
    failures = [f for name in zones for f in _midnight_failures(ZoneInfo(name), midnights)]
    assert len(zones) * len(midnights) > 600_000  # the whole space, not a sample
    assert failures == []


# Zones whose clocks change at midnight (zoneinfo, 2026-2029): midnight is skipped or repeated.
@pytest.mark.parametrize("tz_name, day, utc, wall, kind", [
    ("America/Santiago", date(2027, 9, 5), datetime(2027, 9, 5, 4, 0), time(1, 0), "does not exist"),
    ("Asia/Beirut", date(2027, 3, 28), datetime(2027, 3, 27, 22, 0), time(1, 0), "does not exist"),
    ("Africa/Cairo", date(2027, 4, 30), datetime(2027, 4, 29, 22, 0), time(1, 0), "does not exist"),
    ("America/Havana", date(2027, 3, 14), datetime(2027, 3, 14, 5, 0), time(1, 0), "does not exist"),
    ("America/Havana", date(2027, 11, 7), datetime(2027, 11, 7, 4, 0), time(0, 0), "happens twice"),
    ("Atlantic/Azores", date(2027, 3, 28), datetime(2027, 3, 28, 1, 0), time(1, 0), "does not exist"),
    ("Atlantic/Azores", date(2027, 10, 31), datetime(2027, 10, 31, 0, 0), time(0, 0), "happens twice"),
])
def test_midnight_on_a_dst_change_is_the_first_instant_of_the_day(tz_name, day, utc, wall, kind):
    instant = to_utc(datetime.combine(day, time()), tz_name)
    assert instant.utc == utc.replace(tzinfo=UTC)
    assert instant.local == datetime.combine(day, wall)
    assert kind in instant.note
    assert (instant.utc - SECOND).astimezone(ZoneInfo(tz_name)).date() == day - timedelta(days=1)


def test_asuncion_no_longer_changes_clocks():
    """Paraguay kept summer time for good in 2024: every midnight is ordinary, at UTC-3."""
    tz = ZoneInfo("America/Asuncion")
    for day in (date(2027, 3, 28), date(2027, 10, 3), date(2028, 3, 26)):
        instant = to_utc(datetime.combine(day, time()), "America/Asuncion")
        assert instant.note == "" and instant.utc.astimezone(tz).utcoffset() == timedelta(hours=-3)


@pytest.mark.parametrize("tz_name, day, utc", [
    ("Asia/Kolkata", date(2027, 12, 4), datetime(2027, 12, 3, 18, 30)),  # +05:30
    ("Asia/Kathmandu", date(2027, 12, 4), datetime(2027, 12, 3, 18, 15)),  # +05:45
    ("Australia/Adelaide", date(2027, 12, 4), datetime(2027, 12, 3, 13, 30)),  # +10:30 summer
    ("Australia/Adelaide", date(2027, 6, 4), datetime(2027, 6, 3, 14, 30)),  # +09:30 winter
    ("Australia/Lord_Howe", date(2027, 12, 4), datetime(2027, 12, 3, 13, 0)),  # +11:00 summer
    ("Australia/Lord_Howe", date(2027, 6, 4), datetime(2027, 6, 3, 13, 30)),  # +10:30 winter
    # Lord Howe moves by only 30 minutes, at 02:00: the midnights around it are ordinary.
    ("Australia/Lord_Howe", date(2027, 10, 3), datetime(2027, 10, 2, 13, 30)),
    ("Australia/Lord_Howe", date(2027, 10, 4), datetime(2027, 10, 3, 13, 0)),
    ("Australia/Eucla", date(2027, 12, 4), datetime(2027, 12, 3, 15, 15)),  # +08:45
    ("Pacific/Chatham", date(2027, 12, 4), datetime(2027, 12, 3, 10, 15)),  # +13:45 summer
])
def test_half_hour_and_45_minute_offsets(tz_name, day, utc):
    instant = to_utc(datetime.combine(day, time()), tz_name)
    assert (instant.utc, instant.local, instant.note) == (
        utc.replace(tzinfo=UTC), datetime.combine(day, time()), "")
