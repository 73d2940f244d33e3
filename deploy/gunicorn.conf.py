"""gunicorn settings for Presave's web processes: `gunicorn -c deploy/gunicorn.conf.py ... run:app`.

With PROMETHEUS_MULTIPROC_DIR set (README, Metrics), a worker that exits has its files marked
dead, as prometheus_client asks of every multiprocess server. Its counters keep counting in
the sums; only live-process gauges would drop it (Presave reads its gauges when scraped)."""
import os


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
