"""The raw events by month: on PostgreSQL a partition per month, made ahead and for rows that
waited in the default one; on both databases, months past EVENT_RETENTION_MONTHS removed whole
once their rollups count every event, with the dashboards' counts unchanged.

The events here are of the year 2000, before any other test's, so removing them touches no
other test's rows whatever the order.
"""
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.cron import CronScheduler
from sqlalchemy import func, select, text

import app as app_package
from app.analytics import event_months, queries
from app.extensions import db, queue, redis_connection
from app.jobs import analytics as ingest, event_months as event_month_jobs
from app.models import AuditEntry, Event
from app.tenants.context import Scope, scoped
from tests.analytics_data import event, new_artist, new_label, new_release, store

UTC = timezone.utc
FEBRUARY = datetime(2000, 2, 14, 12, tzinfo=UTC)
MARCH = datetime(2000, 3, 31, 23, 59, tzinfo=UTC)
KEPT = datetime(2001, 2, 1, 9, tzinfo=UTC)  # after the limit the tests set


def limit_keeping_from_2001():
    """EVENT_RETENTION_MONTHS for which the first month kept is January 2001."""
    now = datetime.now(UTC)
    return (now.year - 2001) * 12 + now.month


@pytest.fixture
def old_release(app):
    """A release of 2000 with 5 events in February and 3 in March (through the ingest, so
    counted), and one in February 2001; its id."""
    with app.app_context(), scoped(Scope.platform("test")):
        label = new_label()
        release = new_release(new_artist(label.id), opens=datetime(2000, 1, 10),
                              out=datetime(2000, 4, 1))
        store([*[event(release, "page_view", FEBRUARY, city="Porto", country="PT")
                 for _ in range(4)],
               event(release, "presave_completed", FEBRUARY, platform="spotify"),
               *[event(release, "page_view", MARCH) for _ in range(2)],
               event(release, "presave_completed", MARCH, platform="deezer"),
               event(release, "stream_click", KEPT, platform="spotify")])
        return release.id, release.label_id


@pytest.fixture
def limited(app):
    app.config["EVENT_RETENTION_MONTHS"] = limit_keeping_from_2001()
    yield
    app.config["EVENT_RETENTION_MONTHS"] = 0


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def events_of(app, release_id):
    with app.app_context(), scoped(Scope.platform("test")):
        return sorted(db.session.scalars(select(Event.occurred_at).where(
            Event.release_id == release_id)))


def report(app, release_id, label_id):
    """What the release's dashboard shows, all time: funnel, platforms, places, days."""
    with app.app_context(), scoped(Scope.label(label_id, actor="test")):
        shown = queries.release_report(queries.visible_release(release_id), queries.Period())
        db.session.rollback()
    return {key: shown[key] for key in ("funnel", "platforms", "cities", "daily")}


def in_month(app, year, month):
    """Events of every label in that month."""
    start = datetime(year, month, 1, tzinfo=UTC)
    with app.app_context(), scoped(Scope.platform("test")):
        return db.session.scalar(select(func.count()).select_from(Event).where(
            Event.occurred_at >= start, Event.occurred_at < event_months.Month.of(start).end))


def partition_of(app, release_id):
    """{partition: events of the release in it} (PostgreSQL)."""
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT tableoid::regclass::text, count(*) FROM event WHERE release_id = :r "
            "GROUP BY 1"), {"r": release_id})
        return dict(rows.all())


def run_job(app, func):
    with app.app_context():
        rq_queue = queue(event_month_jobs.QUEUE)
        job = rq_queue.enqueue(func, None)
        SimpleWorker([rq_queue], connection=redis_connection()).work(burst=True)
        job.refresh()
        assert job.is_finished, job.exc_info
        return job.return_value()


def postgres(app):
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_the_months_ahead_exist_and_rows_of_a_month_without_one_move_into_theirs(
        app, old_release):
    if not postgres(app):
        pytest.skip("SQLite keeps the events in one table: it has no partitions")
    release_id, _ = old_release
    before = events_of(app, release_id)
    with app.app_context(), scoped(Scope.platform("test")):
        now = datetime.now(UTC)
        months = set(event_months.partitions())
        assert {event_months.Month.of(now).plus(n) for n in range(event_months.AHEAD + 1)} \
            <= months
    made = run_job(app, event_month_jobs.make_ahead)
    assert {"2000-02", "2000-03"} <= set(made)
    assert partition_of(app, release_id) == {"event_p2000_02": 5, "event_p2000_03": 3,
                                             "event_p2001_02": 1}
    assert events_of(app, release_id) == before
    assert "2000-02" not in run_job(app, event_month_jobs.make_ahead)  # made once


def test_the_months_past_the_limit_go_whole_and_the_dashboards_keep_their_counts(
        app, old_release, limited):
    release_id, label_id = old_release
    if postgres(app):
        run_job(app, event_month_jobs.make_ahead)  # February and March in partitions
    shown = report(app, release_id, label_id)
    assert [(s["kind"], s["count"]) for s in shown["funnel"]["steps"]][:1] == [("page_view", 6)]
    with app.app_context(), scoped(Scope.platform("test")):
        last_entry = db.session.scalar(select(func.max(AuditEntry.id))) or 0

    # The listing is the instance's: every label's events of each month.
    february, march = in_month(app, 2000, 2), in_month(app, 2000, 3)
    assert february >= 5 and march >= 3
    listing = cli(app, "analytics", "events")
    assert re.search(rf"2000-02\s+{february:,}\s.*past the limit", listing)
    assert re.search(rf"2000-03\s+{march:,}\s.*past the limit", listing)
    assert re.search(r"2001-02\s+\d+", listing) and "2001-02" not in \
        [line.split()[0] for line in listing.splitlines() if "past the limit" in line]

    dry = cli(app, "analytics", "events", "--remove-old", "--dry-run")
    assert f"2000-02: {february} events" in dry and f"2000-03: {march} events" in dry
    assert len(events_of(app, release_id)) == 9

    cli(app, "analytics", "events", "--remove-old")
    assert events_of(app, release_id) == [KEPT]
    assert in_month(app, 2000, 2) == in_month(app, 2000, 3) == 0
    if postgres(app):
        with app.app_context(), scoped(Scope.platform("test")):
            assert not {"2000-02", "2000-03"} & {str(m) for m in event_months.partitions()}
        assert partition_of(app, release_id) == {"event_p2001_02": 1}
    assert report(app, release_id, label_id) == shown
    with app.app_context(), scoped(Scope.platform("test")):
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.id > last_entry, AuditEntry.action == "analytics.events_removed")).all()
    assert len(entries) == 1 and {"2000-02", "2000-03"} <= set(entries[0].detail["months"])
    assert entries[0].detail["events"] == february + march and entries[0].label_id is None

    # Recounting cannot bring back what is gone: the release's counts are left as they are.
    rebuilt = cli(app, "analytics", "rebuild-rollups", "--release", str(release_id))
    assert "Left as they were" in rebuilt and str(release_id) in rebuilt
    assert report(app, release_id, label_id) == shown


def test_a_month_whose_rollups_miss_events_is_kept_until_they_are_counted(app, limited):
    with app.app_context(), scoped(Scope.platform("test")):
        label = new_label()
        release = new_release(new_artist(label.id), opens=datetime(2000, 1, 1),
                              out=datetime(2000, 2, 1))
        release_id, label_id = release.id, label.id
        store([event(release, "page_view", datetime(2000, 1, 5, tzinfo=UTC))])
        # Stored without the ingest: no rollup counts it.
        db.session.add(event(release, "page_view", datetime(2000, 1, 6, tzinfo=UTC)))
        db.session.commit()
    output = cli(app, "analytics", "events", "--remove-old")
    assert re.search(r"2000-01: \d+ events kept: the rollups do not count them all", output)
    assert len(events_of(app, release_id)) == 2

    cli(app, "analytics", "rebuild-rollups", "--release", str(release_id))
    views = report(app, release_id, label_id)["funnel"]["steps"][0]
    assert (views["kind"], views["count"]) == ("page_view", 2)
    output = cli(app, "analytics", "events", "--remove-old")
    assert "2000-01" in output and "kept: the rollups" not in output
    assert events_of(app, release_id) == []
    assert report(app, release_id, label_id)["funnel"]["steps"][0]["count"] == 2


def test_the_nightly_retention_run_removes_the_old_months(app, old_release, limited):
    """The run over every label ends with the events (here its instance part only: the
    labels' own parts are test_retention's)."""
    release_id, _ = old_release
    with app.app_context(), scoped(Scope.platform("test")):
        found = event_months.drop_old(datetime.now(UTC))
    assert {"2000-02", "2000-03"} <= {str(m.month) for m in found if m.counted}
    assert events_of(app, release_id) == [KEPT]


def test_the_limit_is_shown_on_the_data_retention_page(app, login, limited):
    page = login("owner@northwind.test").get("/retention/").get_data(as_text=True)
    row = re.search(r'<tr data-rule="events">(.*?)</tr>', page, re.S).group(1)
    assert f"kept {limit_keeping_from_2001()} months" in row and "counts stay" in row


def test_a_negative_limit_is_refused_with_a_clear_message(app):
    app.config["EVENT_RETENTION_MONTHS"] = -1
    try:
        result = app.test_cli_runner().invoke(args=["analytics", "events"])
    finally:
        app.config["EVENT_RETENTION_MONTHS"] = 0
    assert result.exit_code != 0
    assert "EVENT_RETENTION_MONTHS must be 0" in str(result.exception)


def test_the_cron_makes_the_months_ahead_nightly():
    scheduler = CronScheduler(connection=None)
    scheduler.load_config_from_file(str(Path(app_package.__file__).parent / "jobs" / "cron.py"))
    registered = {job.func: (job.queue_name, job.cron) for job in scheduler.get_jobs()}
    assert registered[event_month_jobs.make_ahead] == (event_month_jobs.QUEUE, "7 0 * * *")


def test_an_ingest_batch_with_an_unreadable_time_skips_only_that_entry(app):
    with app.app_context(), scoped(Scope.platform("test")):
        release = new_release(new_artist(new_label().id))
        release_id = release.id
        db.session.commit()
        good = {"kind": "page_view", "release_id": release_id, "at": KEPT.isoformat()}
        tag = uuid.uuid4().int % 10**12
        stored = ingest.store([(f"{tag}-1", good | {"at": "yesterday"}), (f"{tag}-2", good),
                               (f"{tag}-3", good | {"at": "2001-02-01T09:00:00"})])  # no zone
    assert stored == 1
    assert events_of(app, release_id) == [KEPT]
