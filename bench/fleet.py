"""The app served by gunicorn and rq workers, started with the production command lines
(app.embedded.supervisor), that can be killed and started again: for the benchmarks and the fault
test (tests/integration/test_fault_workers.py).

    fleet = Fleet(logdir, redis_url, port)  # children get fleet.env
    fleet.serve()                           # gunicorn: the app and the sandbox on fleet.base_url
    fleet.start_workers(4)                  # `rq worker ... PresaveWorker`
    fleet.kill_workers()                    # SIGKILL, work horses included, as a machine dying
    fleet.start_cron()                      # `rq cron app/jobs/cron.py`
    fleet.stop()
"""
import os
import signal
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.harness import Children, wait_http  # noqa: E402


def fleet_env(redis_url, base_url, **extra):
    """The children's environment: this one's (DATABASE_URL, INSTANCE_PATH and so its keys),
    platform calls over HTTP to ``base_url``, the sandbox mounted, TZ=UTC as in production."""
    return {**os.environ, "REDIS_URL": redis_url, "PUBLIC_BASE_URL": base_url, "TZ": "UTC",
            "SANDBOX_IN_PROCESS": "false", "PRESAVE_ENV": "development",
            "FAB_UPDATE_PERMS": "false", **extra}


class Fleet:
    def __init__(self, logdir, redis_url, port, **env):
        from app.embedded.supervisor import commands

        self.base_url = f"http://127.0.0.1:{port}"
        self.env = fleet_env(redis_url, self.base_url, **env)
        self.argv = commands(redis_url, "127.0.0.1", port)
        worker = self.argv["worker"]
        at = worker.index("--with-scheduler") + 1
        worker[at:at] = ["--maintenance-interval", "60"]  # as README "Production"
        self.children = Children(Path(logdir))
        self.workers, self.generation = [], 0

    def serve(self):
        self.children.start("web", self.argv["web"], self.env)
        wait_http(f"{self.base_url}/health")
        return self.base_url

    def start_workers(self, count):
        self.generation += 1
        self.workers = [self.children.start(f"worker{self.generation}-{k}", self.argv["worker"],
                                            self.env) for k in range(count)]
        return [proc.pid for proc in self.workers]

    def kill_workers(self):
        """SIGKILL every worker and everything it started, at once, as a machine dying: rq's
        work horse runs in a session of its own (setsid), so the worker's group is not enough."""
        import psutil

        doomed = []
        for proc in self.workers:
            try:
                doomed += [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(recursive=True))]
            except psutil.NoSuchProcess:
                pass
        for pid in doomed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for proc in self.workers:
            proc.wait()
        self.workers = []

    def start_cron(self):
        return self.children.start("cron", self.argv["cron"], self.env)

    def dead(self):
        """Names of children that stopped on their own."""
        live = {proc.pid for proc in self.workers}
        return [name for name, proc in self.children.procs.items()
                if proc.poll() is not None and (not name.startswith("worker") or proc.pid in live)]

    def stop(self):
        self.kill_workers()  # no work horse outlives the run
        self.children.stop()
