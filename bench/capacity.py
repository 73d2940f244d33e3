"""A capacity model, measured: what one core does, and what a release night needs. Run by hand,
never by the test suite.

    python bench/capacity.py --rate-limit L [--rate-limit L2 ...] [--quick] [--check]
                             [--presaves P] [--apps A] [--window-s W] [--share PLATFORM=S ...]
                             [--cores C] [--workers-per-check K] [--save F | --figures F]

What it does, in one run:

1. Measures the CPU seconds per unit by running the other benchmarks, short, as they are run
   by hand (each in a process of its own, its own private world; their printed lines are read):
   bench/release_day.py (CPU of the rq workers per delivered save; the web processes there are
   the stand-in platform), bench/landing.py twice (server CPU per fan page on the fast lane and
   on the full path; the rq worker's CPU per analytics event ingested) and bench/blast.py (CPU
   of the rq workers per message sent). Each baseline is printed beside it, as the bench
   printed it: the bare client's CPU per call, the bare Flask page's CPU per page, the bare
   SMTP client's rate.
2. Counts what each unit costs the shared services, measured, not guessed: every command the
   run sends to Redis (a redis-server of this benchmark's own, watched with MONITOR; the
   sandbox's own keys, "sandbox:*", are the stand-in platform's and left out), and every row
   written to PostgreSQL (pg_stat_user_tables of the run's schema, less the rows the bench
   seeded).
3. The model, for P pre-saves due at one midnight and each rate limit L (requests/s per
   platform app, A apps, rolling window of W s as Spotify counts it): time to drain
   = the slowest platform's share x P / min(L x A, worker capacity), with the window's first
   burst; the worker cores needed to keep up with the limit; web cores for the page-view peak;
   Redis commands/s and PostgreSQL rows/s while it drains.
4. With --check, runs bench/release_night.py at each rate limit (2 x L x W pre-saves, so the
   window's burst and two refills show) and prints the model's drain time beside the measured.

Its last lines are exactly, one per rate limit:
capacity: presaves=<P> limit_rps=<L> drain_s=<T> bound=<rate limit|workers> worker_cores=<C> redis_ops_s=<R> pg_rows_s=<W>
and with --check, one per rate limit:
capacity_check: saves=<N> limit_rps=<L> predicted_s=<T> measured_s=<M> ratio=<M/T>
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.analytics import KINDS  # noqa: E402  the funnel the dashboards bench assumes
from bench.harness import PG_URL, free_port, say  # noqa: E402

PYTHON = sys.executable
# The platforms' share of pre-saves (the analytics bench's split, Spotify rounded up).
DEFAULT_SHARE = {"spotify": 0.6, "apple_music": 0.25, "deezer": 0.05, "tidal": 0.04,
                 "youtube_music": 0.03, "amazon_music": 0.03}
PAGE_VIEWS_PER_PRESAVE = KINDS["page_view"] / KINDS["presave_completed"]
EVENTS_PER_PAGE_VIEW = 1 / KINDS["page_view"]  # every kind of event, per page view
MESSAGES_PER_PRESAVE = KINDS["reminder_signup"] / KINDS["presave_completed"]  # "it's out"
SANDBOX_KEY = "sandbox:"
MONITOR_LINE = re.compile(r'^(\d+\.\d+) \[(\d+) ([^\]]+)\] "([^"]+)"(.*)$')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate-limit", type=float, action="append", required=True,
                        help="a platform app's rate limit, requests/s (repeat for several; "
                             "Spotify publishes none)")
    parser.add_argument("--presaves", type=int, default=1_000_000,
                        help="pre-saves due at one midnight (default 1,000,000)")
    parser.add_argument("--apps", type=int, default=1,
                        help="platform apps per platform sharing the night (default 1)")
    parser.add_argument("--window-s", type=float, default=30.0,
                        help="the rate limit's rolling window (default 30, as Spotify)")
    parser.add_argument("--share", action="append", default=[], metavar="PLATFORM=SHARE",
                        help="share of the pre-saves on a platform (repeat; default "
                             + ", ".join(f"{k}={v:g}" for k, v in DEFAULT_SHARE.items()) + ")")
    parser.add_argument("--cores", type=int, default=4, help="cores per worker machine (default 4)")
    parser.add_argument("--worker-cores", type=int, default=None,
                        help="worker cores on release night (default: as many as keep up with "
                             "every platform's limit)")
    parser.add_argument("--busy", type=float, default=0.7,
                        help="share of a core the model lets a process use (default 0.7)")
    parser.add_argument("--page-views-per-presave", type=float, default=PAGE_VIEWS_PER_PRESAVE,
                        help="fan page views per pre-save (default: bench/analytics.py's funnel, "
                             f"{PAGE_VIEWS_PER_PRESAVE:.1f})")
    parser.add_argument("--peak-hour-share", type=float, default=0.05,
                        help="share of a campaign's page views in its busiest hour (default 0.05)")
    parser.add_argument("--full-path-share", type=float, default=0.2,
                        help="share of page views that take the full path (default 0.2)")
    parser.add_argument("--quick", action="store_true", help="shorter measuring runs")
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres",
                        help="database of the measuring runs (rows written need postgres)")
    parser.add_argument("--check", action="store_true",
                        help="run bench/release_night.py at each rate limit, beside the model")
    parser.add_argument("--check-n", type=int, default=None,
                        help="pre-saves of each check run (default 2 x L x W)")
    parser.add_argument("--check-workers", type=int, default=2,
                        help="rq workers of each check run (default 2, as release_night)")
    parser.add_argument("--machine-cores", type=float, default=os.cpu_count(),
                        help="cores the check run's workers and stand-in platform share "
                             "(default: this machine's)")
    parser.add_argument("--save", help="write the measured figures to this JSON file")
    parser.add_argument("--figures", help="read the figures from this JSON file, measure nothing")
    args = parser.parse_args()
    args.share = dict(DEFAULT_SHARE) if not args.share else {
        k: float(v) for k, v in (item.split("=", 1) for item in args.share)}
    return args


# --- a Redis of our own, watched ---------------------------------------------------------------

class WatchedRedis:
    """A redis-server of this run's own, every command it gets written to a file (MONITOR)."""

    def __init__(self, workdir):
        self.port, self.dir = free_port(), workdir
        self.server = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(workdir)],
            stdout=open(workdir / "redis.log", "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                             capture_output=True).stdout.strip() != b"PONG":
            if time.monotonic() > deadline:
                raise RuntimeError("the benchmark's redis-server did not start")
            time.sleep(0.1)
        self.log = workdir / "monitor.log"
        self.monitor = subprocess.Popen(["redis-cli", "-p", str(self.port), "monitor"],
                                        stdout=open(self.log, "wb"), stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}"

    def commands(self, start, end):
        """Commands sent between two instants (epoch s): (Presave's by name, the sandbox's count).
        A command naming a "sandbox:" key is the stand-in platform's; MULTI/EXEC around them are
        counted as Presave's (a few)."""
        app, sandbox = Counter(), 0
        with open(self.log, "rb") as lines:
            for raw in lines:
                found = MONITOR_LINE.match(raw.decode("utf-8", "replace"))
                if not found or not start <= float(found.group(1)) <= end:
                    continue
                if f'"{SANDBOX_KEY}' in found.group(5):
                    sandbox += 1
                else:
                    app[found.group(4).upper()] += 1
        return app, sandbox

    def stop(self):
        for proc in (self.monitor, self.server):
            proc.terminate()
            proc.wait(timeout=20)


# --- running a bench ------------------------------------------------------------------------

def run_bench(name, argv, env, marks):
    """Run bench/<name>.py with ``argv``; its lines, and the instant (epoch s) each of ``marks``
    (regexes) first showed. Raises when it fails."""
    say(f"running bench/{name}.py {' '.join(argv)}")
    proc = subprocess.Popen([PYTHON, str(BASE_DIR / "bench" / f"{name}.py"), *argv], env=env,
                            cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    lines, seen = [], {}
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        for mark, pattern in marks.items():
            if mark not in seen and re.search(pattern, line):
                seen[mark] = time.time()
        progress = re.match(r"^\[[\d:]+\]\s+[\d.]+ s  ", line)  # a bench's running counts
        if (line.startswith("[") and not progress) or line.startswith(f"{name}:"):
            print("    " + line.rstrip("\n"), flush=True)
    if proc.wait() != 0:
        tail = "\n".join(lines[-20:])
        raise RuntimeError(f"bench/{name}.py {' '.join(argv)} failed ({proc.returncode}):\n{tail}")
    return lines, seen


def find(lines, pattern, cast=float):
    for line in lines:
        found = re.search(pattern, line)
        if found:
            return cast(found.group(1))
    raise RuntimeError(f"no line matches {pattern!r}")


def pg_rows(lines, seeded):
    """Rows written in the run's PostgreSQL schema (kept with --keep), less the rows the bench
    seeded (``seeded``: {table: (inserted, updated)}); the schema is dropped. (total, by table)"""
    import psycopg

    schema = find(lines, r"\(schema (bench_[0-9a-z_]+)\)", str)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        time.sleep(1)  # the bench's backends have gone and flushed their counts
        rows = conn.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables "
            "WHERE schemaname = %s", (schema,)).fetchall()
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    by_table = {}
    for table, ins, upd, dele in rows:
        less_ins, less_upd = seeded.get(table, (0, 0))
        written = max(0, ins - less_ins) + max(0, upd - less_upd) + dele
        if written:
            by_table[table] = written
    return sum(by_table.values()), by_table


def measure(args, workdir):
    redis = WatchedRedis(workdir)
    tmp = workdir / "tmp"  # the benches' instance folders, kept (--keep) for their schema
    tmp.mkdir()
    env = {**os.environ, "BENCH_REDIS_SERVER": redis.url, "TMPDIR": str(tmp)}
    pg = args.db == "postgres"
    keep = ["--keep"] if pg else []
    figures = {"machine": f"{os.cpu_count()} cores, load average at start "
                          + " / ".join(f"{x:.1f}" for x in os.getloadavg()), "db": args.db}
    try:
        # Release day: the rq workers' CPU per delivered save; the web processes are the
        # stand-in platform; the bare client's CPU per call is the baseline.
        n = 5000 if args.quick else 10000
        lines, at = run_bench("release_day", ["--n", str(n), "--db", args.db, *keep], env,
                              {"start": r"releasing", "end": r"release-day CPU per save"})
        saves = find(lines, r"^release_day: saves=(\d+)", int)
        ops, sandbox_ops = redis.commands(at["start"], at["end"])
        figures["save"] = {
            "n": saves, "worker_ms": find(lines, r"release-day CPU per save: .*rq workers ([\d.]+) ms"),
            "platform_ms": find(lines, r"release-day CPU per save: web ([\d.]+) ms"),
            "bare_client_ms": find(lines, r"bare client ([\d.]+) ms"),
            "rate": find(lines, r"^release_day: .* rate=(\d+)"),
            "ceiling": find(lines, r"^release_day: .* ceiling=(\d+)"),
            "redis_ops": sum(ops.values()) / saves, "redis_by_command": dict(ops.most_common(8)),
            "sandbox_redis_ops": sandbox_ops / saves}
        if pg:
            rows, by_table = pg_rows(lines, {"fan": (n, 0), "authorization": (n, 0),
                                             "presave": (n, n)})  # release_now moves them all
            figures["save"].update(pg_rows=rows / saves, pg_by_table=by_table)

        # The fan page, fast lane and full path; the worker's drain CPU per event.
        seconds = ["--seconds", "10" if args.quick else "20", "--rounds", "2"]
        for lane, extra in (("fast", []), ("full", ["--full-path"])):
            db = args.db if lane == "fast" else "sqlite"  # the full path writes no more rows
            lines, at = run_bench("landing", [*seconds, "--db", db, *extra,
                                              *(keep if db == "postgres" else [])], env,
                                  {"start": r"gunicorn: .* connections", "end": r"rq worker \(drains\)"})
            requests = find(lines, r"^landing: .* requests=(\d+)", int)
            events = find(lines, r"^landing: .* events=(\d+)", int)
            ops, _ = redis.commands(at["start"], at["end"])
            page = {"requests": requests, "events": events,
                    "server_ms": find(lines, r"^\[.*\] fan page.*CPU per page: server ([\d.]+) ms"),
                    "bare_ms": find(lines, r"ceiling \(bare Flask page.*CPU per page: server ([\d.]+) ms"),
                    "rps": find(lines, r"^landing: rps=(\d+)"),
                    "ceiling_rps": find(lines, r"^landing: .* ceiling_rps=(\d+)"),
                    "drain_ms": find(lines, r"rq worker \(drains\): ([\d.]+) ms"),
                    "redis_ops": sum(ops.values()) / requests,
                    "redis_by_command": dict(ops.most_common(8))}
            if db == "postgres":
                rows, by_table = pg_rows(lines, {})
                page.update(pg_rows=rows / events, pg_by_table=by_table)
            figures[f"page_{lane}"] = page
    
        # A blast: the rq workers' CPU per message sent.
        n = 3000 if args.quick else 10000
        lines, at = run_bench("blast", ["--n", str(n), "--db", args.db, *keep], env,
                              {"start": r"baseline before", "end": r"blast CPU per message"})
        sent = find(lines, r"^blast: recipients=(\d+)", int)
        ops, _ = redis.commands(at["start"], at["end"])
        figures["message"] = {
            "n": sent, "worker_ms": find(lines, r"blast CPU per message: rq workers ([\d.]+) ms"),
            "rate": find(lines, r"^blast: .* rate=(\d+)"),
            "baseline": find(lines, r"^blast: .* baseline=(\d+)"),
            "redis_ops": sum(ops.values()) / sent}
        if pg:
            rows, by_table = pg_rows(lines, {"fan": (n, 0), "consent": (n, 0),
                                             "message_recipient": (n, 0)})
            figures["message"].update(pg_rows=rows / sent, pg_by_table=by_table)
    finally:
        redis.stop()
    return figures


# --- the model ------------------------------------------------------------------------------

def drain_seconds(n, limit, window, capacity):
    """Seconds to push n saves through a rolling-window limit (limit x window calls per window)
    with workers that make ``capacity`` calls/s: each window admits its quota at the workers'
    pace, then waits for the window to roll."""
    if n <= 0:
        return 0.0
    if capacity <= limit:
        return n / capacity
    quota = limit * window
    windows = math.ceil(n / quota) - 1
    return windows * window + (n - windows * quota) / capacity


def per_core(figures):
    return {
        "saves/s (rq worker)": 1000 / figures["save"]["worker_ms"],
        "pages/s, fast lane (gunicorn)": 1000 / figures["page_fast"]["server_ms"],
        "pages/s, full path (gunicorn)": 1000 / figures["page_full"]["server_ms"],
        "events/s ingested (rq worker)": 1000 / figures["page_fast"]["drain_ms"],
        "messages/s (rq worker)": 1000 / figures["message"]["worker_ms"],
    }


def release_night(args, figures, limit):
    """The model for one rate limit: a dict of figures."""
    save, fast, full = figures["save"], figures["page_fast"], figures["page_full"]
    total_share = sum(args.share.values())
    per_platform = {p: args.presaves * s / total_share for p, s in args.share.items() if s > 0}
    allowed = limit * args.apps  # calls/s one platform lets through
    calls_s = allowed * len(per_platform)  # while every platform is draining
    core_saves = 1000 / save["worker_ms"] * args.busy  # saves/s one worker core keeps up with
    worker_cores = args.worker_cores or math.ceil(calls_s / core_saves)
    capacity = worker_cores * core_saves
    # Each platform drains at its limit while the workers keep up with all of them.
    # Each platform drains at its limit while the workers keep up with all of them; else the
    # workers' capacity is shared, and the whole night takes at least presaves / capacity.
    limited = max(drain_seconds(n, allowed, args.window_s, capacity) for n in per_platform.values())
    drain = max(limited, args.presaves / capacity)
    rate = min(calls_s, capacity)  # saves/s while every platform drains
    # Pages: the busiest hour of the campaign's page views; a mix of fast lane and full path.
    pages_s = args.presaves * args.page_views_per_presave * args.peak_hour_share / 3600
    page_ms = (1 - args.full_path_share) * fast["server_ms"] + args.full_path_share * full["server_ms"]
    web_cores = math.ceil(pages_s * page_ms / 1000 / args.busy)
    events_s = pages_s * EVENTS_PER_PAGE_VIEW
    ingest_cores = math.ceil(events_s * fast["drain_ms"] / 1000 / args.busy)
    messages = args.presaves * MESSAGES_PER_PRESAVE
    return {
        "limit": limit, "drain_s": drain, "calls_s": rate,
        "bound": "rate limit" if limited >= args.presaves / capacity else "workers",
        "worker_cores": worker_cores, "worker_machines": math.ceil(worker_cores / args.cores),
        "drain_one_core_s": max(max(drain_seconds(n, allowed, args.window_s, core_saves)
                                    for n in per_platform.values()), args.presaves / core_saves),
        "redis_ops_s": rate * save["redis_ops"] + pages_s * fast["redis_ops"],
        "pg_rows_s": rate * save.get("pg_rows", float("nan"))
        + events_s * fast.get("pg_rows", float("nan")),
        "pages_s": pages_s, "web_cores": web_cores, "events_s": events_s,
        "ingest_cores": ingest_cores, "messages": messages,
        "messages_core_s": messages * figures["message"]["worker_ms"] / 1000,
    }


def hms(seconds):
    if seconds != seconds:
        return "-"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def report(args, figures):
    save, fast, full, message = (figures[k] for k in ("save", "page_fast", "page_full", "message"))
    say(f"measured on {figures['machine']}, measuring runs on {figures['db']}")
    say(f"save: rq workers {save['worker_ms']:.2f} ms CPU per delivered save ({save['n']} saves, "
        f"{save['rate']:.0f}/s); baseline: bare aiohttp client {save['bare_client_ms']:.2f} ms per "
        f"call ({save['ceiling']:.0f} calls/s); the stand-in platform {save['platform_ms']:.2f} ms")
    say(f"save: Redis {save['redis_ops']:.2f} commands (measured; the stand-in's own "
        f"{save['sandbox_redis_ops']:.2f} left out), top {save['redis_by_command']}")
    if "pg_rows" in save:
        say(f"save: PostgreSQL {save['pg_rows']:.2f} rows written (measured), {save['pg_by_table']}")
    for lane, page in (("fast lane", fast), ("full path", full)):
        say(f"page, {lane}: gunicorn {page['server_ms']:.2f} ms CPU per page ({page['rps']:.0f}/s); "
            f"baseline: bare Flask page {page['bare_ms']:.2f} ms ({page['ceiling_rps']:.0f}/s); "
            f"Redis {page['redis_ops']:.2f} commands per page (measured)")
    say(f"event: rq worker {fast['drain_ms']:.2f} ms CPU per event ingested "
        f"({fast['events']} events = {fast['requests']} requests)"
        + (f"; PostgreSQL {fast['pg_rows']:.2f} rows per event (measured), {fast['pg_by_table']}"
           if "pg_rows" in fast else ""))
    say(f"message: rq workers {message['worker_ms']:.2f} ms CPU per message ({message['n']} sent, "
        f"{message['rate']:.0f}/s; baseline: bare aiosmtplib {message['baseline']:.0f}/s); "
        f"Redis {message['redis_ops']:.2f} commands"
        + (f", PostgreSQL {message['pg_rows']:.2f} rows per message" if "pg_rows" in message else ""))
    print("\nOne core does:")
    for what, rate in per_core(figures).items():
        print(f"  {what:34} {rate:8.0f}")
    shares = ", ".join(f"{k} {v:g}" for k, v in args.share.items())
    print(f"\nRelease night: {args.presaves:,} pre-saves due at one midnight ({shares}); "
          f"{args.apps} app(s) per platform, window {args.window_s:g} s; a core {args.busy:.0%} busy; "
          f"{args.cores} cores per worker machine; page peak: {args.page_views_per_presave:.1f} views "
          f"per pre-save, {args.peak_hour_share:.0%} in the busiest hour, "
          f"{args.full_path_share:.0%} on the full path")
    print("| limit/s per app | drain | saves/s | worker cores (machines) | drain on 1 core | "
          "Redis cmds/s | PG rows/s | page peak/s | web cores | ingest cores | "
          "'it's out' messages (core-s) |")
    rows = [release_night(args, figures, limit) for limit in args.rate_limit]
    for m in rows:
        print(f"| {m['limit']:g} | {hms(m['drain_s'])} | {m['calls_s']:.0f} | "
              f"{m['worker_cores']} ({m['worker_machines']}) | {hms(m['drain_one_core_s'])} | "
              f"{m['redis_ops_s']:.0f} | {m['pg_rows_s']:.0f} | {m['pages_s']:.0f} | "
              f"{m['web_cores']} | {m['ingest_cores']} | {m['messages']:,.0f} ({m['messages_core_s']:.0f}) |")
    for m in rows:
        print(f"capacity: presaves={args.presaves} limit_rps={m['limit']:g} drain_s={m['drain_s']:.0f} "
              f"bound={m['bound'].replace(' ', '_')} worker_cores={m['worker_cores']} "
              f"redis_ops_s={m['redis_ops_s']:.0f} pg_rows_s={m['pg_rows_s']:.0f}", flush=True)


def check(args, figures):
    """bench/release_night.py at each rate limit beside the model's drain time."""
    save = figures["save"]
    # On this machine the workers and the stand-in platform share its cores.
    capacity = args.machine_cores * 1000 / (save["worker_ms"] + save["platform_ms"])
    results = []
    for limit in args.rate_limit:
        n = args.check_n or int(2 * limit * args.window_s)
        lines, _ = run_bench("release_night", ["--n", str(n), "--limit-rps", f"{limit:g}",
                                               "--window-s", f"{args.window_s:g}",
                                               "--workers", str(args.check_workers)],
                             os.environ.copy(), {})
        measured = find(lines, r"^release_night: .* all_done_s=(\S+)")
        predicted = drain_seconds(n, limit, args.window_s, capacity)
        results.append((n, limit, predicted, measured, n / limit))
    print(f"\nCheck (bench/release_night.py, {args.check_workers} rq workers; the model's capacity "
          f"{capacity:.0f} saves/s = {args.machine_cores:g} cores / (worker + stand-in CPU per save)):")
    print("| saves | limit/s | window | predicted drain | measured drain | measured / predicted | N / L |")
    for n, limit, predicted, measured, naive in results:
        print(f"| {n} | {limit:g} | {args.window_s:g} s | {predicted:.0f} s | {measured:.0f} s | "
              f"{measured / predicted:.2f} | {naive:.0f} s |")
    for n, limit, predicted, measured, _ in results:
        print(f"capacity_check: saves={n} limit_rps={limit:g} predicted_s={predicted:.0f} "
              f"measured_s={measured:.0f} ratio={measured / predicted:.2f}", flush=True)


def main():
    args = parse_args()
    if args.figures:
        figures = json.loads(Path(args.figures).read_text())
    else:
        workdir = Path(tempfile.mkdtemp(prefix="presave-capacity-"))
        try:
            figures = measure(args, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if args.save:
            Path(args.save).write_text(json.dumps(figures, indent=1))
    report(args, figures)
    if args.check:
        check(args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
