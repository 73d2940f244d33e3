"""Jobs queued when a transaction commits: work written as rows (a webhook's deliveries, an
audience's changes) is handed to its worker only once the rows exist, and never for a
transaction rolled back. One job per label and second at most; the minute sweeps send what a
lost enqueue missed."""
import logging
import time

from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db, queue

_KEY = "after_commit_jobs"
log = logging.getLogger(__name__)


def send_for(queue_name, job_path, label_id):
    """After this session's commit, ``job_path(label_id)`` on ``queue_name``."""
    db.session.info.setdefault(_KEY, set()).add((queue_name, job_path, label_id))


@event.listens_for(Session, "after_commit")
def _committed(session):
    if session.in_nested_transaction():  # a savepoint released: the rows are not saved yet
        return
    for queue_name, job_path, label_id in session.info.pop(_KEY, ()):
        enqueue(queue_name, job_path, label_id)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session):
    if not session.in_nested_transaction():  # a savepoint's rollback keeps the outer work
        session.info.pop(_KEY, None)


def enqueue(queue_name, job_path, label_id):
    """Queue ``job_path(label_id)`` now; never raises (the sweeps catch up)."""
    name = job_path.rsplit(".", 1)[-1]
    job_id = f"{name}-{label_id}-{int(time.time())}"
    try:
        queue(queue_name).enqueue(job_path, label_id, job_id=job_id, unique=True, result_ttl=0)
    except (DuplicateJobError, RedisError) as exc:  # one this second already, or Redis away
        log.debug("%s for label %s not queued (%s)", job_path, label_id, type(exc).__name__)
