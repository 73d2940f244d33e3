"""`python run.py`: web, one RQ worker with the scheduler and one `rq cron`, supervised.

Ctrl-C (or SIGTERM) stops all of them; if one dies, the others are stopped too.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from config import BASE_DIR, INSTANCE_DIR

LOGINS = [
    ("admin@presave.test", "demo-admin", "Admin"),
    ("owner@northwind.test", "demo-owner", "Label Admin, Northwind Records"),
    ("staff@northwind.test", "demo-staff", "Label Staff, Northwind Records"),
    ("artist@northwind.test", "demo-artist", "Artist, Aurora Vale"),
    ("staff@harbor.test", "demo-staff", "Label Staff, Harbor Lights Music"),
]


# The path without its query: OAuth callbacks carry codes and states there.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'


def redis_url():
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    from app.embedded.redis_server import embedded_redis_url

    return embedded_redis_url(INSTANCE_DIR)  # this process owns the embedded server


def commands(url, host, port):
    bin_dir = Path(sys.executable).parent
    queues = ["release", "delivery", "default", "links", "analytics"]
    return {
        "web": [str(bin_dir / "gunicorn"), "--bind", f"{host}:{port}", "--workers",
                os.environ.get("WEB_CONCURRENCY", "2"), "--access-logfile", "-",
                "--access-logformat", ACCESS_LOG_FORMAT, "run:app"],
        "worker": [str(bin_dir / "rq"), "worker", "--url", url, "--with-scheduler",
                   "--worker-class", "app.jobs.worker.PresaveWorker", *queues],
        "cron": [str(bin_dir / "rq"), "cron", "--url", url,
                 str(BASE_DIR / "app" / "jobs" / "cron.py")],
    }


def child_env(url, host, port):
    # TZ=UTC: rq 3's cron strings follow the process's local time (STYLE.md, R1/R2).
    return {**os.environ, "REDIS_URL": url, "TZ": "UTC", "FAB_UPDATE_PERMS": "false",
            "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", f"http://{host}:{port}")}


def start(name, argv, env):
    # Each child gets its own process group so Ctrl-C reaches us and we stop it cleanly.
    return subprocess.Popen(argv, env=env, cwd=BASE_DIR, start_new_session=True)


def stop(children):
    for child in children.values():
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)


def banner(host, port):
    lines = [f"\nPresave is running at http://{host}:{port}/", "Demo logins:"]
    lines += [f"  {email:<24} {password:<12} {role}" for email, password, role in LOGINS]
    lines.append("Press Ctrl-C to stop web, worker and cron.\n")
    print("\n".join(lines), flush=True)


def main():
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "5000")
    url = redis_url()
    env = child_env(url, host, port)
    children = {name: start(name, argv, env) for name, argv in commands(url, host, port).items()}
    banner(host, port)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    code = 0
    try:
        while not stopping:
            dead = [name for name, child in children.items() if child.poll() is not None]
            if dead:
                print(f"{', '.join(dead)} stopped; stopping the rest.", flush=True)
                code = 1
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    print("Stopping…", flush=True)
    stop(children)
    sys.exit(code)
