"""Release day run by hand (`flask --app run release run-day <id>`), in this process, now.

``prepare`` refuses what cannot run (a draft, an archived release, a release still ahead
without ``surprise``) or, for a surprise drop, moves the release instant to now through
app.releases.rules.release_now. ``run`` starts release day directly (idempotent), then works
the release, delivery and messages queues with a burst SimpleWorker until they are empty: the
batches it enqueued (its It's out message too), and whatever else waits there (the same jobs
`rq worker` would run).
"""
from rq import SimpleWorker
from rq.job import JobStatus
from sqlalchemy import func, or_, select

from app.releases import rules as release_rules
from app.extensions import db, queue, redis_connection
from app.jobs.lifecycle import LIFECYCLE_QUEUE
from app.jobs.messages import QUEUE as MESSAGES_QUEUE
from app.jobs.release_day import DELIVERY_QUEUE, start_release_day
from app.localtime import iso_utc, now_utc
from app.models import PreSave
from app.models.presave import IN_PROGRESS, PENDING
from app.models.release import ARCHIVED, DRAFT, RELEASED


def prepare(release, surprise, actor):
    """Ready the release for release day now; TransitionError says why not."""
    if release.status in (DRAFT, ARCHIVED):
        raise release_rules.TransitionError(release_rules.NOT_RELEASABLE[release.status])
    if surprise and release.status != RELEASED:
        release_rules.release_now(release, actor)
    elif release.release_at > now_utc():
        raise release_rules.TransitionError(
            f"This release comes out at {iso_utc(release.release_at)}; "
            "add --now to release it now (a surprise drop)")
    else:
        release_rules.advance(release, actor)  # its instant has passed: released, by us
        db.session.commit()


def outstanding(release_id):
    """Pre-saves of the release still to act on now: due or unscheduled pending, in progress."""
    waiting = (PreSave.state == PENDING) & or_(PreSave.next_attempt_at.is_(None),
                                               PreSave.next_attempt_at <= now_utc())
    count = db.session.scalar(select(func.count()).select_from(PreSave).where(
        PreSave.release_id == release_id, waiting | (PreSave.state == IN_PROGRESS)))
    db.session.commit()  # hold no transaction while the jobs write
    return count


def run(label_id, release_id, after_job):
    """Start release day and work the queues until empty; the number of failed jobs."""
    start_release_day(label_id, release_id)
    worker = _ReportingWorker([queue(LIFECYCLE_QUEUE), queue(DELIVERY_QUEUE),
                               queue(MESSAGES_QUEUE)], after_job,
                              connection=redis_connection())
    worker.work(burst=True, logging_level="WARNING")
    return worker.failed


class _ReportingWorker(SimpleWorker):
    """A SimpleWorker that calls ``after_job()`` after each job and counts failed ones."""

    def __init__(self, queues, after_job, **options):
        super().__init__(queues, **options)
        self.after_job, self.failed = after_job, 0

    def execute_job(self, job, queue_):
        super().execute_job(job, queue_)
        self.failed += job.get_status(refresh=False) == JobStatus.FAILED
        self.after_job()
