"""A blast at scale, beside a bare SMTP client. Run by hand, never by the test suite.

    python bench/blast.py [--quick] [--n N] [--db sqlite|postgres] [--workers K]
                          [--concurrency C]

What it does, in one run:

1. A private world (bench/harness.py): its own instance folder, a fresh database (a SQLite
   file, or a PostgreSQL schema of its own) and a private Redis database number.
2. A sink: a real SMTP server (aiosmtpd) in a process of its own on a free port, that
   accepts every message and keeps none.
3. N fans with an email and the artist's email-marketing consent, and a blast to all of them
   (N queued ledger rows), made in bulk with Core inserts.
4. The baseline: a bare aiosmtplib client sends N messages of the same size (the blast's
   words, rendered for one fan, addressed to each) to the same sink over the same number of
   connections (C x K), with no Presave code; measured before and again after the blast
   (other load on the machine drifts), the ratio against their mean.
5. The blast with the real worker code: K `rq worker` processes (the production command line,
   PresaveWorker) run app.jobs.messages.send_batch, enqueued as the reconciler does (again
   whenever the queue is empty and rows are still queued); timed from the first enqueue to
   the last outcome written.

Its last line is exactly:
blast: recipients=<N> seconds=<T> rate=<msgs/s> baseline=<msgs/s> ratio=<rate/baseline> rss_mb=<peak worker RSS>
"""
import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.harness import (Children, bench_app, free_port, new_artist, run_in_workdir,  # noqa: E402
                          say, start_rq_workers)
from bench.release_day import RssWatch, cpu_seconds  # noqa: E402

CHUNK = 5000
POLL = 2.0  # seconds between two looks at the rows left (each look is a query of its own)
SUBJECT = "On tour this spring, {fan_first_name}"
BODY = ("Hi {fan_first_name},\n\n{artist_name} plays twelve cities this spring, and fans who "
        "pre-saved get tickets first. The dates, the cities and the link to the presale are on "
        "the page:\n{fan_page_url}\n\nSee you there.\n")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=None, help="recipients (default 100000)")
    parser.add_argument("--quick", action="store_true", help="10000 recipients")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="rq worker processes")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="SMTP connections per worker (SMTP_CONCURRENCY)")
    parser.add_argument("--timeout", type=float, default=3600, help="give up after this many s")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and schema")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)  # the sink process itself
    args = parser.parse_args()
    args.n = args.n or (10000 if args.quick else 100000)
    return args


# --- the sink ------------------------------------------------------------------------------

def serve_sink(port):
    """An SMTP server that says yes to everything and keeps nothing (a process of its own)."""
    import signal
    import threading

    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    print("sink ready", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


# --- seeding -------------------------------------------------------------------------------

def seed(app, n):
    """An artist, n fans who agreed to its emails, and a blast to them; (label_id, message_id,
    one rendered message's subject and text and HTML)."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.messaging import blasts
    from app.messaging.segments import Segment
    from app.models import Consent, Fan, Message
    from app.tenants.context import Scope, scoped

    now = datetime.now(timezone.utc)
    with app.app_context(), scoped(Scope.platform("bench:seed")):
        artist = new_artist(db)
        db.session.commit()
        label_id, artist_id = artist.label_id, artist.id
        for start in range(0, n, CHUNK):
            count = min(CHUNK, n - start)
            fans = db.session.execute(insert(Fan).returning(Fan.id), [
                {"label_id": label_id, "artist_id": artist_id, "name": f"Fan {start + i}",
                 "email": f"fan{start + i}-{uuid.uuid4().hex[:6]}@bench.example",
                 "created_at": now} for i in range(count)]).scalars().all()
            db.session.execute(insert(Consent), [
                {"label_id": label_id, "artist_id": artist_id, "fan_id": fan_id,
                 "purpose": "email_marketing", "wording": "News from the artist",
                 "given_at": now} for fan_id in fans])
            db.session.commit()
        message, queued = blasts.create(label_id, Segment(artist_id=artist_id), "Bench blast",
                                        SUBJECT, BODY, None)
        db.session.commit()
        assert queued == n, queued
        message_id = message.id
        sample = db.session.scalars(select(Fan).where(Fan.artist_id == artist_id)).first()
        words = _rendered(app, db.session.get(Message, message_id), sample)
    return label_id, message_id, words


def _rendered(app, message, fan):
    from app.jobs.messages import merge_fields
    from app.messaging.compose import compose
    from app.messaging.reminder import fan_me_url

    fields = merge_fields(message.artist, None, fan, None, None, fan_me_url(message.artist))
    return compose(message, "email", fan.email, fields, me_url=fan_me_url(message.artist))


# --- the baseline --------------------------------------------------------------------------

async def bare_sends(port, emails, connections):
    """Send every email to the sink over ``connections`` aiosmtplib connections."""
    import aiosmtplib

    queue = asyncio.Queue()
    for email in emails:
        queue.put_nowait(email)

    async def lane():
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await smtp.connect()
        while not queue.empty():
            await smtp.send_message(queue.get_nowait())
        await smtp.quit()

    await asyncio.gather(*(lane() for _ in range(connections)))


def measure_baseline(port, words, n, connections):
    """Messages per second of the bare client: the same message, each to its own address."""
    from app.messaging.reminder import Message
    from app.messaging.smtp import build_email

    emails = [build_email("Bench <bench@bench.example>", Message(
        "email", f"fan{i}@bench.example", words.subject, words.text, words.unsubscribe_url,
        html=words.html, one_click=True)) for i in range(n)]
    started = time.perf_counter()
    asyncio.run(bare_sends(port, emails, connections))
    return n / (time.perf_counter() - started)


# --- the blast -----------------------------------------------------------------------------

def unfinished(app, message_id):
    """{state: count} of the blast's queued and in-progress rows (read off the index on
    message and state, so watching costs the workers little)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import MessageRecipient
    from app.tenants.context import Scope, scoped

    with app.app_context(), scoped(Scope.platform("bench:count")):
        found = dict(db.session.execute(
            select(MessageRecipient.state, func.count()).where(
                MessageRecipient.message_id == message_id,
                MessageRecipient.state.in_(("queued", "in_progress")))
            .group_by(MessageRecipient.state)).all())
        db.session.remove()
    return found


def states(app, message_id):
    """{state: count} of the blast's rows, and the last outcome's time (once, at the end)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import MessageRecipient
    from app.tenants.context import Scope, scoped

    with app.app_context(), scoped(Scope.platform("bench:count")):
        found = dict(db.session.execute(
            select(MessageRecipient.state, func.count()).where(
                MessageRecipient.message_id == message_id)
            .group_by(MessageRecipient.state)).all())
        last = db.session.scalar(select(func.max(MessageRecipient.updated_at)).where(
            MessageRecipient.message_id == message_id, MessageRecipient.state != "queued"))
        db.session.remove()
    return found, last


def main():
    args = parse_args()
    if args.sink:
        return serve_sink(args.sink)
    return run_in_workdir(lambda workdir, cleanups: run(args, workdir, cleanups),
                          "presave-bench-blast-", keep=args.keep)


def run(args, workdir, cleanups):
    sink_port, connections = free_port(), args.concurrency * args.workers
    app, redis_url, schema = bench_app(
        args.db, workdir, cleanups, keep=args.keep, SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(sink_port), SMTP_STARTTLS="false", MAIL_FROM="Bench <bench@bench.example>",
        SMTP_CONCURRENCY=str(args.concurrency))
    children = Children(workdir)
    cleanups.append(children.stop)
    say(f"n={args.n} db={args.db}{f' (schema {schema})' if schema else ''} redis={redis_url} "
        f"workers={args.workers} connections={connections} instance={workdir}")
    sink = children.start("sink", [sys.executable, __file__, "--sink", str(sink_port)],
                          os.environ.copy())
    _wait_for_port(sink_port, sink)

    started = time.monotonic()
    label_id, message_id, words = seed(app, args.n)
    say(f"seeded {args.n} fans and their rows in {time.monotonic() - started:.1f} s")
    if args.db == "postgres":
        from sqlalchemy import text

        from app.extensions import db

        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))

    baselines = [measure_baseline(sink_port, words, args.n, connections)]
    say(f"baseline before: {baselines[0]:.0f} msgs/s")

    from app.embedded.supervisor import commands
    from app.extensions import queue
    from app.jobs.messages import QUEUE, send_batch

    pids = start_rq_workers(children, app, commands(redis_url, "127.0.0.1", free_port())["worker"],
                            args.workers, os.environ.copy())
    watch = RssWatch(pids)
    watch.start()
    worker_cpu = cpu_seconds(pids, True)
    t0, rounds = datetime.now(timezone.utc), 0
    deadline = time.monotonic() + args.timeout
    while True:
        found = unfinished(app, message_id)
        queued = found.get("queued", 0)
        with app.app_context():
            waiting = queue(QUEUE).count
            if queued and not waiting:  # as the reconciler does each minute, without the wait
                rounds += 1
                for k in range(args.workers):
                    queue(QUEUE).enqueue(send_batch, label_id, message_id, result_ttl=0,
                                         job_id=f"message-{message_id}-bench-{rounds}-{k}")
        elapsed = (datetime.now(timezone.utc) - t0).total_seconds()
        done = args.n - queued - found.get("in_progress", 0)
        say(f"{elapsed:6.1f} s  {done} done, {found}  {done / max(elapsed, 1e-9):.0f}/s  "
            f"rss {watch.peak / 2**20:.0f} MB")
        children.check()
        if done >= args.n or time.monotonic() > deadline:
            break
        time.sleep(POLL)
    watch.running = False
    watch.join()
    worker_cpu = cpu_seconds(pids, True) - worker_cpu
    found, last = states(app, message_id)
    seconds = (last - t0).total_seconds() if last else elapsed
    sent = found.get("sent", 0)
    if sent != args.n:
        say(f"NOT all sent: {found}")
    say(f"blast CPU per message: rq workers {worker_cpu / max(sent, 1) * 1000:.2f} ms")
    baselines.append(measure_baseline(sink_port, words, args.n, connections))
    baseline = sum(baselines) / len(baselines)
    rate = sent / seconds
    say(f"baseline (bare aiosmtplib, same messages, {connections} connections): {baseline:.0f} "
        f"msgs/s (mean of {baselines[0]:.0f} before and {baselines[1]:.0f} after the blast)")
    print(f"blast: recipients={sent} seconds={seconds:.2f} rate={rate:.0f} "
          f"baseline={baseline:.0f} ratio={rate / baseline:.2f} "
          f"rss_mb={watch.peak / 2**20:.0f}", flush=True)
    return 0 if sent == args.n else 1


def _wait_for_port(port, proc, timeout=30):
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the SMTP sink did not start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the SMTP sink did not answer")


if __name__ == "__main__":
    sys.exit(main())
