"""What every benchmark does around its measurement.

A work folder and cleanups that run however the benchmark ends (a plain kill
too); an app with its own instance folder on a fresh database (a SQLite file,
or a PostgreSQL schema of its own) and a private Redis database number (the
embedded Redis when no server runs locally); processes to start and stop.
"""
import importlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
# BENCH_REDIS_SERVER: another Redis server to claim a database number of (bench/capacity.py
# runs one of its own, so that it can count the commands a run sends).
REDIS_SERVER = os.environ.get("BENCH_REDIS_SERVER", "redis://127.0.0.1:6379")


def new_artist(db):
    """A label of its own and its artist, for one run (in an app context and a scope)."""
    from app.models import Artist, Label

    tag = uuid.uuid4().hex[:6]
    label = Label(name=f"Bench Records {tag}", slug=f"bench-{tag}", timezone="UTC")
    db.session.add(label)
    db.session.flush()
    artist = Artist(label_id=label.id, name="Bench Artist", slug=f"bench-artist-{tag}")
    db.session.add(artist)
    db.session.flush()
    return artist


def say(*parts):
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, flush=True)


def run_in_workdir(run, prefix, keep=False):
    """``run(workdir, cleanups)`` in a fresh folder; the cleanups run last-added first."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    cleanups = [] if keep else [lambda: shutil.rmtree(workdir, ignore_errors=True)]
    try:
        return run(workdir, cleanups)
    finally:
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as exc:  # noqa: BLE001 - cleaning up, report and go on
                say(f"cleanup: {type(exc).__name__}: {exc}")


def bench_app(db_kind, workdir, cleanups, keep=False, **environment):
    """The app on a fresh database and a private Redis, migrated: (app, redis_url, schema).

    The environment is production's except that the sandbox is mounted; ``environment``
    adds to it (child processes inherit it all).
    """
    if db_kind == "postgres":
        database_url, schema, drop = new_pg_schema()
        if not keep:
            cleanups.append(drop)
    else:
        database_url, schema = f"sqlite:///{workdir / 'presave.db'}", None
    os.environ.update({"INSTANCE_PATH": str(workdir), "DATABASE_URL": database_url, "TZ": "UTC",
                       "FAB_UPDATE_PERMS": "false", "PRESAVE_ENV": "development", **environment})
    os.environ.pop("REDIS_URL", None)
    redis_url, release_redis = claim_redis()  # imports config: the environment must be set
    cleanups.append(release_redis)
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
        importlib.reload(sys.modules["config"])  # its settings are read at import
    time.tzset()
    from flask_migrate import upgrade

    from app import create_app
    from app.embedded.redis_server import stop
    from app.extensions import db

    app = create_app("config.Config", FAB_UPDATE_PERMS=False)
    cleanups.append(lambda: stop(workdir))  # no-op unless the embedded Redis was started

    def dispose():  # before the schema is dropped: no connection of ours holds a lock
        with app.app_context():
            db.engine.dispose()
    cleanups.append(dispose)
    os.environ["REDIS_URL"] = app.config["REDIS_URL"]
    with app.app_context():
        upgrade()
    return app, app.config["REDIS_URL"], schema


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def claim_redis():
    """(url, release) for a private database number of the local Redis, else (None, no-op)."""
    import redis

    try:
        base = redis.Redis.from_url(REDIS_SERVER, socket_timeout=2)
        base.ping()
    except (redis.RedisError, OSError):
        return None, lambda: None
    from tests.support import claim_database_number

    # The test suite claims from 1 upwards: start at the top.
    return claim_database_number(REDIS_SERVER, range(15, 0, -1), owner="bench")


def new_pg_schema():
    import psycopg

    schema = f"bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop():
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return f"{PG_URL}?options=-csearch_path%3D{schema}", schema, drop


class Children:
    """Processes of the benchmark, each in its own session, logging into the work folder."""

    def __init__(self, logdir):
        self.logdir, self.procs = logdir, {}

    def start(self, name, argv, env):
        log = open(self.logdir / f"{name}.log", "wb")
        self.procs[name] = subprocess.Popen(argv, env=env, cwd=BASE_DIR, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self.procs[name]

    def check(self):
        """RuntimeError when a child stopped on its own."""
        dead = [name for name, proc in self.procs.items() if proc.poll() is not None]
        if dead:
            raise RuntimeError(f"{', '.join(dead)} stopped; see {self.logdir}")

    def stop(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def start_rq_workers(children, app, argv, count, env):
    """``count`` `rq worker` processes with the production command line ``argv`` (README
    "Production": --maintenance-interval 60), once registered with Redis; their pids."""
    from rq import Worker

    from app.extensions import redis_connection

    worker = argv[:]
    at = worker.index("--with-scheduler") + 1
    worker[at:at] = ["--maintenance-interval", "60"]
    pids = [children.start(f"worker{k}", worker, env).pid for k in range(count)]
    with app.app_context():
        deadline = time.monotonic() + 120
        while len(Worker.all(connection=redis_connection())) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("the rq workers did not register")
            time.sleep(0.2)
    return pids


def wait_http(url, timeout=60):
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout} s")
