"""Analytics dashboards at scale, beside a naive GROUP BY. Run by hand, never by the suite.

    python bench/analytics.py [--events N] [--quick] [--db sqlite|postgres] [--runs R]
                              [--ingest M]

What it does, in one run:

1. A private world: a temporary instance folder, a fresh database (SQLite file
   there, or a PostgreSQL schema of its own in postgresql://postgres@127.0.0.1:5432/test,
   dropped at the end), a private Redis database number (or the embedded one).
2. 2 labels, 10 artists, 50 releases and N events (default 1,000,000) over 60 days
   before each release: a funnel of page views, clicks, sign-ins, pre-saves,
   reminders, stream clicks and deliveries; 6 platforms; 300 cities with a long
   tail; 20 referring sites and 10 UTM campaigns. Bulk-inserted (COPY on
   PostgreSQL, into the monthly partitions the cron makes; executemany on SQLite).
3. Each chunk of 50,000 counted into the rollups as it is stored, by the code the
   ingest runs for each batch (rollups.add); then ANALYZE.
4. Timed, as a label's staff (the tenant scope the views run in): the release
   dashboard's data (queries.release_report, all time, for the busiest release; and
   its last 30 days, printed beside it, which reads the daily tables) and
   the roster overview's (queries.roster_report), each R times after a warm-up;
   the baseline is the same release report computed by GROUP BY over the raw
   events, in the same run. With N over 1,000,000, steps 3 and 4 run at 1,000,000
   events first, then again at N: the dashboards' growth with the events, in one run.
5. The ingest (--ingest M, default 20,000; 0: none): M stream entries stored by the
   ingest job in this process (app.jobs.analytics.drain), its events per second,
   beside the same job without the rollups (the floor: the event rows alone).

Its last line is:
analytics: events=<N> release_p95_ms=<R> label_p95_ms=<L> baseline_p95_ms=<B> speedup=<B/R>
    [release_p95_ms_at_1000000=.. label_p95_ms_at_1000000=.. release_growth=.. label_growth=..]
    [ingest_per_s=.. ingest_floor_per_s=..]
"""
import argparse
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.harness import bench_app, run_in_workdir, say  # noqa: E402

LABELS, ARTISTS_PER_LABEL, RELEASES_PER_ARTIST, DAYS = 2, 5, 5, 60
CHUNK = 50000
STAGE = 1_000_000  # a run with more events times the dashboards here too, in the same run
# The funnel: share of events per kind.
KINDS = {"page_view": 0.62, "platform_click": 0.14, "authorization_started": 0.08,
         "presave_completed": 0.07, "reminder_signup": 0.02, "stream_click": 0.04,
         "delivered": 0.03}
PLATFORMS = {"spotify": 0.5, "apple_music": 0.25, "deezer": 0.08, "tidal": 0.05,
             "youtube_music": 0.08, "amazon_music": 0.04}
COUNTRIES = ["US", "GB", "DE", "FR", "BR", "MX", "PT", "ES", "IT", "NL", "SE", "JP", "AU", "CA"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", "--events", dest="n", type=int, default=None,
                        help=f"events (default {STAGE}); more are timed at {STAGE} on the way")
    parser.add_argument("--quick", action="store_true", help="100000 events")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=40, help="timed runs of each dashboard")
    parser.add_argument("--baseline-runs", type=int, default=10, help="timed baseline runs")
    parser.add_argument("--ingest", type=int, default=20000,
                        help="stream entries timed through the ingest job (0: none)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and schema")
    args = parser.parse_args()
    args.n = args.n or (100000 if args.quick else 1000000)
    return args


# --- seeding -------------------------------------------------------------------------------

def make_world(session):
    """2 labels x 5 artists x 5 releases; returns [(label id, artist id, release id, out)]."""
    from app.releases import rules as release_rules
    from app.models import Artist, Label, Release

    out = datetime(2026, 6, 1)
    releases = []
    for l in range(LABELS):
        label = Label(name=f"Bench Label {l}", slug=f"bench-label-{l}", timezone="UTC")
        session.add(label)
        session.flush()
        for a in range(ARTISTS_PER_LABEL):
            artist = Artist(label_id=label.id, name=f"Artist {l}.{a}", slug=f"artist-{l}-{a}")
            session.add(artist)
            session.flush()
            for r in range(RELEASES_PER_ARTIST):
                released = out - timedelta(days=90 * r + 7 * a)
                release = Release(artist=artist, label_id=label.id, title=f"Single {r}",
                                  slug=f"single-{r}", platforms=list(PLATFORMS))
                release_rules.schedule(release, released - timedelta(days=DAYS), released,
                                       "UTC", must_be_future=False)
                session.add(release)
                session.flush()
                releases.append((label.id, artist.id, release.id, release.release_at))
    session.commit()
    return releases


def cities(rng, count=300):
    return [(rng.choice(COUNTRIES), f"Region {i % 40}", f"City {i}",
             round(rng.uniform(-50, 65), 3), round(rng.uniform(-120, 140), 3))
            for i in range(count)]


def event_rows(releases, n, rng):
    """n event rows (dicts of column values), releases weighted so one is clearly busiest."""
    places = cities(rng)
    place_weights = [1 / (i + 1) for i in range(len(places))]  # a long tail
    sites = [f"site{i}.example" for i in range(20)] + [None] * 10
    campaigns = [(f"src{i}", ["email", "social", "paid"][i % 3], f"campaign-{i}")
                 for i in range(10)]
    release_weights = [1.0 + (2.0 if i == 0 else 0) for i in range(len(releases))]
    kinds, kind_w = list(KINDS), list(KINDS.values())
    platforms, platform_w = list(PLATFORMS), list(PLATFORMS.values())
    for start in range(0, n, CHUNK):
        size = min(CHUNK, n - start)
        picks = rng.choices(releases, release_weights, k=size)
        kind_picks = rng.choices(kinds, kind_w, k=size)
        place_picks = rng.choices(places, place_weights, k=size)
        rows = []
        for (label_id, artist_id, release_id, out), kind, place in zip(picks, kind_picks,
                                                                       place_picks):
            at = out - timedelta(seconds=rng.randrange(DAYS * 86400))
            country, region, city, lat, lon = place
            tagged = rng.random() < 0.3
            utm = rng.choice(campaigns) if tagged else (None, None, None)
            rows.append({
                "label_id": label_id, "artist_id": artist_id, "release_id": release_id,
                "kind": kind, "occurred_at": at,
                "platform": None if kind == "page_view" else rng.choices(platforms,
                                                                         platform_w)[0],
                "visitor_hash": f"{rng.getrandbits(64):016x}", "city": city, "region": region,
                "country": country, "latitude": lat, "longitude": lon, "timezone": "UTC",
                "referrer": rng.choice(sites), "utm_source": utm[0], "utm_medium": utm[1],
                "utm_campaign": utm[2], "device_class": "mobile", "in_app_browser": False})
        yield rows


def insert_events(db, rows, dialect):
    from sqlalchemy import insert

    from app.models import Event

    if dialect == "postgresql":
        copy_rows(db, rows)
    else:
        db.session.execute(insert(Event.__table__).execution_options(all_tenants=True), rows)


def copy_rows(db, rows):
    columns = list(rows[0])
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY event ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


# --- the baseline: the release report straight from the raw events -------------------------

def baseline_release_report(db, release_id):
    """What queries.release_report gives, by GROUP BY over the event table."""
    from sqlalchemy import case, func, select

    from app.analytics.rollups import referrer_host
    from app.models import Event

    day = (func.date(Event.occurred_at) if db.engine.dialect.name == "sqlite"
           else func.date(func.timezone("UTC", Event.occurred_at)))
    mine = Event.release_id == release_id
    views = func.sum(case((Event.kind == "page_view", 1), else_=0))
    presaves = func.sum(case((Event.kind == "presave_completed", 1), else_=0))
    run = db.session.execute
    daily = run(select(day, Event.kind, func.count()).where(mine).group_by(day, Event.kind)).all()
    platforms = run(select(Event.platform, func.count()).where(
        mine, Event.kind == "presave_completed").group_by(Event.platform)).all()
    places = run(select(Event.country, Event.region, Event.city, views, presaves,
                        func.max(Event.latitude), func.max(Event.longitude))
                 .where(mine, Event.kind.in_(["page_view", "presave_completed"]))
                 .group_by(Event.country, Event.region, Event.city)
                 .order_by(presaves.desc(), views.desc()).limit(100)).all()
    sites = run(select(Event.referrer, views, presaves).where(mine).group_by(Event.referrer)
                .order_by(views.desc()).limit(10)).all()
    tags = run(select(Event.utm_source, Event.utm_medium, Event.utm_campaign, views, presaves)
               .where(mine, Event.utm_source.is_not(None))
               .group_by(Event.utm_source, Event.utm_medium, Event.utm_campaign)
               .order_by(views.desc()).limit(10)).all()
    return daily, platforms, places, [(referrer_host(s), v, p) for s, v, p in sites], tags


# --- the ingest: stream entries into events and rollups, as one worker does it ---------------

def stream_payloads(releases, n, rng):
    """n stream entries as the fan pages write them (app.analytics.capture), now."""
    from app.localtime import now_utc

    at = now_utc().isoformat()
    for rows in event_rows(releases, n, rng):
        for row in rows:
            yield {"kind": row["kind"], "release_id": row["release_id"],
                   "artist_id": row["artist_id"], "label_id": row["label_id"],
                   "platform": row["platform"], "at": at, "visitor": row["visitor_hash"],
                   "city": row["city"], "region": row["region"], "country": row["country"],
                   "lat": row["latitude"], "lon": row["longitude"], "tz": "UTC",
                   "referrer": row["referrer"], "utm_source": row["utm_source"],
                   "utm_medium": row["utm_medium"], "utm_campaign": row["utm_campaign"],
                   "device": "mobile", "in_app": False, "variant": None, "link": None}


def ingest_rate(app, releases, n, rng, rollups_too=True):
    """Events per second one process stores through the ingest job (app.jobs.analytics.drain:
    read the stream, insert the events, count the rollups, commit, acknowledge); with
    ``rollups_too`` False, the same without the rollups (the floor)."""
    import json

    from app.analytics import capture, rollups
    from app.extensions import redis_connection
    from app.jobs import analytics

    with app.app_context():
        conn = redis_connection()
        pipe = conn.pipeline(transaction=False)
        for payload in stream_payloads(releases, n, rng):
            pipe.xadd(capture.STREAM, {"e": json.dumps(payload)})
        pipe.execute()
        counting, stored = rollups.add, 0
        if not rollups_too:
            rollups.add = lambda events: None
        try:
            started = time.perf_counter()
            while stored < n:
                stored += analytics.drain(None, linger_ms=0)
            seconds = time.perf_counter() - started
        finally:
            rollups.add = counting
    return stored / seconds


# --- timing --------------------------------------------------------------------------------

def p95_ms(fn, runs, warm=2):
    for _ in range(warm):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)], samples


def timed(app, scope, body):
    """body() in a fresh session under the label's scope, as one request would run it."""
    from app.extensions import db
    from app.tenants.context import scoped

    def run():
        with app.app_context(), scoped(scope):
            try:
                return body(db)
            finally:
                db.session.remove()
    return run


def main():
    args = parse_args()
    return run_in_workdir(lambda workdir, cleanups: run(args, workdir, cleanups),
                          "presave-bench-analytics-", keep=args.keep)


def run(args, workdir, cleanups):
    app, _, schema = bench_app(args.db, workdir, cleanups, keep=args.keep)
    from app.extensions import db
    from app.tenants.context import Scope, scoped

    say(f"events={args.n} db={args.db}{f' (schema {schema})' if schema else ''} "
        f"instance={workdir}")
    rng = random.Random(7)
    with app.app_context(), scoped(Scope.platform("bench:seed")):
        releases = make_world(db.session)
        make_months(db, releases)
        db.session.remove()
    chunks = event_rows(releases, args.n, rng)
    stages = [STAGE, args.n] if args.n > STAGE else [args.n]
    figures, stored = {}, 0
    for stage in stages:
        with app.app_context(), scoped(Scope.platform("bench:seed")):
            stored = store_events(db, chunks, stored, stage)
        figures[stage] = measure(app, args, releases)
    release_p95, label_p95, baseline_p95 = figures[args.n]
    growth = ""
    if len(stages) > 1:
        small = figures[STAGE]
        say(f"at {args.n:,} events against {STAGE:,}: release p95 {release_p95:.1f} ms vs "
            f"{small[0]:.1f} ms ({release_p95 / small[0]:.2f}x), label p95 {label_p95:.1f} ms vs "
            f"{small[1]:.1f} ms ({label_p95 / small[1]:.2f}x)")
        growth = (f" release_p95_ms_at_{STAGE}={small[0]:.1f} label_p95_ms_at_{STAGE}="
                  f"{small[1]:.1f} release_growth={release_p95 / small[0]:.2f} "
                  f"label_growth={label_p95 / small[1]:.2f}")
    ingest = ""
    if args.ingest:
        floor = ingest_rate(app, releases, args.ingest, rng, rollups_too=False)
        rate = ingest_rate(app, releases, args.ingest, rng)
        say(f"ingest, one process: {rate:.0f} events/s with the rollups "
            f"(the event rows alone: {floor:.0f} events/s; {args.ingest} stream entries each)")
        ingest = f" ingest_per_s={rate:.0f} ingest_floor_per_s={floor:.0f}"
    print(f"analytics: events={args.n} release_p95_ms={release_p95:.1f} "
          f"label_p95_ms={label_p95:.1f} baseline_p95_ms={baseline_p95:.1f} "
          f"speedup={baseline_p95 / release_p95:.1f}{growth}{ingest}", flush=True)
    return 0


def make_months(db, releases):
    """The monthly partitions the events will fall in (PostgreSQL), as the cron keeps them."""
    from app.analytics import event_months
    from app.localtime import now_utc

    first = min(out for *_, out in releases) - timedelta(days=DAYS)
    made = event_months.ensure(now_utc(), since=event_months.Month.of(first))
    if made:
        say(f"partitions: {len(made)} months, {made[0]} to {made[-1]}")


def store_events(db, chunks, stored, stage):
    """Store chunks until ``stage`` events are stored, counted into the rollups as stored
    (rollups.add, the ingest's own counting); then ANALYZE. Returns the events stored."""
    from sqlalchemy import text

    from app.analytics import rollups

    dialect = db.engine.dialect.name
    started, counting = time.monotonic(), 0.0
    while stored < stage:
        rows = next(chunks)
        insert_events(db, rows, dialect)
        counted_at = time.monotonic()
        rollups.add([SimpleNamespace(**row) for row in rows])
        db.session.commit()
        counting += time.monotonic() - counted_at
        stored += len(rows)
        say(f"stored {stored:,}/{stage:,} events ({len(rows) / (time.monotonic() - counted_at):.0f}"
            f" events/s counted into the rollups)")
    say(f"{stored:,} events stored in {time.monotonic() - started:.1f} s, of which "
        f"{counting:.1f} s counting them into the rollups")
    rollup_rows = {m.__tablename__: db.session.scalar(
        text(f"SELECT count(*) FROM {m.__tablename__}")) for m in rollups.ROLLUPS}
    say(f"rollup rows: {rollup_rows}")
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    db.session.remove()
    return stored


def measure(app, args, releases):
    """(release p95, label p95, baseline p95) in ms, as the label's staff."""
    from app.analytics import queries
    from app.tenants.context import Scope

    label_id, _, release_id, _ = releases[0]  # the busiest release (weighted x3)
    scope = Scope.label(label_id, actor="bench")

    def release_report(db):
        return queries.release_report(queries.visible_release(release_id), queries.Period())

    last_month = queries.Period(releases[0][3].date() - timedelta(days=29), releases[0][3].date())

    def release_month(db):
        return queries.release_report(queries.visible_release(release_id), last_month)

    def roster(db):
        return queries.roster_report(today=releases[0][3].date())

    def baseline(db):
        return baseline_release_report(db, release_id)

    report = timed(app, scope, release_report)()
    say(f"release {release_id}: funnel "
        f"{[(s['kind'], s['count']) for s in report['funnel']['steps']]}, "
        f"{len(report['cities'])} cities, {len(report['daily'])} days")
    release_p95, samples_r = p95_ms(timed(app, scope, release_report), args.runs)
    say(f"release dashboard data: p50 {statistics.median(samples_r):.1f} ms, "
        f"p95 {release_p95:.1f} ms ({args.runs} runs)")
    month_p95, samples_m = p95_ms(timed(app, scope, release_month), args.runs)
    say(f"release dashboard data, its last 30 days (daily tables): p50 "
        f"{statistics.median(samples_m):.1f} ms, p95 {month_p95:.1f} ms ({args.runs} runs)")
    label_p95, samples_l = p95_ms(timed(app, scope, roster), args.runs)
    say(f"label overview data: p50 {statistics.median(samples_l):.1f} ms, "
        f"p95 {label_p95:.1f} ms ({args.runs} runs)")
    baseline_p95, samples_b = p95_ms(timed(app, scope, baseline), args.baseline_runs, warm=1)
    say(f"baseline (GROUP BY over raw events): p50 {statistics.median(samples_b):.1f} ms, "
        f"p95 {baseline_p95:.1f} ms ({args.baseline_runs} runs)")
    return release_p95, label_p95, baseline_p95


if __name__ == "__main__":
    sys.exit(main())
