"""Local wall-clock times in an IANA zone to UTC instants, DST included.

A local time inside a DST gap does not exist: it moves forward to the first
valid instant (the transition). An ambiguous one (the hour repeated when the
clocks go back) takes its first occurrence.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


# A NamedTuple, not a dataclass: local mode resolves one instant per fan zone, tests ~650,000.
class Instant(NamedTuple):
    utc: datetime
    local: datetime  # naive wall-clock time actually used
    note: str = ""  # set when the requested local time was adjusted or ambiguous


@lru_cache(maxsize=1)
def all_zones():
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


@lru_cache(maxsize=1)
def _known_zones():
    return frozenset(all_zones())


def zone(name):
    """The ZoneInfo for an IANA name, or ValueError with a readable message."""
    if not name or name not in _known_zones():
        raise ValueError(f"'{name}' is not an IANA time zone (for example Europe/Berlin)")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - listed but missing
        raise ValueError(f"'{name}' is not an IANA time zone") from exc


_frozen_at = ContextVar("frozen_at", default=None)


def now_utc():
    """The current instant, timezone-aware UTC; every reader of the clock goes through here."""
    return _frozen_at.get() or datetime.now(timezone.utc)


@contextmanager
def frozen(at):
    """Within the block (this thread or task), now_utc() is ``at``. Nest blocks to move on."""
    if at.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware instant")
    token = _frozen_at.set(at.astimezone(timezone.utc))
    try:
        yield at
    finally:
        _frozen_at.reset(token)


def _wall(instant, tz):
    return instant.astimezone(tz).replace(tzinfo=None)


def to_utc(local, tz_name):
    """Resolve a naive local time in ``tz_name`` to an Instant."""
    return resolve(local, zone(tz_name))


def resolve(local, tz):
    """Resolve a naive local time in a ZoneInfo to an Instant."""
    if local.tzinfo is not None or local.second or local.microsecond:
        local = local.replace(tzinfo=None, second=0, microsecond=0)
    first = local.replace(tzinfo=tz, fold=0).astimezone(timezone.utc)
    second = local.replace(tzinfo=tz, fold=1).astimezone(timezone.utc)
    if first == second:  # zoneinfo gives both folds one offset only outside gaps and overlaps
        return Instant(first, local)
    tz_name = tz.key
    if _wall(first, tz) == local and _wall(second, tz) == local:
        note = f"{local:%Y-%m-%d %H:%M} happens twice in {tz_name}; the first occurrence is used"
        return Instant(min(first, second), local, note)
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
