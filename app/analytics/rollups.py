"""Daily rollups of events: incremented as events are stored, rebuilt on demand.

``add(events)`` runs in the transaction that inserted the events (the caller
commits), so counts and events never disagree. ``rebuild()`` recounts from the
raw events through the same keying, for operators (`flask analytics
rebuild-rollups`) and the benchmark.
"""
from collections import Counter
from datetime import timezone
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import sqlite

from app.analytics import event_months
from app.extensions import db
from app.models import Event
from app.models.event_rollup import (ROLLUPS, EventDaily, EventDailyPlace, EventDailyPlatform,
                                     EventDailySource, EventTotalPlace,
                                     EventTotalPlatformCountry, EventTotalSource)
from app.tenants import column_inserts

# Parameter sets per execute.
_BATCH = 5000
# What rebuild() reads of each event: the attributes the keys below use.
_EVENT_COLUMNS = (Event.label_id, Event.artist_id, Event.release_id, Event.kind,
                  Event.occurred_at, Event.platform, Event.country, Event.region, Event.city,
                  Event.latitude, Event.longitude, Event.referrer, Event.utm_source,
                  Event.utm_medium, Event.utm_campaign)


def add(events):
    """Count these just-inserted events (Event objects or rows with the same attributes)
    into every rollup. Events without a release are not counted."""
    counts = {model: Counter() for model in ROLLUPS}
    places = {}
    for event in events:
        if event.release_id is None:
            continue
        day, total = _keys(event)
        place = (_text(event.country, 2).upper(), _text(event.region, 120),
                 _text(event.city, 120))
        source = _source(event)
        platform = _text(event.platform, 32)
        counts[EventDaily][day] += 1
        counts[EventDailyPlatform][day + (platform,)] += 1
        counts[EventTotalPlatformCountry][total + (platform, place[0])] += 1
        counts[EventDailyPlace][day + place] += 1
        counts[EventTotalPlace][total + place] += 1
        counts[EventDailySource][day + source] += 1
        counts[EventTotalSource][total + source] += 1
        if places.get(place) is None and event.latitude is not None:
            places[place] = (event.latitude, event.longitude)
    for model, counter in counts.items():
        _upsert(model, counter, places if "latitude" in model.__table__.c else None)


def rebuild(release_id=None, chunk=20000):
    """Recount the rollups of the current scope (or of one release) from the raw events; the
    caller commits. A release counted on a day before its oldest raw event stored has lost
    those events to retention (app.analytics.event_months): its rollups are all that is left
    of them, so they are left as they are. Returns (events counted, ids of releases left)."""
    left = _counted_before_their_events(release_id)
    for model in ROLLUPS:
        stmt = delete(model).where(model.release_id.not_in(left))
        if release_id is not None:
            stmt = stmt.where(model.release_id == release_id)
        db.session.execute(stmt)
    query = select(*_EVENT_COLUMNS).where(Event.release_id.is_not(None),
                                          Event.release_id.not_in(left))
    if release_id is not None:
        query = query.where(Event.release_id == release_id)
    total = 0
    result = db.session.execute(query.execution_options(yield_per=chunk))
    for rows in result.partitions():
        add(rows)
        total += len(rows)
    return total, sorted(left)


def _counted_before_their_events(release_id=None):
    """Ids of the releases (of one) whose first counted day is before their oldest event."""
    counted = select(EventDaily.release_id, func.min(EventDaily.day)).group_by(
        EventDaily.release_id)
    stored = select(Event.release_id, func.min(Event.occurred_at)).where(
        Event.release_id.is_not(None)).group_by(Event.release_id)
    if release_id is not None:
        counted = counted.where(EventDaily.release_id == release_id)
        stored = stored.where(Event.release_id == release_id)
    oldest = {release: _utc(at).date() for release, at in db.session.execute(stored)}
    return {release for release, day in db.session.execute(counted)
            if release not in oldest or event_months.as_date(day) < oldest[release]}


def referrer_host(referrer):
    """The site a visit came from: the referrer's host without "www.", "" for none."""
    value = (referrer or "").strip()
    if not value:
        return ""
    host = urlsplit(value if "//" in value else "//" + value).hostname or ""
    return host.removeprefix("www.")[:255]


def _keys(event):
    """(owner + daily key, owner + all-time key) of an event, before its breakdowns."""
    day = _utc(event.occurred_at).date()
    owner = (event.label_id, event.artist_id, event.release_id)
    return owner + (day, event.kind), owner + (event.kind,)


def _utc(instant):
    if instant.tzinfo is None:  # rows read back raw from SQLite are naive UTC
        return instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(timezone.utc)


def _source(event):
    return (referrer_host(event.referrer), _text(event.utm_source, 120),
            _text(event.utm_medium, 120), _text(event.utm_campaign, 120))


def _text(value, length):
    return (value or "").strip()[:length]


def _upsert(model, counter, places=None):
    if not counter:
        return
    names = ("label_id", "artist_id") + model.KEY + ("count",)
    if places is not None:
        names += ("latitude", "longitude")
    rows = []
    # Sorted by key: concurrent writers lock rows in one order (no deadlocks on PostgreSQL).
    for key in sorted(counter):
        row = dict(zip(names, key), count=counter[key])
        if places is not None:
            row["latitude"], row["longitude"] = places.get(key[-3:], (None, None))
        rows.append(row)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    # PostgreSQL: one statement for the batch, the rows as JSON. SQLite: one statement,
    # many parameter sets (compiled once: a multi-row VALUES is not cached).
    stmt = (column_inserts.insert_rows(model, names) if postgres
            else sqlite.insert(model))
    table = model.__table__
    changes = {"count": table.c.count + stmt.excluded.count}
    if places is not None:
        changes["latitude"] = func.coalesce(table.c.latitude, stmt.excluded.latitude)
        changes["longitude"] = func.coalesce(table.c.longitude, stmt.excluded.longitude)
    stmt = stmt.on_conflict_do_update(index_elements=list(model.KEY), set_=changes)
    for start in range(0, len(rows), _BATCH):
        batch = rows[start:start + _BATCH]
        db.session.execute(stmt, column_inserts.rows(batch) if postgres else batch)
