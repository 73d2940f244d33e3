"""Helpers for lifecycle tests under a frozen clock.

Their releases belong to a label of their own, and the reconciler they run is scoped to it,
so moving the clock into 2027 never advances the demo releases other tests rely on.
"""
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from app.presaves import record as presaves
from app.releases import rules as release_rules
from app.extensions import db, queue, redis_connection
from app.jobs.lifecycle import LIFECYCLE_QUEUE, reconcile
from app.jobs.messages import QUEUE as MESSAGES_QUEUE
from app.jobs.opening_notices import QUEUE
from app.models import Artist, Fan, Label, PreSave, Release
from app.models.presave import PENDING
from app.tenants.context import Scope, scoped

UTC = timezone.utc
T0 = datetime(2027, 3, 2, 12, 0, tzinfo=UTC)  # "now" in these tests


@pytest.fixture(scope="module")
def studio(app):
    """(label id, artist id) of a label only this test module uses."""
    with app.app_context(), scoped(Scope.platform("test")):
        label = Label(name=_unique("Lifecycle"), slug=_unique("lifecycle"),
                      timezone="Europe/Berlin")
        db.session.add(label)
        db.session.flush()
        artist = Artist(label_id=label.id, name="Clock Hands", slug=_unique("clock"),
                        timezone="Europe/Berlin")
        db.session.add(artist)
        db.session.commit()
        return label.id, artist.id


@contextmanager
def in_scope(app, scope=None):
    """An app context in a scope (the platform's, as the reconciler runs); yields the session."""
    with app.app_context(), scoped(scope or Scope.platform("test")):
        yield db.session


def announced(studio, opens, out, tz_name="Europe/Berlin", mode="global"):
    """A release announced by staff (so its next instant is scheduled in RQ), committed."""
    artist = db.session.get(Artist, studio[1])
    release = Release(artist=artist, title="Clockwork", slug=_unique("clockwork"),
                      platforms=["spotify"], release_mode=mode)
    release_rules.schedule(release, opens, out, tz_name)
    db.session.add(release)
    release_rules.record(release, "draft", "test")
    release_rules.announce(release, "test")
    db.session.commit()
    return release


def _unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def presave_from(release, fan_zone):
    """A fan of the release's artist, located in fan_zone (None: GeoIP found nothing)."""
    fan = Fan(artist=release.artist, label_id=release.label_id, artist_id=release.artist_id,
              timezone=fan_zone)
    db.session.add(fan)
    db.session.flush()
    presave, _ = presaves.record_presave(release, fan, "spotify")
    db.session.flush()
    return presave


def pending_instants(release_id):
    """{fan zone: next attempt} of the release's pending pre-saves."""
    rows = db.session.execute(select(Fan.timezone, PreSave.next_attempt_at)
                              .join(Fan, Fan.id == PreSave.fan_id)
                              .where(PreSave.release_id == release_id, PreSave.state == PENDING))
    return dict(rows.all())


def scheduled(release_id):
    """{job id: UTC time} of the release's lifecycle jobs waiting in RQ's scheduled registry."""
    registry = ScheduledJobRegistry(queue=queue(LIFECYCLE_QUEUE))
    return {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()
            if job_id.startswith(f"release-{release_id}-")}


def work():
    """Run what waits on the lifecycle queue, as `rq worker` would, without forking."""
    SimpleWorker([queue(LIFECYCLE_QUEUE)], connection=redis_connection()).work(burst=True)


def run_the_clock(app):
    """The minute reconciler, then the workers that take what it enqueued (the opening's
    jobs, the messages they queue)."""
    with app.app_context():
        queue(LIFECYCLE_QUEUE).enqueue(reconcile, None)
        SimpleWorker([queue(LIFECYCLE_QUEUE), queue(QUEUE), queue(MESSAGES_QUEUE)],
                     connection=redis_connection()).work(burst=True)
