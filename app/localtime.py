"""Local wall-clock times in an IANA zone to UTC instants, DST included.

A local time inside a DST gap does not exist: it moves forward to the first
valid instant (the transition). An ambiguous one (the hour repeated when the
clocks go back) takes its first occurrence.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@dataclass(frozen=True)
class Instant:
    utc: datetime
    local: datetime  # naive wall-clock time actually used
    note: str = ""  # set when the requested local time was adjusted or ambiguous


@lru_cache(maxsize=1)
def all_zones():
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def zone(name):
    """The ZoneInfo for an IANA name, or ValueError with a readable message."""
    if not name or name not in set(all_zones()):
        raise ValueError(f"'{name}' is not an IANA time zone (for example Europe/Berlin)")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - listed but missing
        raise ValueError(f"'{name}' is not an IANA time zone") from exc


def now_utc():
    return datetime.now(timezone.utc)


def _wall(instant, tz):
    return instant.astimezone(tz).replace(tzinfo=None)


def to_utc(local, tz_name):
    """Resolve a naive local time in ``tz_name`` to an Instant."""
    tz = zone(tz_name)
    local = local.replace(tzinfo=None, second=0, microsecond=0)
    first = local.replace(tzinfo=tz, fold=0).astimezone(timezone.utc)
    second = local.replace(tzinfo=tz, fold=1).astimezone(timezone.utc)
    if _wall(first, tz) == local and _wall(second, tz) == local:
        if first != second:
            note = f"{local:%Y-%m-%d %H:%M} happens twice in {tz_name}; the first occurrence is used"
            return Instant(min(first, second), local, note)
        return Instant(first, local)
    moved = _first_instant_at_or_after(local, tz, min(first, second), max(first, second))
    wall = _wall(moved, tz)
    note = (f"{local:%Y-%m-%d %H:%M} does not exist in {tz_name} (clocks go forward); "
            f"moved to {wall:%H:%M}")
    return Instant(moved, wall, note)


def _first_instant_at_or_after(local, tz, low, high):
    """Binary search, to the second, for the first instant whose wall time >= local."""
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if _wall(mid, tz) >= local:
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0) if _wall(high.replace(microsecond=0), tz) >= local else high


def iso_utc(instant):
    return instant.astimezone(timezone.utc).isoformat() if instant else None


def as_utc(value):
    """Values read back from SQLite lose their zone; they were stored as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)
