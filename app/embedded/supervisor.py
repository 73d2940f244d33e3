"""`python run.py`: web, one RQ worker with the scheduler and one `rq cron`, supervised; with
SMTP_HOST unset, also the development mail catcher (app.embedded.mail_catcher), which every
process then sends its email to.

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


MAIL_DIR = INSTANCE_DIR / "outbox"


def mail_port():
    """The catcher's port when this run starts one (SMTP_HOST unset), else None: 1025 (or
    MAIL_CATCHER_PORT) when free, otherwise any free port."""
    if os.environ.get("SMTP_HOST") or os.environ.get("PRESAVE_ENV") == "production":
        return None
    wanted = int(os.environ.get("MAIL_CATCHER_PORT", "1025"))
    for port in (wanted, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    return None


def commands(url, host, port, quiet=False, mail=None):
    """The command lines; ``quiet``: the access log to a file, warnings only from RQ;
    ``mail``: the mail catcher's port, when it runs."""
    bin_dir = Path(sys.executable).parent
    queues = ["release", "delivery", "messages", "default", "links", "analytics", "webhooks"]
    access_log = str(LOG_DIR / "access.log") if quiet else "-"
    level = "WARNING" if quiet else "INFO"
    lines = {
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
    if mail:
        lines["mail"] = [sys.executable, "-m", "app.embedded.mail_catcher", "--port", str(mail),
                         "--dir", str(MAIL_DIR)]
    return lines


def child_env(url, host, port, quiet=False, mail=None):
    # TZ=UTC: rq 3's cron strings follow the process's local time (STYLE.md, R1/R2).
    env = {**os.environ, "REDIS_URL": url, "TZ": "UTC", "FAB_UPDATE_PERMS": "false",
           "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", f"http://{host}:{port}")}
    if mail:  # every process sends its email to the catcher, and the admin shows what it kept
        env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(mail), SMTP_STARTTLS="false",
                   MAIL_CATCHER_DIR=str(MAIL_DIR))
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


def banner(host, port, mail=None):
    lines = [f"\nPresave is running at http://{host}:{port}/", "Demo logins:"]
    lines += [f"  {email:<24} {password:<12} {role}" for email, password, role in LOGINS]
    if mail:
        lines.append(f"Email goes to the mail catcher on 127.0.0.1:{mail}: read it under "
                     f"Fan messages → Outbox (development), http://{host}:{port}/outbox/")
    lines.append("Press Ctrl-C to stop web, worker and cron.\n")
    with _printing:
        print("\n".join(lines), flush=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    verbose = "--verbose" in argv or os.environ.get("PRESAVE_VERBOSE") == "1"
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "5000")
    url, mail = redis_url(), mail_port()
    env = child_env(url, host, port, quiet=not verbose, mail=mail)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    children = {name: start(name, argv, env)
                for name, argv in commands(url, host, port, not verbose, mail).items()}
    if wait_until_answering(host, port, children["web"]):
        banner(host, port, mail)
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
