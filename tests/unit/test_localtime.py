"""Local wall-clock times to UTC instants (app.localtime), DST gaps and overlaps included."""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from app.localtime import as_utc, frozen, iso_utc, now_utc, to_utc, zone
from app.models.base import utcnow

UTC = timezone.utc


@pytest.mark.parametrize("local, tz_name, utc, wall", [
    # Chile springs forward at midnight on the first Sunday of September: 00:00 never happens.
    (datetime(2026, 9, 6, 0, 0), "America/Santiago", datetime(2026, 9, 6, 4, 0), datetime(2026, 9, 6, 1, 0)),
    (datetime(2026, 9, 6, 0, 30), "America/Santiago", datetime(2026, 9, 6, 4, 0), datetime(2026, 9, 6, 1, 0)),
    # Berlin, last Sunday of March: 02:00 -> 03:00.
    (datetime(2026, 3, 29, 2, 30), "Europe/Berlin", datetime(2026, 3, 29, 1, 0), datetime(2026, 3, 29, 3, 0)),
    (datetime(2026, 3, 29, 2, 0), "Europe/Berlin", datetime(2026, 3, 29, 1, 0), datetime(2026, 3, 29, 3, 0)),
    # Lord Howe Island moves by half an hour.
    (datetime(2026, 10, 4, 2, 15), "Australia/Lord_Howe", datetime(2026, 10, 3, 15, 30), datetime(2026, 10, 4, 2, 30)),
], ids=["santiago-midnight", "santiago-00:30", "berlin-02:30", "berlin-02:00", "lord-howe"])
def test_a_time_in_a_dst_gap_moves_forward_to_the_transition(local, tz_name, utc, wall):
    instant = to_utc(local, tz_name)
    assert instant.utc == utc.replace(tzinfo=UTC)
    assert instant.local == wall
    assert "does not exist" in instant.note and f"moved to {wall:%H:%M}" in instant.note
    assert tz_name in instant.note


def test_an_ambiguous_time_takes_the_first_occurrence():
    instant = to_utc(datetime(2026, 10, 25, 2, 30), "Europe/Berlin")
    assert instant.utc == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # still CEST, +02:00
    assert instant.local == datetime(2026, 10, 25, 2, 30)
    assert "twice" in instant.note and "first occurrence" in instant.note


@pytest.mark.parametrize("local, tz_name, utc", [
    (datetime(2026, 9, 5, 23, 59), "America/Santiago", datetime(2026, 9, 6, 3, 59)),
    (datetime(2026, 9, 6, 1, 0), "America/Santiago", datetime(2026, 9, 6, 4, 0)),
    (datetime(2026, 3, 29, 1, 59), "Europe/Berlin", datetime(2026, 3, 29, 0, 59)),
    (datetime(2026, 10, 25, 3, 0), "Europe/Berlin", datetime(2026, 10, 25, 2, 0)),
    (datetime(2026, 12, 4, 0, 0), "Asia/Kolkata", datetime(2026, 12, 3, 18, 30)),
    (datetime(2026, 12, 4, 0, 0), "UTC", datetime(2026, 12, 4, 0, 0)),
])
def test_ordinary_times_convert_exactly_without_a_note(local, tz_name, utc):
    instant = to_utc(local, tz_name)
    assert (instant.utc, instant.local, instant.note) == (utc.replace(tzinfo=UTC), local, "")


def test_seconds_and_a_stray_zone_are_dropped_from_the_wall_time():
    instant = to_utc(datetime(2026, 12, 4, 0, 0, 42, 7, tzinfo=UTC), "Europe/Berlin")
    assert instant.local == datetime(2026, 12, 4, 0, 0)
    assert instant.utc == datetime(2026, 12, 3, 23, 0, tzinfo=UTC)


def test_every_midnight_of_a_year_resolves_to_a_valid_local_instant():
    """Round trip: the UTC instant shows the wall time reported (gaps moved forward)."""
    tz = zone("America/Santiago")
    day = datetime(2026, 1, 1)
    for _ in range(366):
        instant = to_utc(day, "America/Santiago")
        assert instant.utc.astimezone(tz).replace(tzinfo=None) == instant.local
        assert instant.local >= day and instant.local - day < timedelta(hours=2)
        day += timedelta(days=1)


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "europe/berlin", "", None, "Berlin"])
def test_unknown_zones_raise_with_a_message(name):
    with pytest.raises(ValueError, match="IANA time zone"):
        to_utc(datetime(2026, 1, 1), name)
    with pytest.raises(ValueError, match="Europe/Berlin"):  # shows an example to follow
        zone(name)


def test_as_utc_and_iso_utc():
    naive = datetime(2026, 1, 1, 12, 0)
    assert as_utc(naive) == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    berlin = datetime(2026, 1, 1, 13, 0, tzinfo=zone("Europe/Berlin"))
    assert as_utc(berlin) is berlin and as_utc(None) is None
    assert iso_utc(berlin) == "2026-01-01T12:00:00+00:00" and iso_utc(None) is None


def test_a_frozen_clock_drives_now_utc_and_nests_to_move_on():
    at = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    with frozen(at.astimezone(zone("Asia/Tokyo"))):
        assert now_utc() == at and now_utc().utcoffset() == timedelta(0)
        assert utcnow() == at  # column defaults read the same clock
        with frozen(at + timedelta(days=1)):
            assert now_utc() == at + timedelta(days=1)
        assert now_utc() == at
    assert abs(now_utc() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_frozen_clock_is_private_to_its_thread_and_refuses_naive_times():
    seen = []
    with frozen(datetime(2027, 3, 1, tzinfo=UTC)):
        worker = threading.Thread(target=lambda: seen.append(now_utc()))
        worker.start()
        worker.join()
    assert abs(seen[0] - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError, match="timezone-aware"):
        with frozen(datetime(2027, 3, 1)):
            pass
