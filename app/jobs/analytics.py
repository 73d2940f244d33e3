"""Analytics ingest: the fan pages' event stream and the delivery ledger into Event rows.

The stream is read through a consumer group. An entry is acknowledged (and deleted)
only after its Event row is committed; the row carries the entry id under a unique
constraint. So a worker that dies mid-batch loses nothing (its entries stay pending
until it, or another consumer after CLAIM_IDLE_MS, reads them again) and duplicates
nothing (entries already stored are only acknowledged). While the database is down
the entries simply wait in the stream.
"""
import json
import logging
import os
import socket
import time
from datetime import datetime, timedelta
from types import SimpleNamespace

from redis.exceptions import ResponseError
from rq import get_current_job
from sqlalchemy import String, cast, insert, select
from sqlalchemy.exc import IntegrityError

from app import metrics
from app.analytics import capture
from app.extensions import db, redis_connection
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.tenants import column_inserts
from app.models import Event, Fan, PreSave, Release, ShortLink, ab_test
from app.models.event import KINDS
from app.validation import MAX_ID
from app.models.presave import DELIVERED

GROUP = "ingest"
BATCH = 500
CLAIM_IDLE_MS = 60_000  # an entry pending this long belongs to a dead (or stuck) consumer
TIME_BUDGET = 50  # seconds per job; more waiting entries get a fresh job
LINGER_MS = 1000  # a drain waits this long for more events before it gives the worker back
BATCH_INTERVAL = 0.5  # seconds between batches smaller than BATCH (dashboards lag this much)
CONSUMER_IDLE_MS = 3_600_000  # consumers idle this long with nothing pending are forgotten
DELIVERED_WATERMARK = "analytics:delivered-since"
# A delivery commits after its timestamp, at most a lease later (a batch settles its rows,
# then commits): look back this far past the watermark; counted rows are skipped by key.
DELIVERED_MARGIN = timedelta(minutes=10)
DELIVERED_KEY = "presave:"
DELIVERED_BATCH = 2000
EVENT_COLUMNS = [c.key for c in Event.__table__.columns if c.key != "id"]
VARIANT_KEYS = set(ab_test.KEYS)
# What an INSERT naming every column must send where an event leaves one unset.
EVENT_DEFAULTS = {c.key: c.default.arg for c in Event.__table__.columns
                  if c.default is not None and c.default.is_scalar}
log = logging.getLogger(__name__)


@tenant_job
def drain(label_id=None, claim_idle_ms=CLAIM_IDLE_MS, linger_ms=LINGER_MS):
    """Move waiting stream entries into Event rows, in batches. Returns how many were stored.

    While events keep coming the job stays (up to TIME_BUDGET), taking them in batches at
    most BATCH_INTERVAL apart, rather than one job each: a job costs a fork and a database
    connection. It leaves once nothing came for ``linger_ms``."""
    conn = redis_connection()
    conn.delete(capture.DRAIN_FLAG)  # events added from now on queue another drain
    ensure_group(conn)
    reader = Reader(conn, consumer_name(), claim_idle_ms, linger_ms)
    pace = min(BATCH_INTERVAL, linger_ms / 1000)
    stored, deadline = 0, time.monotonic() + TIME_BUDGET
    while True:
        started = time.monotonic()
        entries = reader.next_batch()
        if entries is None:
            break
        stored_now = store(entries)
        metrics.add(metrics.ANALYTICS_INGESTED, stored_now)
        stored += stored_now
        acknowledge(conn, [entry_id for entry_id, _ in entries])
        if time.monotonic() > deadline:
            capture.enqueue_drain()
            break
        if len(entries) < BATCH:  # let the next batch gather
            time.sleep(max(0.0, pace - (time.monotonic() - started)))
    forget_idle_consumers(conn)
    return stored


def ensure_group(conn):
    try:
        conn.xgroup_create(capture.STREAM, GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def consumer_name():
    """Stable for one rq worker (its work horses share it), so a retry in the same worker
    reads its own pending entries at once; other workers claim them after CLAIM_IDLE_MS."""
    job = get_current_job()
    worker = job.worker_name if job is not None and job.worker_name else f"pid{os.getpid()}"
    return f"{socket.gethostname()}:{worker}"


class Reader:
    """Batches in order: this consumer's own pending entries, entries a dead consumer left
    pending, then new ones (waiting up to linger_ms for them). None when nothing is left."""

    def __init__(self, conn, consumer, claim_idle_ms, linger_ms=0):
        self.conn, self.consumer, self.claim_idle_ms = conn, consumer, claim_idle_ms
        self.block = int(linger_ms) or None  # BLOCK 0 would wait for ever
        self.own_done = False
        self.claim_cursor = "0-0"

    def next_batch(self):
        if not self.own_done:
            entries = self._read("0")
            if entries:
                return entries
            self.own_done = True
        while self.claim_cursor is not None:
            entries = self._claim()
            if entries:
                return entries
        return self._read(">", self.block) or None

    def _read(self, start, block=None):
        answer = self.conn.xreadgroup(GROUP, self.consumer, {capture.STREAM: start}, count=BATCH,
                                      block=block)
        return _decoded(answer[0][1]) if answer else []

    def _claim(self):
        cursor, entries, *_ = self.conn.xautoclaim(
            capture.STREAM, GROUP, self.consumer, self.claim_idle_ms, self.claim_cursor,
            count=BATCH)
        cursor = cursor.decode() if isinstance(cursor, bytes) else cursor
        self.claim_cursor = None if cursor == "0-0" else cursor
        return _decoded(entries)


def _decoded(entries):
    """[(entry id, payload dict or None)]; None for an entry deleted or unreadable."""
    result = []
    for entry_id, fields in entries:
        entry_id = entry_id.decode()
        try:
            payload = json.loads(fields[b"e"])
        except (TypeError, KeyError, ValueError):
            log.warning("analytics: unreadable stream entry %s skipped", entry_id)
            payload = None
        result.append((entry_id, payload))
    return result


def store(entries):
    """Insert the entries not stored yet as Event rows, count them into the rollups and
    commit. Returns how many were inserted. On SQLite, a concurrent consumer that stored some
    of the same entries first makes this retry once, without those (PostgreSQL's insert
    skips them itself)."""
    for attempt in (1, 2):
        try:
            return insert_events(_new_events(entries))
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    return 0


def _new_events(entries):
    ids = [entry_id for entry_id, payload in entries if payload is not None]
    if not ids:
        return []
    # An entry's row has the entry's own time: only the months from the earliest are read.
    times = {entry_id: _instant(payload.get("at")) for entry_id, payload in entries
             if payload is not None}
    earliest = min((at for at in times.values() if at is not None), default=None)
    if earliest is None:
        return []
    stored = set() if _postgres() else set(db.session.scalars(select(Event.stream_id).where(
        Event.stream_id.in_(ids), Event.occurred_at >= earliest)))
    payloads = [(entry_id, payload) for entry_id, payload in entries
                if times.get(entry_id) is not None and entry_id not in stored]
    owners = _release_owners({p.get("release_id") for _, p in payloads})
    links = _short_links({p.get("link") for _, p in payloads if type(p.get("link")) is int})
    events = []
    for entry_id, payload in payloads:
        owner = owners.get(payload.get("release_id"))
        if owner is None or payload.get("kind") not in KINDS:
            continue  # the release was deleted since (or a malformed entry): nothing to count
        event = _event(entry_id, payload, times[entry_id], *owner)
        if type(event.link_id) is not int or links.get(event.link_id) != event.release_id:
            event.link_id = None  # removed since, or not this release's: a cookie is no proof
        events.append(event)
    return events


def _short_links(link_ids):
    """short link id -> its release id, for the links that still exist."""
    ids = [i for i in link_ids if 0 < i <= MAX_ID]
    if not ids:
        return {}
    return dict(db.session.execute(select(ShortLink.id, ShortLink.release_id)
                                   .where(ShortLink.id.in_(ids))).all())


def _release_owners(release_ids):
    """release id -> (label id, artist id), for the releases that still exist."""
    ids = [i for i in release_ids if isinstance(i, int)]
    if not ids:
        return {}
    rows = db.session.execute(select(Release.id, Release.label_id, Release.artist_id)
                              .where(Release.id.in_(ids)))
    return {release_id: (label_id, artist_id) for release_id, label_id, artist_id in rows}


def _event(entry_id, p, occurred_at, label_id, artist_id):
    """The Event row of a stream entry, as plain attributes: an ORM object per event would
    cost the ingest more than its INSERT."""
    return SimpleNamespace(
        stream_id=entry_id, label_id=label_id, artist_id=artist_id, release_id=p["release_id"],
        kind=p["kind"], platform=p.get("platform"), occurred_at=occurred_at,
        visitor_hash=p.get("visitor"), city=p.get("city"), region=p.get("region"),
        country=p.get("country"), latitude=p.get("lat"), longitude=p.get("lon"),
        timezone=p.get("tz"), referrer=p.get("referrer"), utm_source=p.get("utm_source"),
        utm_medium=p.get("utm_medium"), utm_campaign=p.get("utm_campaign"),
        device_class=p.get("device"), in_app_browser=bool(p.get("in_app")),
        variant=p.get("variant") if p.get("variant") in VARIANT_KEYS else None,
        link_id=p.get("link"))


def insert_events(events):
    """One transaction: the Event rows and their rollup counts, together or not at all.

    A bulk INSERT of the events' columns (Event objects or anything with their attributes):
    in the platform scope the tenant guard checks no row one by one; each row's label and
    artist were just taken from its release. On PostgreSQL the rows go as one statement
    (app.tenants.column_inserts) that skips those stored already (by stream id) and says
    which it stored: only those are counted. On SQLite every row names every column (NULLs
    too), so the rows go as one batch rather than one per pattern of NULLs. Returns how many
    events were stored."""
    from app.analytics import rollups

    if events:
        rows = [_columns(event) for event in events]
        if _postgres():
            stmt = (column_inserts.insert_rows(Event, EVENT_COLUMNS)
                    .on_conflict_do_nothing(index_elements=["stream_id", "occurred_at"])
                    .returning(Event.stream_id))
            new = set(db.session.scalars(stmt, column_inserts.rows(rows)))
            events = [e for e in events if e.stream_id is None or e.stream_id in new]
        else:
            db.session.execute(insert(Event), rows, execution_options={"render_nulls": True})
        rollups.add(events)
    db.session.commit()
    return len(events)


def _postgres():
    return db.session.get_bind().dialect.name == "postgresql"


def _columns(event):
    values = {column: getattr(event, column) for column in EVENT_COLUMNS}
    return {column: EVENT_DEFAULTS.get(column) if value is None else value
            for column, value in values.items()}


def _instant(value):
    """An entry's time, aware; None if it has none that reads as one (skipped, as unreadable)."""
    try:
        at = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return at if at.tzinfo is not None else None


def acknowledge(conn, entry_ids):
    """Done with these entries: no consumer reads them again, and the stream stays short."""
    if entry_ids:
        pipe = conn.pipeline(transaction=True)
        pipe.xack(capture.STREAM, GROUP, *entry_ids)
        pipe.xdel(capture.STREAM, *entry_ids)
        pipe.execute()


def forget_idle_consumers(conn):
    """Consumers of workers long gone, with nothing left pending, are removed from the group."""
    for consumer in conn.xinfo_consumers(capture.STREAM, GROUP):
        if consumer["pending"] == 0 and consumer["idle"] > CONSUMER_IDLE_MS:
            conn.xgroup_delconsumer(capture.STREAM, GROUP, consumer["name"])


@tenant_job
def record_deliveries(label_id=None):
    """A `delivered` event for each pre-save the ledger marked delivered, once per pre-save
    (key "presave:<id>"), at its delivery time and with the fan's stored place."""
    conn = redis_connection()
    since = conn.get(DELIVERED_WATERMARK)
    since = datetime.fromisoformat(since.decode()) - DELIVERED_MARGIN if since else None
    # Never past the clock: a delivery stamped ahead (a worker's clock running fast) would
    # make later runs skip the deliveries of the minutes in between.
    return count_deliveries(
        since, lambda last: conn.set(DELIVERED_WATERMARK, min(last, now_utc()).isoformat()))


def count_deliveries(since=None, counted_up_to=None):
    """The `delivered` events not made yet, for deliveries from ``since`` (None: all);
    ``counted_up_to(instant)`` after each batch. Returns how many it made."""
    total = 0
    while rows := _uncounted_deliveries(since):
        insert_events([_delivered_event(row) for row in rows])
        total += len(rows)
        if counted_up_to is not None:
            counted_up_to(rows[-1].delivered_at)
        if len(rows) < DELIVERED_BATCH:
            break
    return total


def _uncounted_deliveries(since):
    """Delivered pre-saves (since ``since``) with no event yet, oldest first."""
    counted = select(Event.id).where(Event.stream_id == DELIVERED_KEY + cast(PreSave.id, String))
    stmt = (select(PreSave.id, PreSave.release_id, PreSave.label_id, PreSave.artist_id,
                   PreSave.platform, PreSave.delivered_at, Fan.city, Fan.country, Fan.timezone)
            .join(Fan, Fan.id == PreSave.fan_id)
            .where(PreSave.state == DELIVERED, PreSave.delivered_at.is_not(None),
                   ~counted.exists())
            .order_by(PreSave.delivered_at, PreSave.id).limit(DELIVERED_BATCH))
    if since is not None:
        stmt = stmt.where(PreSave.delivered_at >= since)
    return db.session.execute(stmt).all()


def _delivered_event(row):
    return Event(stream_id=f"{DELIVERED_KEY}{row.id}", label_id=row.label_id,
                 artist_id=row.artist_id, release_id=row.release_id, kind="delivered",
                 platform=row.platform, occurred_at=row.delivered_at, city=row.city,
                 country=row.country, timezone=row.timezone)
