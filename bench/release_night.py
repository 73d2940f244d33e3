"""Release night under a platform's rate limit, beside the ideal. Run by hand, never by the suite.

    python bench/release_night.py [--quick] [--n N] [--limit-rps L] [--window-s W]
                                  [--workers K] [--db postgres|sqlite]

What it does, in one run:

1. The private world of bench/release_day.py: its own instance folder, a fresh
   database (a PostgreSQL schema of its own by default, dropped at the end), a
   private Redis database number; N fans with valid sandbox Spotify grants and N
   pending pre-saves of one release (bench/release_day.py's seed()).
2. The sandbox's Spotify answers with a rate limit: at most L requests per second
   over a rolling window of W seconds (Spotify computes its limit over a rolling
   30 s), and 429 with Retry-After beyond it (app/sandbox/faults.py).
3. Production processes (bench/fleet.py, app.embedded.supervisor's command lines): gunicorn
   serving the app and the sandbox, K `rq worker` (PresaveWorker, with the
   scheduler) and one `rq cron`.
4. The release instant is set at the next minute (20 s ahead at least) and its
   exact job scheduled in RQ, as announcing a release does; from there nothing but
   the engine acts: the scheduler fires the job at the instant, release day starts,
   the cron's reconciler comes round every minute.

Figures, from the instant: the share of pre-saves delivered within 15 minutes; the
time when every pre-save was delivered or failed with a reason (given up after 6
hours); and the baseline, the ideal time N / L in which the rate limit alone would
let every save through. Its last line is exactly:

release_night: saves=<N> limit_rps=<L> within_15min=<share> all_done_s=<T> ideal_s=<N/L> failed=<F>
"""
import argparse
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.fleet import Fleet  # noqa: E402
from bench.harness import bench_app, free_port, run_in_workdir, say  # noqa: E402
from bench.release_day import seed  # noqa: E402

WITHIN = timedelta(minutes=15)
BOUND = 6 * 3600  # seconds: release night must be over by then


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=None, help="pre-saves (default 12000)")
    parser.add_argument("--quick", action="store_true", help="3000 pre-saves")
    parser.add_argument("--limit-rps", type=float, default=50.0,
                        help="the platform's rate limit, requests per second (default 50)")
    parser.add_argument("--window-s", type=float, default=30.0,
                        help="its rolling window in seconds (default 30, as Spotify)")
    parser.add_argument("--workers", type=int, default=2, help="rq worker processes")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--lead-s", type=int, default=20,
                        help="at least this many seconds between setting the instant and it")
    args = parser.parse_args()
    args.n = args.n or (3000 if args.quick else 12000)
    return args


def world(args, workdir, cleanups):
    """Environment, database, Redis and app of this run; (app, redis_url, port)."""
    port = free_port()
    app, redis_url, schema = bench_app(args.db, workdir, cleanups, SANDBOX_IN_PROCESS="false",
                                       PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    say(f"n={args.n} limit_rps={args.limit_rps:g} window_s={args.window_s:g} "
        f"workers={args.workers} db={args.db}{f' (schema {schema})' if schema else ''} "
        f"redis={app.config['REDIS_URL']}")
    return app, app.config["REDIS_URL"], port


def analyse(app):
    """PostgreSQL statistics, as autovacuum has them after weeks of pre-saves."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))


def set_instant(app, release_id, lead_s):
    """The release comes out at the next whole minute at least ``lead_s`` ahead; its exact
    job is scheduled as announcing does. The instant."""
    from sqlalchemy import update

    from app.extensions import db
    from app.jobs.lifecycle import schedule_next_instant
    from app.models import PreSave, Release
    from app.tenants.context import Scope, scoped

    soon = datetime.now(timezone.utc) + timedelta(seconds=lead_s)
    instant = soon.replace(second=0, microsecond=0) + timedelta(minutes=1)
    with app.app_context(), scoped(Scope.platform("bench:clock")):
        release = db.session.get(Release, release_id)
        release.release_at, release.release_local = instant, instant.replace(tzinfo=None)
        db.session.execute(update(PreSave).where(PreSave.release_id == release_id)
                           .values(next_attempt_at=instant)
                           .execution_options(all_tenants=True, synchronize_session=False))
        db.session.commit()
        schedule_next_instant(release)
        db.session.remove()
    return instant


def ledger(app, release_id, instant):
    """(rows by state, delivered within 15 minutes, last outcome written)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import PreSave
    from app.tenants.context import Scope, scoped

    with app.app_context(), scoped(Scope.platform("bench:watch")):
        try:
            found = dict(db.session.execute(
                select(PreSave.state, func.count()).where(PreSave.release_id == release_id)
                .group_by(PreSave.state).execution_options(all_tenants=True)).all())
            early = db.session.scalar(select(func.count()).select_from(PreSave).where(
                PreSave.release_id == release_id, PreSave.delivered_at <= instant + WITHIN)
                .execution_options(all_tenants=True))
            last = db.session.scalar(select(func.max(PreSave.updated_at)).where(
                PreSave.release_id == release_id, PreSave.state.in_(["delivered", "failed"]))
                .execution_options(all_tenants=True))
        finally:
            db.session.remove()
    return found, early, last


def run(args, workdir, cleanups):
    app, redis_url, port = world(args, workdir, cleanups)
    started = time.monotonic()
    label_id, release_id, _, isrc = seed(app, args.n)
    analyse(app)
    say(f"seeded {args.n} in {time.monotonic() - started:.1f} s")

    from app.sandbox import state

    fleet = Fleet(workdir, redis_url, port)
    cleanups.append(fleet.stop)  # first of the cleanups: nothing uses the schema any more
    fleet.serve()
    with app.app_context():
        state.add_catalog_item("spotify", isrc=isrc, id=uuid.uuid4().hex[:22], title="Night Single")
        state.set_faults("spotify", limit_rps=args.limit_rps, limit_window_s=args.window_s)
    fleet.start_workers(args.workers)
    fleet.start_cron()
    instant = set_instant(app, release_id, args.lead_s)
    say(f"gunicorn on {fleet.base_url}, {args.workers} rq worker(s), rq cron; "
        f"release instant {instant:%H:%M:%S}")

    while True:
        time.sleep(2)
        found, early, last = ledger(app, release_id, instant)
        now = datetime.now(timezone.utc)
        elapsed = (now - instant).total_seconds()
        if elapsed > 0:
            say(f"{elapsed:7.0f} s  {found}  within 15 min: {early}")
        if fleet.dead():
            raise RuntimeError(f"{', '.join(fleet.dead())} stopped; logs in {workdir}")
        open_rows = found.get("pending", 0) + found.get("in_progress", 0)
        if elapsed > 0 and not open_rows:
            break
        if elapsed > BOUND:
            break
    with app.app_context():
        injected = state.injected("spotify")
    delivered, failed = found.get("delivered", 0), found.get("failed", 0)
    all_done = (last - instant).total_seconds() if not open_rows and last else float("nan")
    ideal = args.n / args.limit_rps
    say(f"sandbox answers injected: {injected}")
    say(f"delivered {delivered}, failed {failed}, still open {open_rows}")
    say(f"baseline (ideal: every save through the limit, back to back): "
        f"{args.n} / {args.limit_rps:g} rps = {ideal:.0f} s")
    print(f"release_night: saves={args.n} limit_rps={args.limit_rps:g} "
          f"within_15min={early / args.n:.4f} all_done_s={all_done:.0f} ideal_s={ideal:.0f} "
          f"failed={failed}", flush=True)
    return 0 if not open_rows else 1


def main():
    args = parse_args()
    return run_in_workdir(lambda workdir, cleanups: run(args, workdir, cleanups), "presave-night-")


if __name__ == "__main__":
    sys.exit(main())
