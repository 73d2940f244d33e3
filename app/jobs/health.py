"""How the background work is doing, for the operator: each RQ queue's depth and failures, the
workers alive, and when the reconciler (the safety net behind every schedule) last ran."""
from datetime import datetime

from redis.exceptions import RedisError
from flask import current_app
from rq import Queue, Worker

from app.extensions import redis_connection

RECONCILED_KEY = "presave:reconciled_at"


def note_reconciled(now):
    redis_connection().set(RECONCILED_KEY, now.isoformat())


def queue_health():
    """{"queues": [...], "workers": [...], "reconciled_at": datetime | None}, or
    {"error": words} when Redis does not answer (the page that shows it must still open)."""
    conn = redis_connection()
    try:
        workers = Worker.all(connection=conn)
        names = {*current_app.config["RQ_QUEUES"], *(q.name for q in Queue.all(connection=conn))}
        names.update(name for worker in workers for name in worker.queue_names())
        queues = [_queue(Queue(name, connection=conn)) for name in sorted(names)]
        raw = conn.get(RECONCILED_KEY)
    except RedisError as exc:
        return {"error": f"Redis did not answer ({type(exc).__name__})"}
    return {"queues": queues,
            "workers": [{"name": worker.name, "state": worker.get_state(),
                         "queues": worker.queue_names(), "heartbeat": worker.last_heartbeat}
                        for worker in sorted(workers, key=lambda w: w.name)],
            "reconciled_at": datetime.fromisoformat(raw.decode()) if raw else None}


def _queue(queue):
    return {"name": queue.name, "queued": queue.count,
            "scheduled": queue.scheduled_job_registry.count,
            "started": queue.started_job_registry.count,
            "failed": queue.failed_job_registry.count}
