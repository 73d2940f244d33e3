"""The lifecycle jobs on a real Redis with RQ's SimpleWorker (no fork, burst)."""
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from rq import SimpleWorker
from rq.cron import CronScheduler
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from app.releases import rules as release_rules
from app.embedded import supervisor
from app.extensions import db, queue, redis_connection
from app.jobs import schedule
from app.jobs.lifecycle import LIFECYCLE_QUEUE, reconcile, schedule_next_instant
from app.jobs.messages import QUEUE as MESSAGES_QUEUE
from app.jobs.release_day import DELIVERY_QUEUE
from app.localtime import frozen, now_utc
from app.models import Artist, Consent, Message, PreSave, Release
from app.tenants.context import Scope, scoped
from tests.lifecycle import T0, UTC, announced, in_scope, presave_from, scheduled

CRON_CONFIG = Path(supervisor.BASE_DIR) / "app" / "jobs" / "cron.py"


def _utc_wall(delta):
    return (now_utc() + delta).replace(tzinfo=None)


def _release(unique, opens_delta, release_delta):
    """An announced release whose instants are now + the given offsets."""
    artist = db.session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
    release = Release(artist=artist, title="Job test", slug=unique("job"), platforms=["spotify"])
    release_rules.schedule(release, _utc_wall(opens_delta), _utc_wall(release_delta), "UTC",
                           must_be_future=False)
    db.session.add(release)
    release_rules.record(release, "announced", "test")
    db.session.commit()
    return release.id


def _work():
    SimpleWorker([queue(LIFECYCLE_QUEUE)], connection=redis_connection()).work(burst=True)


def test_reconciler_advances_what_the_clock_passed(app, unique):
    with app.app_context(), scoped(Scope.platform("test")):
        opening = _release(unique, timedelta(minutes=-5), timedelta(days=2))
        released = _release(unique, timedelta(days=-3), timedelta(minutes=-1))
        future = _release(unique, timedelta(days=1), timedelta(days=2))
        queue(LIFECYCLE_QUEUE).enqueue(reconcile, None)
        _work()
        db.session.expire_all()
        status = {rid: db.session.get(Release, rid).status for rid in (opening, released, future)}
        assert status == {opening: "presave_active", released: "released", future: "announced"}
        history = [(c.to_status, c.actor) for c in db.session.get(Release, released).history]
        assert history[-1] == ("released", "clock")


def test_next_instant_is_scheduled_in_utc_with_ids_only(app, unique):
    with app.app_context(), scoped(Scope.platform("test")):
        rid = _release(unique, timedelta(hours=2), timedelta(days=2))
        release = db.session.get(Release, rid)
        job = schedule_next_instant(release)
        registry = ScheduledJobRegistry(queue=queue(LIFECYCLE_QUEUE))
        scheduled_at = registry.get_scheduled_time(job)
        assert scheduled_at == release.presave_opens_at.replace(microsecond=0)
        assert scheduled_at.tzinfo is not None
        assert job.args == (release.label_id, rid)
        assert all(isinstance(arg, int) for arg in job.args)


def test_a_lost_redis_delays_a_release_by_at_most_the_reconcilers_minute(app, studio, smtp_server):
    """Redis loses the exact jobs; the reconciler, from the database, advances each step
    within the minute after its instant (not before), and release day runs: the fan's
    reminder goes out."""
    inbox = smtp_server()
    opens = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 CET
    out = datetime(2027, 3, 9, 23, 0, tzinfo=UTC)  # 2027-03-10 00:00 CET
    email = f"night-owl-{uuid.uuid4().hex[:8]}@example.com"
    with frozen(T0), in_scope(app):
        release = announced(studio, "2027-03-03T10:00", "2027-03-10")
        presave = presave_from(release, "Europe/Berlin")
        presave.fan.email = email
        db.session.add(Consent(fan=presave.fan, fan_id=presave.fan_id, label_id=release.label_id,
                               artist_id=release.artist_id, purpose="release_reminder",
                               wording="Send me a reminder"))  # as the fan page records it
        db.session.commit()
        release_id, presave_id = release.id, presave.id
        assert scheduled(release_id) == {schedule.advance_id(release_id, opens): opens}
        redis_connection().flushdb()
    for at, before, status in ((opens, "announced", "presave_active"),
                               (out, "presave_active", "released")):
        for moment, expected in ((at - timedelta(seconds=1), before),
                                 (at + timedelta(seconds=59), status)):
            with frozen(moment), in_scope(app):
                queue(LIFECYCLE_QUEUE).enqueue(reconcile, studio[0])  # what `rq cron` does each minute
                _work()
                assert db.session.get(Release, release_id).status == expected
    with frozen(out + timedelta(seconds=59)), in_scope(app):
        handed_over = Job.fetch(schedule.release_day_id(release_id), connection=redis_connection())
        assert handed_over.func_name == "app.jobs.release_day.start_release_day"
        assert (handed_over.origin, handed_over.args) == ("delivery", (studio[0], release_id))
        jobs, done = [handed_over], []
        while jobs:  # release day, its It's out and that message's batch, whatever else waits
            done += [job.func_name for job in jobs]
            jobs = _perform(*jobs)
        assert "app.jobs.messages.send_batch" in done
        row = db.session.get(PreSave, presave_id)
        assert (row.state, row.delivered_at) == ("delivered", out + timedelta(seconds=59))
    assert len(inbox.to(email)) == 1


def _perform(*jobs):
    """Run the jobs here, under this clock, as a worker would, and delete them (no later
    worker should run a 2027 release's jobs); the jobs of the same release still queued."""
    for job in jobs:
        job.perform()
        job.delete()
    releases = {job.args[1] for job in jobs if job.func_name.startswith("app.jobs.release_day")
                or job.func_name.startswith("app.jobs.its_out")}
    messages = set(db.session.scalars(select(Message.id).where(Message.release_id.in_(releases))))
    return [job for job in queue(DELIVERY_QUEUE).get_jobs()
            if job.args[1:2] and job.args[1] in releases and job.func_name.startswith("app.jobs.")
            ] + [job for job in queue(MESSAGES_QUEUE).get_jobs()
                 if (job.func_name == "app.jobs.its_out.queue_release" and job.args[1] in releases)
                 or (job.func_name == "app.jobs.messages.send_batch" and job.args[1] in messages)]


def test_the_exact_job_releases_and_hands_over_at_the_instant(app, studio):
    with frozen(T0), in_scope(app):
        release = announced(studio, "2027-03-01T00:00", "2027-03-10")
        (job_id, at), = scheduled(release.id).items()
    with frozen(at), in_scope(app):
        # What RQ's scheduler does at the instant (it reads the real clock, so not in 2027).
        job = Job.fetch(job_id, connection=redis_connection())
        ScheduledJobRegistry(queue=queue(LIFECYCLE_QUEUE)).remove(job)
        queue(LIFECYCLE_QUEUE).enqueue_job(job)
        _work()
        assert db.session.get(Release, release.id).status == "released"
        Job.fetch(schedule.release_day_id(release.id), connection=redis_connection()).delete()


def test_rq_cron_runs_the_reconciler_every_minute_on_the_release_queue():
    scheduler = CronScheduler(connection=None)
    scheduler.load_config_from_file(str(CRON_CONFIG))
    registered = [(job.func, job.queue_name, job.interval, job.args) for job in scheduler.get_jobs()]
    assert [entry for entry in registered if entry[0] is reconcile] == [
        (reconcile, LIFECYCLE_QUEUE, 60, (None,))]  # once; other periodic jobs may sit beside it


def test_the_supervisor_starts_rq_cron_in_utc(app):
    """A real `rq cron`, started as run.py starts it: TZ=UTC, and the reconciler enqueued."""
    with app.app_context():
        url = app.config["REDIS_URL"]
        cron = supervisor.start("cron", supervisor.commands(url, "127.0.0.1", "0")["cron"],
                                supervisor.child_env(url, "127.0.0.1", "0"))
        try:
            job = _first_job_on(queue(LIFECYCLE_QUEUE), "app.jobs.lifecycle.reconcile")
            environ = Path(f"/proc/{cron.pid}/environ").read_bytes().split(b"\0")
        finally:
            supervisor.stop({"cron": cron})
        assert b"TZ=UTC" in environ
        assert job.args == (None,)
        job.delete()


def _first_job_on(rq_queue, func_name, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [job for job in rq_queue.get_jobs() if job.func_name == func_name]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"{func_name} was not enqueued within {seconds} s")
