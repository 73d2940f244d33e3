"""Messages to fans driven from a test: the reconciler's part and a real RQ worker on the
messages queue, the ledger rows a release's messages left, and time passing for them."""
from datetime import timedelta

from rq import SimpleWorker
from sqlalchemy import select, update

from app.extensions import queue, redis_connection
from app.jobs import messages as message_jobs
from app.localtime import now_utc
from app.models import MessageRecipient, Release
from tests.release_day_runs import ctx


def work(app):
    """What the minute reconciler does for messages, then a worker on their queue."""
    with ctx(app) as session:
        message_jobs.RECIPIENTS.recover()
        message_jobs.enqueue_due(now_utc())
        session.commit()
    with app.app_context():
        SimpleWorker([queue(message_jobs.QUEUE)], connection=redis_connection()).work(burst=True)


def ledger(app, release_slug):
    with ctx(app) as session:
        found = session.scalars(
            select(MessageRecipient).join(Release, MessageRecipient.release_id == Release.id)
            .where(Release.slug == release_slug).order_by(MessageRecipient.id)).all()
        for row in found:
            row.message  # loaded before the session goes
        session.expunge_all()
        return found


def time_passes(app, release_slug):
    """The rows' times have come (the thank-you's five minutes, a quiet night)."""
    with ctx(app) as session:
        release_id = session.scalar(select(Release.id).where(Release.slug == release_slug))
        session.execute(update(MessageRecipient)
                        .where(MessageRecipient.release_id == release_id,
                               MessageRecipient.state == "queued")
                        .values(next_attempt_at=now_utc() - timedelta(seconds=1)))
        session.commit()
