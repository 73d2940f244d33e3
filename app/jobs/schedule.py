"""How jobs reach RQ: their ids, enqueueing now or at an instant, and cancelling.

Every id is deterministic (the release, what the job does, and its instant or minute), so
asking twice is harmless: with ``unique`` RQ refuses a second job under an id that is
scheduled, queued or running, and put() answers None. Redis unreachable is not an error
either: the database stays the truth and the minute reconciler enqueues what is missing.
"""
import logging

from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from app.extensions import queue, redis_connection

log = logging.getLogger(__name__)


# -- ids ------------------------------------------------------------------------------

def _second(at):
    return int(at.timestamp())


def advance_id(release_id, at):
    """The lifecycle step at the instant ``at`` (the pre-save opening, the release)."""
    return f"release-{release_id}-advance-{_second(at)}"


def release_day_id(release_id):
    """The hand-over to release day: once per release."""
    return f"release-{release_id}-day"


def release_day_due_id(release_id, minute):
    """Release day started again by the reconciler for rows due in this minute."""
    return f"release-day-{release_id}-{minute}"


def item_lookup_id(release_id, second):
    """Release day again once a throttled item look-up may be retried."""
    return f"release-day-{release_id}-lookup-{second}"


def batch_id(kind, release_id, platform, minute, n):
    """The n-th batch of ``kind`` (deliver, remind) for the rows due in this minute."""
    return f"{kind}-{release_id}-{platform}-{minute}-{n}"


def resume_id(release_id, platform, second):
    """Delivery again when a platform's pause ends: once per release, platform and second."""
    return f"resume-{release_id}-{platform}-{second}"


def links_id(release_id, at):
    """The streaming-link look-up planned for ``at``."""
    return f"release-{release_id}-links-{_second(at)}"


def links_due_id(release_id, minute):
    """An overdue look-up the reconciler found in this minute."""
    return f"release-{release_id}-links-due-{minute}"


def pre_add_id(presave_id):
    """One Apple pre-add per pre-save (app.jobs.pre_add)."""
    return f"presave-{presave_id}-pre-add"


def opening_id(release_id, what, minute=None):
    """A job of a release's opening (``what``: opening-notices, future-saves); with
    ``minute``, the reconciler's catch-up in that minute."""
    return f"release-{release_id}-{what}" + (f"-{minute}" if minute is not None else "")


def catch_up(queue_name, func, due, what, now):
    """The reconciler's catch-up of an opening's job: ``func(label_id, release_id)`` for each
    (label id, release id) of ``due``, once in this minute; how many."""
    for label_id, release_id in due:
        put(queue_name, func, label_id, release_id,
            job_id=opening_id(release_id, what, minute_of(now)))
    return len(due)


def minute_of(now):
    return int(now.timestamp() // 60)


# -- RQ -------------------------------------------------------------------------------

def put(queue_name, func, *args, job_id, at=None, unique=True, **options):
    """Enqueue ``func(*args)`` under ``job_id`` now, or at ``at`` (aware UTC) when given; the
    Job, or None when the id is taken (``unique``) or Redis cannot be reached."""
    target = queue(queue_name)
    try:
        if at is None:
            return target.enqueue(func, *args, job_id=job_id, unique=unique, **options)
        return target.enqueue_at(at, func, *args, job_id=job_id, unique=unique, **options)
    except DuplicateJobError:
        return None
    except RedisError:
        log.warning("could not enqueue %s; the reconciler catches up", job_id)
        return None


def cancel(job_id):
    """Remove a job that has not started; a running or finished one is left alone."""
    try:
        job = Job.fetch(job_id, connection=redis_connection())
        if job.get_status() in (JobStatus.SCHEDULED, JobStatus.QUEUED):
            job.delete()
    except NoSuchJobError:
        pass
    except RedisError:
        log.warning("could not cancel %s; the reconciler catches up", job_id)
