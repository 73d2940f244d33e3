"""What waits, read when Prometheus scrapes /metrics: each RQ queue's jobs and its oldest,
the leases held on the ledgers, the analytics stream.

Read at scrape time rather than counted, so every process answers the same (multiprocess mode
has no sound gauge for these) and the figures cost a few Redis calls and two queries per
scrape. A source that does not answer leaves its figures out and says so in
presave_backlog_up.
"""
import logging
from datetime import timezone

from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisError
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

from app.analytics import capture
from app.extensions import db, queue, redis_connection
from app.jobs import health, leases, messages
from app.localtime import now_utc
from app.models.presave import IN_PROGRESS
from app.tenants.context import Scope, scoped

LEDGERS = {"presaves": leases.PRESAVES, "messages": messages.RECIPIENTS}
log = logging.getLogger(__name__)


class Backlog:
    """A prometheus_client collector; call it inside an app context."""

    def collect(self):
        up = GaugeMetricFamily("presave_backlog_up", "Whether each source of the backlog "
                               "figures answered this scrape", labels=["source"])
        for source, read in (("queues", _queues), ("leases", _leases),
                             ("analytics_stream", _stream)):
            try:
                families = list(read())
            except (RedisError, SQLAlchemyError) as exc:
                log.warning("metrics: %s unreadable (%s)", source, type(exc).__name__)
                db.session.rollback()
                families = None
            up.add_metric([source], 0 if families is None else 1)
            yield from families or ()
        yield up


def _queues():
    found = health.queue_health()
    if "error" in found:
        raise RedisError(found["error"])
    families = {
        "queued": GaugeMetricFamily("presave_queue_depth", "Jobs waiting in each RQ queue",
                                    labels=["queue"]),
        "scheduled": GaugeMetricFamily("presave_queue_scheduled_jobs",
                                       "Jobs scheduled for later in each RQ queue",
                                       labels=["queue"]),
        "started": GaugeMetricFamily("presave_queue_started_jobs",
                                     "Jobs running from each RQ queue", labels=["queue"]),
        "failed": GaugeMetricFamily("presave_queue_failed_jobs",
                                    "Jobs in each RQ queue's failed registry", labels=["queue"]),
    }
    oldest = GaugeMetricFamily("presave_queue_oldest_job_age_seconds",
                               "Age of the job waiting longest in each RQ queue (0: none)",
                               labels=["queue"])
    now = now_utc()
    for found_queue in found["queues"]:
        name = found_queue["name"]
        for key, family in families.items():
            family.add_metric([name], found_queue[key])
        oldest.add_metric([name], _oldest_age(name, now))
    workers = GaugeMetricFamily("presave_rq_workers", "RQ workers alive")
    workers.add_metric([], len(found["workers"]))
    return [*families.values(), oldest, workers]


def _oldest_age(name, now):
    waiting = queue(name)
    for job_id in waiting.get_job_ids(0, 1):
        job = waiting.fetch_job(job_id)
        if job is not None and job.enqueued_at is not None:
            enqueued = job.enqueued_at
            if enqueued.tzinfo is None:  # RQ keeps its times in UTC
                enqueued = enqueued.replace(tzinfo=timezone.utc)
            return max(0.0, (now - enqueued).total_seconds())
    return 0.0


def _leases():
    held = GaugeMetricFamily("presave_leases_held", "Rows leased to a worker, per ledger",
                             labels=["ledger"])
    expired = GaugeMetricFamily("presave_leases_expired",
                                "Leased rows past their lease, waiting for the reconciler",
                                labels=["ledger"])
    age = GaugeMetricFamily("presave_lease_oldest_age_seconds",
                            "Age of the oldest lease held, per ledger (0: none)",
                            labels=["ledger"])
    now = now_utc()
    with scoped(Scope.platform("metrics")):
        for ledger, rows in LEDGERS.items():
            model = rows.model
            count, past, taken = db.session.execute(
                select(func.count(), func.coalesce(func.sum(case(
                    (model.leased_until < now, 1), else_=0)), 0), func.min(model.updated_at))
                .where(model.state == IN_PROGRESS)).one()
            held.add_metric([ledger], count)
            expired.add_metric([ledger], past)
            age.add_metric([ledger], max(0.0, (now - taken).total_seconds()) if taken else 0.0)
        db.session.rollback()
    return [held, expired, age]


def _stream():
    conn = redis_connection()
    waiting = GaugeMetricFamily("presave_analytics_stream_entries",
                                "Analytics events waiting in the stream to be stored")
    oldest = GaugeMetricFamily("presave_analytics_stream_oldest_age_seconds",
                               "Age of the oldest analytics event waiting (0: none)")
    waiting.add_metric([], conn.xlen(capture.STREAM))
    first = conn.xrange(capture.STREAM, count=1)
    age = 0.0
    if first:
        added_ms = int(first[0][0].decode().split("-")[0])  # an entry's id is its time
        age = max(0.0, now_utc().timestamp() - added_ms / 1000)
    oldest.add_metric([], age)
    return [waiting, oldest]
