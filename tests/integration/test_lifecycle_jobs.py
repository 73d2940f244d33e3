"""The lifecycle jobs on a real Redis with RQ's SimpleWorker (no fork, burst)."""
from datetime import timedelta

from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from app import releases as release_rules
from app.extensions import db, queue, redis_connection
from app.jobs.lifecycle import LIFECYCLE_QUEUE, reconcile, schedule_next_instant
from app.localtime import now_utc
from app.models import Artist, Release
from app.tenants.context import Scope, scoped


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
