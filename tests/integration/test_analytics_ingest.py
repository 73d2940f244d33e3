"""The ingest: a worker that dies mid-batch loses and duplicates nothing, a database that is
down keeps events waiting, deliveries from the ledger are counted once."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from rq import SimpleWorker
from sqlalchemy import select, text

from app import create_app
from app.analytics import capture
from app.extensions import db, queue, redis_connection
from app.jobs import analytics
from app.localtime import now_utc
from app.models import Fan, PreSave
from app.tenants.context import Scope, scoped
from tests.event_stream import (AMSTERDAM, DESKTOP, IPHONE, MINNEAPOLIS, OXFORD, SYDNEY, drain,
                                events_of, stream_state, visitor)
from tests.fan_journey import page

ROOT = Path(__file__).resolve().parents[2]
VISITS = [(AMSTERDAM, IPHONE), (MINNEAPOLIS, DESKTOP), (SYDNEY, IPHONE), (OXFORD, DESKTOP)]


def visit_all(app, slug):
    for address, agent in VISITS:
        assert visitor(app, address, agent).get(page(slug)).status_code == 200


def assert_stored_once(app, slug):
    events = events_of(app, slug)
    assert sorted(e.city for e in events) == ["Amsterdam", "Minneapolis", "Oxford", "Sydney"]
    assert len({e.stream_id for e in events}) == len(events)
    assert stream_state(app)[1] == 0  # nothing left pending


def test_a_crash_between_insert_and_acknowledgement_stores_nothing_twice(app, active_release):
    slug = active_release()
    visit_all(app, slug)
    with app.app_context(), scoped(Scope.platform("test")):
        conn = redis_connection()
        analytics.ensure_group(conn)
        entries = analytics.Reader(conn, "crashed-consumer", analytics.CLAIM_IDLE_MS).next_batch()
        analytics.store(entries)  # committed; the consumer dies before acknowledging
    assert len(events_of(app, slug)) == 4 and stream_state(app)[1] >= 4
    drain(app, claim_idle_ms=0)  # another consumer claims the dead one's entries
    assert_stored_once(app, slug)


@contextmanager
def event_table_locked(app):
    """Hold a write lock on the event table from outside the app (another session)."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        locker = sqlite3.connect(url.database, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # readers go on, writers wait
        try:
            yield
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        return
    with app.app_context(), db.engine.connect() as locker:
        locker.execute(text("LOCK TABLE event IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            locker.rollback()


def rq_worker(app, name, log):
    """The production worker command line, in its own process group, on the analytics queue."""
    env = {**os.environ, "REDIS_URL": app.config["REDIS_URL"], "TZ": "UTC",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "PRESAVE_CONFIG": "config.TestConfig", "FAB_UPDATE_PERMS": "false"}
    rq = str(Path(sys.executable).parent / "rq")
    return subprocess.Popen([rq, "worker", "--url", app.config["REDIS_URL"], "--burst",
                             "--name", name, "--worker-class", "app.jobs.worker.PresaveWorker",
                             capture.QUEUE], env=env, cwd=ROOT, start_new_session=True,
                            stdout=log, stderr=subprocess.STDOUT)


def kill_worker(worker):
    """SIGKILL the worker and its work horse (rq gives the horse a session of its own)."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    horses = [int(pid) for pid in children.read_text().split()] if children.exists() else []
    for pid in [worker.pid, *horses]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.wait()


def wait_until(condition, what, limit=120):
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(app, active_release, tmp_path):
    slug = active_release()
    visit_all(app, slug)
    with app.app_context():
        queue(capture.QUEUE).enqueue(analytics.drain, None)
    log = (tmp_path / "worker.log").open("w")
    with event_table_locked(app):  # the worker reads its batch, then waits to insert it
        worker = rq_worker(app, f"doomed-{uuid.uuid4().hex[:6]}", log)
        try:
            wait_until(lambda: stream_state(app)[1] >= 4 or worker.poll() is not None,
                       "the worker to read the batch")
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        finally:
            kill_worker(worker)
    assert events_of(app, slug) == []
    drain(app, claim_idle_ms=0)
    assert_stored_once(app, slug)


def test_events_wait_in_the_stream_while_the_database_is_down(app, active_release, tmp_path):
    slug = active_release()
    visit_all(app, slug)
    down = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                      SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/gone/presave.db")
    with down.app_context():
        queue(capture.QUEUE).enqueue(analytics.drain, None)
        SimpleWorker([queue(capture.QUEUE)], connection=redis_connection(),
                     name="ingest-outage").work(burst=True)
        failed = queue(capture.QUEUE).failed_job_registry.get_job_ids()
    assert failed and events_of(app, slug) == []
    assert stream_state(app)[1] >= 4
    drain(app, name="ingest-outage")  # the same worker, its database back: its entries first
    assert_stored_once(app, slug)


def test_deliveries_from_the_ledger_are_counted_once(app, ledger_release):
    rows = [("Ana", "spotify", "save", "delivered", 1, None),
            ("Bo", "tidal", "save", "delivered", 1, None),
            ("Cid", "spotify", "save", "pending", 0, None)]
    release_id = ledger_release(rows)
    with app.app_context(), scoped(Scope.platform("test")):
        redis_connection().delete(analytics.DELIVERED_WATERMARK)
        for fan in db.session.scalars(select(Fan).join(PreSave, PreSave.fan_id == Fan.id)
                                      .where(PreSave.release_id == release_id)):
            fan.city, fan.country = {"Ana": ("Lyon", "FR"), "Bo": ("Osaka", "JP")}.get(
                fan.name, (None, None))
        db.session.commit()
        slug = db.session.get(PreSave.release.property.mapper.class_, release_id).slug

    def deliveries():
        return sorted((e.platform, e.city or "", e.country or "", e.stream_id.startswith("presave:"))
                      for e in events_of(app, slug) if e.kind == "delivered")

    run_deliveries(app)
    run_deliveries(app)
    assert deliveries() == [("spotify", "Lyon", "FR", True), ("tidal", "Osaka", "JP", True)]
    deliver_the_pending_one(app, release_id)
    run_deliveries(app)
    assert [d[0] for d in deliveries()] == ["spotify", "spotify", "tidal"]


def test_a_delivery_stamped_ahead_does_not_make_later_ones_skipped(app, ledger_release):
    """A worker whose clock runs a day fast: its delivery is counted, and the watermark stays
    at the clock, so a delivery made after it is counted too."""
    release_id = ledger_release([("Ahead", "spotify", "save", "delivered", 1, None),
                                 ("Later", "tidal", "save", "pending", 0, None)])
    with app.app_context(), scoped(Scope.platform("test")):
        redis_connection().delete(analytics.DELIVERED_WATERMARK)
        ahead = db.session.scalars(select(PreSave).where(PreSave.release_id == release_id,
                                                         PreSave.state == "delivered")).one()
        ahead.delivered_at = now_utc() + timedelta(days=1)
        db.session.commit()
        slug = db.session.get(PreSave.release.property.mapper.class_, release_id).slug
    run_deliveries(app)
    with app.app_context():
        watermark = datetime.fromisoformat(
            redis_connection().get(analytics.DELIVERED_WATERMARK).decode())
    assert watermark <= now_utc()
    deliver_the_pending_one(app, release_id)
    run_deliveries(app)
    assert sorted(e.platform for e in events_of(app, slug) if e.kind == "delivered") == [
        "spotify", "tidal"]


def deliver_the_pending_one(app, release_id):
    """The release's one pending pre-save, delivered now (as a worker marks it)."""
    with app.app_context(), scoped(Scope.platform("test")):
        pending = db.session.scalars(select(PreSave).where(PreSave.release_id == release_id,
                                                           PreSave.state == "pending")).one()
        pending.state, pending.delivered_at = "delivered", now_utc()
        db.session.commit()


def run_deliveries(app):
    with app.app_context():
        queue(capture.QUEUE).enqueue(analytics.record_deliveries, None)
        SimpleWorker([queue(capture.QUEUE)], connection=redis_connection()).work(burst=True)
