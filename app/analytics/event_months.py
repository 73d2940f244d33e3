"""The raw events by calendar month: partitions on PostgreSQL, and how long they are kept.

On PostgreSQL ``event`` is partitioned by range of ``occurred_at``, one partition per UTC
month (``event_p2026_12``), beside ``event_default``, which takes the rows of a month with
no partition yet, so an insert never fails (a backfill, a clock far off). ``ensure`` makes
the months ahead and moves rows out of the default into a month made for them. SQLite keeps
one table.

Dashboards read the rollups (app.analytics.rollups), kept for ever; the raw events are kept
EVENT_RETENTION_MONTHS (the current month and the ones before it; 0: for ever). ``drop_old``
removes a month only once its rollups are checked to count every event of it: whole
partitions on PostgreSQL (no row-by-row delete, no bloat), rows in batches on SQLite.
"""
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from flask import current_app
from sqlalchemy import delete, func, select, text

from app import audit
from app.extensions import db
from app.models import Event
from app.models.event_rollup import EventDaily

AHEAD = 3  # months made ahead of the current one
DEFAULT = "event_default"
PREFIX = "event_p"
DELETE_BATCH = 20000  # rows per transaction when SQLite deletes old events
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Month:
    """A UTC calendar month, and its raw events' place."""

    first: date

    @classmethod
    def of(cls, moment):
        return cls(date(moment.year, moment.month, 1))

    def plus(self, months):
        year, month = divmod(self.first.year * 12 + self.first.month - 1 + months, 12)
        return Month(date(year, month + 1, 1))

    @property
    def start(self):
        return datetime.combine(self.first, time(), tzinfo=timezone.utc)

    @property
    def end(self):
        return self.plus(1).start

    @property
    def table(self):
        return f"{PREFIX}{self.first:%Y_%m}"

    def __str__(self):
        return f"{self.first:%Y-%m}"


def is_partition(table_name):
    """Whether a table is one of the event table's partitions (made by ``ensure``, not by a
    migration: schema comparisons leave them out)."""
    return table_name == DEFAULT or (table_name.startswith(PREFIX)
                                     and table_name.removeprefix(PREFIX)[:4].isdigit())


def migrated(obj, name, type_, reflected, compare_to):
    """Alembic's include_object: schema comparisons leave the partitions and their indexes
    out (the cron makes them, no migration)."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return table is None or not is_partition(table.name)


def partitioned():
    """Whether the events are kept by month (PostgreSQL), rather than in one table."""
    return db.session.get_bind().dialect.name == "postgresql"


def kept_months():
    """EVENT_RETENTION_MONTHS; 0 keeps the raw events for ever."""
    months = current_app.config["EVENT_RETENTION_MONTHS"]
    if months < 0:
        raise ValueError("EVENT_RETENTION_MONTHS must be 0 (keep for ever) or more")
    return months


def kept_since(now):
    """The first month whose raw events are kept at ``now`` (None: every month is)."""
    months = kept_months()
    return Month.of(now).plus(1 - months) if months else None


# --- partitions (PostgreSQL) ----------------------------------------------------------------

def partitions():
    """{Month: table} of the monthly partitions there are."""
    names = db.session.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass('event')")).all()
    return {_month_of(name): name for name in names if name.startswith(PREFIX)}


def ensure(now, since=None):
    """Make the monthly partitions from ``since`` (default: the current month) to AHEAD
    months after ``now``, and one for each month the default partition holds rows of, moving
    them there. Returns the months made. Commits each month on its own."""
    if not partitioned():
        return []
    wanted = _months(since or Month.of(now), Month.of(now).plus(AHEAD))
    waiting = set(_default_months())
    have = partitions()
    made = []
    for month in sorted(set(wanted) | waiting, key=lambda m: m.first):
        if month in have:
            continue
        _make(month, move=month in waiting)
        db.session.commit()
        made.append(month)
        log.info("events: partition %s made", month.table)
    return made


def _make(month, move):
    bounds = f"FROM ('{month.start.isoformat()}') TO ('{month.end.isoformat()}')"
    if not move:  # nothing of this month waits in the default (checked again by PostgreSQL)
        db.session.execute(text(f"CREATE TABLE {month.table} PARTITION OF event FOR VALUES "
                                f"{bounds}"))
        return
    # The default may not hold rows of a new partition's range: take it out for the move.
    # Inserts wait for this transaction (it holds the table), none fails.
    columns = ", ".join(c.name for c in Event.__table__.columns)
    span = {"start": month.start, "end": month.end}
    within = "occurred_at >= :start AND occurred_at < :end"
    db.session.execute(text(f"ALTER TABLE event DETACH PARTITION {DEFAULT}"))
    db.session.execute(text(f"CREATE TABLE {month.table} PARTITION OF event FOR VALUES "
                            f"{bounds}"))
    db.session.execute(text(f"INSERT INTO event ({columns}) SELECT {columns} FROM {DEFAULT} "
                            f"WHERE {within}"), span)
    db.session.execute(text(f"DELETE FROM {DEFAULT} WHERE {within}"), span)
    db.session.execute(text(f"ALTER TABLE event ATTACH PARTITION {DEFAULT} DEFAULT"))


def _default_months():
    rows = db.session.execute(text(
        f"SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') FROM {DEFAULT}"))
    return [Month.of(first) for (first,) in rows]


def _months(first, last):
    months = [first]
    while months[-1] != last and months[-1].first < last.first:
        months.append(months[-1].plus(1))
    return months


def _month_of(table):
    year, month = table.removeprefix(PREFIX).split("_")
    return Month(date(int(year), int(month), 1))


# --- retention ------------------------------------------------------------------------------

@dataclass
class Due:
    """A month of raw events past the limit: how many there are, and whether the rollups
    count each of them (only then is it dropped)."""

    month: Month
    events: int
    counted: bool


def due(now):
    """The months of raw events past EVENT_RETENTION_MONTHS at ``now``, oldest first."""
    first_kept = kept_since(now)
    if first_kept is None:
        return []
    found, partitioned_months = [], _partition_months()
    for month in _months_before(first_kept):
        events = _count(month)
        if events or month in partitioned_months:
            found.append(Due(month, events, not _uncounted(month)))
    return found


def due_count(now, label_id):
    """How many raw events of the label are past the limit at ``now``."""
    first_kept = kept_since(now)
    if first_kept is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(Event).where(
        Event.label_id == label_id, Event.occurred_at < first_kept.start))


def drop_old(now, progress=None, found=None):
    """Remove the raw events of the months ``due`` finds counted, and say so in the audit
    trail; a month whose rollups miss some of its events is kept, and logged. ``progress(n)``
    after each n events removed; ``found``: what ``due(now)`` returned just before. Returns
    the ``Due`` list it acted on."""
    months = due(now) if found is None else found
    removed = [month for month in months if month.counted]
    for month in months:
        if not month.counted:
            log.error("events: %s kept past the limit: its rollups do not count all its "
                      "events (flask analytics rebuild-rollups)", month.month)
            continue
        _remove(month, progress)
        log.info("events: %s removed (%d events; their counts are kept)", month.month,
                 month.events)
    if removed:
        audit.record("analytics.events_removed", detail={
            "months": [str(m.month) for m in removed],
            "events": sum(m.events for m in removed), "kept_months": kept_months()},
            name="raw analytics events")
        db.session.commit()
    return months


def _months_before(first_kept):
    """Months before ``first_kept`` that hold raw events (or a partition), oldest first."""
    if partitioned():
        months = set(partitions()) | set(_default_months())
    else:
        oldest = db.session.scalar(select(func.min(Event.occurred_at)))
        months = set(_months(Month.of(oldest), first_kept)) if oldest is not None else set()
    return sorted((m for m in months if m.first < first_kept.first), key=lambda m: m.first)


def _partition_months():
    return set(partitions()) if partitioned() else set()


def _in(month):
    return (Event.occurred_at >= month.start, Event.occurred_at < month.end)


def _count(month):
    return db.session.scalar(select(func.count()).select_from(Event).where(*_in(month)))


def by_month():
    """[(Month, events)] of every month holding raw events, oldest first."""
    month = func.date_trunc("month", func.timezone("UTC", Event.occurred_at)) if partitioned() \
        else func.strftime("%Y-%m-01", Event.occurred_at)
    rows = db.session.execute(select(month, func.count()).group_by(month).order_by(month))
    return [(Month.of(as_date(first)), events) for first, events in rows]


def as_date(value):
    """A date read back from either database (SQLite gives text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def utc_day(column):
    """The UTC date of an instant column, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def _uncounted(month):
    """(release, day, kind) groups of the month with more events than the daily rollup
    counts; the first few."""
    day = utc_day(Event.occurred_at).label("day")
    raw = (select(Event.release_id, day, Event.kind, func.count().label("events"))
           .where(Event.release_id.is_not(None), *_in(month))
           .group_by(Event.release_id, day, Event.kind).subquery())
    counted = func.coalesce(EventDaily.count, 0)
    return db.session.execute(
        select(raw.c.release_id, raw.c.day, raw.c.kind)
        .outerjoin(EventDaily, (EventDaily.release_id == raw.c.release_id)
                   & (func.date(EventDaily.day) == raw.c.day) & (EventDaily.kind == raw.c.kind))
        .where(counted < raw.c.events).limit(5)).all()


def _remove(found, progress):
    month = found.month
    if partitioned():
        if month in partitions():
            db.session.execute(text(f"ALTER TABLE event DETACH PARTITION {month.table}"))
            db.session.execute(text(f"DROP TABLE {month.table}"))
        # Rows of the month left in the default (it had no partition then).
        db.session.execute(text(f"DELETE FROM {DEFAULT} WHERE occurred_at >= :start AND "
                                f"occurred_at < :end"), {"start": month.start, "end": month.end})
        db.session.commit()
        if progress:
            progress(found.events)
        return
    while True:
        ids = db.session.scalars(select(Event.id).where(*_in(month)).limit(DELETE_BATCH)).all()
        if not ids:
            return
        db.session.execute(delete(Event).where(Event.id.in_(ids)),
                           execution_options={"synchronize_session": False})
        db.session.commit()
        if progress:
            progress(len(ids))
