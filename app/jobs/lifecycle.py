"""Release lifecycle jobs: exact scheduling plus a reconciler that catches up."""
from datetime import timedelta, timezone

import logging

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from app import releases as release_rules
from app.extensions import db, queue, redis_connection
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.models import Release
from app.models.release import ANNOUNCED, PRESAVE_ACTIVE, RELEASED

LIFECYCLE_QUEUE = "release"
log = logging.getLogger(__name__)


@tenant_job
def reconcile(label_id=None):
    """Advance every release whose instant has passed; archive old ones. Returns counts."""
    now = now_utc()
    due = db.session.scalars(select(Release).where(
        ((Release.status == ANNOUNCED) & (Release.presave_opens_at <= now))
        | (Release.status.in_([ANNOUNCED, PRESAVE_ACTIVE]) & (Release.release_at <= now))
    )).all()
    for release in due:
        release_rules.advance(release, "clock")
    cutoff = now - timedelta(days=current_app.config["ARCHIVE_AFTER_DAYS"])
    stale = db.session.scalars(select(Release).where(
        Release.status == RELEASED, Release.release_at <= cutoff)).all()
    for release in stale:
        release_rules.archive(release, "clock")
    return {"advanced": len(due), "archived": len(stale)}


@tenant_job
def advance_release(label_id, release_id):
    release = db.session.get(Release, release_id)
    if release is not None:
        release_rules.advance(release, "clock")
        schedule_next_instant(release)


def reschedule(release, replacing=()):
    """Cancel the advance jobs of the instants ``replacing``; schedule the next instant."""
    try:
        for at in replacing:
            _cancel(advance_job_id(release.id, at))
    except RedisError:
        log.warning("could not cancel the old jobs of release %s", release.id)
    return schedule_next_instant(release)


def schedule_next_instant(release):
    """Enqueue the release's next lifecycle step at its exact UTC instant."""
    upcoming = [at for at in (release.presave_opens_at, release.release_at) if at > now_utc()]
    if release.status not in (ANNOUNCED, PRESAVE_ACTIVE) or not upcoming:
        return None
    at = min(upcoming).astimezone(timezone.utc)
    try:
        return queue(LIFECYCLE_QUEUE).enqueue_at(at, advance_release, release.label_id,
                                                 release.id, job_id=advance_job_id(release.id, at))
    except RedisError:
        # The reconciler advances it within a minute; the database stays the truth.
        log.warning("could not schedule release %s at %s", release.id, at.isoformat())
        return None


def advance_job_id(release_id, at):
    return f"release-{release_id}-advance-{int(at.timestamp())}"


def _cancel(job_id):
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        return
    if job.get_status() in (JobStatus.SCHEDULED, JobStatus.QUEUED):
        job.delete()
