"""`python run.py`: web, one RQ worker with the scheduler and one `rq cron`, supervised.

Ctrl-C (or SIGTERM) stops all of them; if one dies, the others are stopped too. Each line
in the terminal starts with the process that wrote it. The access log goes to
instance/logs/access.log and RQ says only warnings, unless `python run.py --verbose` (or
PRESAVE_VERBOSE=1); the URL and the demo logins come last, once the web process answers.
"""
import os
import signal
import socket
import subprocess
import sys
import threading
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


LOG_DIR = INSTANCE_DIR / "logs"


def commands(url, host, port, quiet=False):
    """The command lines; ``quiet``: the access log to a file, warnings only from RQ."""
    bin_dir = Path(sys.executable).parent
    queues = ["release", "delivery", "default", "links", "analytics"]
    access_log = str(LOG_DIR / "access.log") if quiet else "-"
    level = "WARNING" if quiet else "INFO"
    return {
        "web": [str(bin_dir / "gunicorn"), "--bind", f"{host}:{port}", "--workers",
                os.environ.get("WEB_CONCURRENCY", "2"), "--access-logfile", access_log,
                "--access-logformat", ACCESS_LOG_FORMAT, "--log-level", level.lower(),
                "run:app"],
        "worker": [str(bin_dir / "rq"), "worker", "--url", url, "--with-scheduler",
                   "--worker-class", "app.jobs.worker.PresaveWorker", "--logging_level", level,
                   *queues],
        "cron": [str(bin_dir / "rq"), "cron", "--url", url, "--logging-level", level.lower(),
                 str(BASE_DIR / "app" / "jobs" / "cron.py")],
    }


def child_env(url, host, port, quiet=False):
    # TZ=UTC: rq 3's cron strings follow the process's local time (STYLE.md, R1/R2).
    env = {**os.environ, "REDIS_URL": url, "TZ": "UTC", "FAB_UPDATE_PERMS": "false",
           "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", f"http://{host}:{port}")}
    if quiet:
        env.setdefault("LOG_LEVEL", "WARNING")
    return env


_printing = threading.Lock()


def start(name, argv, env):
    # Each child gets its own process group so Ctrl-C reaches us and we stop it cleanly.
    child = subprocess.Popen(argv, env=env, cwd=BASE_DIR, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             bufsize=1, errors="replace")
    threading.Thread(target=_relay, args=(name, child.stdout), daemon=True).start()
    return child


def _relay(name, lines):
    for line in lines:
        with _printing:
            print(f"{name:>6} | {line}", end="", flush=True)


def wait_until_answering(host, port, child, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and child.poll() is None:
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


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
    with _printing:
        print("\n".join(lines), flush=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    verbose = "--verbose" in argv or os.environ.get("PRESAVE_VERBOSE") == "1"
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "5000")
    url = redis_url()
    env = child_env(url, host, port, quiet=not verbose)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    children = {name: start(name, argv, env)
                for name, argv in commands(url, host, port, quiet=not verbose).items()}
    if wait_until_answering(host, port, children["web"]):
        banner(host, port)
        if not verbose:
            print(f"(Requests are logged to {LOG_DIR / 'access.log'}; `python run.py --verbose` "
                  "shows them here, with every job.)\n", flush=True)
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
