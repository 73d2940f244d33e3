"""Redis through Sentinel, and a failover in the middle of release day.

A real Sentinel set-up on loopback ports (tests/sentinel_set.py): a master and a replica
(Debian's redis-server, no persistence) and three redis-sentinel processes. Every process
finds Redis through the Sentinels alone (REDIS_SENTINELS, no REDIS_URL): gunicorn serving the
app and the sandbox, two `rq worker` processes with the production command line
(`-c app.jobs.rq_settings` in place of `--url`), and the test's own app. Release day runs for
2,000 pre-saves; when a quarter have an outcome, the master is SIGKILLed and Sentinel promotes
the replica. The reconciler runs in-process as the minute cron would (every 2 s here).

Checked: every pre-save ends delivered or failed with a reason, none is sent more than twice,
the web never answers 500 (a fan page and /health probed every 50 ms). Measured and printed,
not asserted: the window of 503s, and how many acknowledged stream entries the failover lost
(the analytics stream's risk: what the old master had not yet passed to the replica).
"""
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from redis.exceptions import RedisError
from sqlalchemy import delete, func, select, update

from app import create_app, redis_ha
from app.extensions import db
from app.jobs.lifecycle import reconcile
from app.localtime import frozen, now_utc
from app.models import Artist, Authorization, Label, PreSave, Release
from app.models.presave import DELIVERED, FAILED, IN_PROGRESS, PENDING
from app.sandbox import state
from app.tenants.context import Scope, scoped
from bench.fleet import Fleet
from bench.harness import free_port
from bench.release_day import release_now, seed
from tests.failover_probes import StreamWriter, WebProbe
from tests.fan_journey import start
from tests.release_day_runs import ledger_counts
from tests.sentinel_set import MASTER_NAME, SentinelSet, wait_for

N, WORKERS = 2000, 2
KILL_AT = 0.25  # share of rows with an outcome when the master is killed
RECONCILE_EVERY = 2.0  # seconds: the cron's minute, shortened
STUCK = 30  # seconds without any outcome while rows are leased: their worker lost them
GIVE_UP = 300  # seconds: a guard against a hang, not a timing assertion


@pytest.fixture
def sentinels(tmp_path):
    with SentinelSet(tmp_path) as ha:
        yield ha


def sentinel_settings(ha, master=MASTER_NAME):
    return {"REDIS_SENTINELS": ha.sentinels, "REDIS_SENTINEL_MASTER": master}


def test_sign_in_without_a_master_is_a_page_not_a_500(app, sentinels, active_release):
    """No master known (what every process sees between the master's death and the
    promotion): the sign-in says so with a 503 page; the fan page itself still shows."""
    slug = active_release()
    lost = create_app("config.TestConfig", REDIS_URL=None,
                      **sentinel_settings(sentinels, master="no-such-master"))
    client = lost.test_client()
    started = time.monotonic()
    assert client.get(f"/s/aurora-vale/{slug}").status_code == 200
    answer = start(client, slug, email=f"fan-{uuid.uuid4().hex[:8]}@example.com")
    assert answer.status_code == 503, answer.get_data(as_text=True)[:500]
    assert "couldn't reach our sign-in service" in answer.get_data(as_text=True).replace("&#39;", "'")
    assert answer.headers["Retry-After"]
    with client.session_transaction() as session:
        session["visitor"] = "v-" + uuid.uuid4().hex
    callback = client.get("/s/_auth/spotify/callback?state=abc&code=xyz")
    assert callback.status_code == 503
    assert "sign-in service" in callback.get_data(as_text=True)
    assert client.get("/health").status_code == 503
    print(f"\nfour requests without a master answered in {time.monotonic() - started:.1f} s")


def test_release_day_survives_a_redis_failover(app, sentinels, tmp_path):
    ha = sentinels
    port = free_port()
    settings = sentinel_settings(ha)
    fleet = Fleet(tmp_path, "", port, **settings)
    fleet.env.pop("REDIS_URL")  # the Sentinels alone say where Redis is
    worker = fleet.argv["worker"]
    at = worker.index("--url")
    worker[at:at + 2] = ["-c", "app.jobs.rq_settings"]  # README "Redis high availability"
    ours = create_app("config.TestConfig", REDIS_URL=None, SANDBOX_IN_PROCESS=False,
                      PUBLIC_BASE_URL=fleet.base_url, **settings)
    label_id = None
    try:
        label_id, release_id, _, isrc = seed(ours, N)
        fleet.serve()
        _run(ours, fleet, ha, label_id, release_id, isrc)
    finally:
        fleet.stop()
        with ours.app_context():
            if label_id is not None:
                _forget_label(label_id)
            db.engine.dispose()


def _run(app, fleet, ha, label_id, release_id, isrc):
    track = uuid.uuid4().hex[:22]
    with app.app_context():
        state.add_catalog_item("spotify", isrc=isrc, id=track, title="Failover Single")
        page = f"/s/{_artist_slug(release_id)}/bench-single"
    release_now(app, release_id)
    with app.app_context():
        assert reconcile(label_id)["released"] == 1

    web = WebProbe(fleet.base_url, [page, "/health"])
    web.start()
    writer = StreamWriter(redis_ha.connect(app.config))
    fleet.start_workers(WORKERS)
    killed_at, promoted_at, restarts = None, None, 0
    started = time.monotonic()
    last_reconcile = last_said = last_progress = 0.0
    final_before = -1
    while True:
        ledger = ledger_counts(app, release_id)
        now = time.monotonic()
        if now - last_said > 5:
            print(f"{now - started:5.0f} s  {ledger}", flush=True)
            last_said = now
        if ledger["open"] == 0:
            break
        assert now - started < GIVE_UP, f"no end in sight: {ledger}; logs in {fleet.children.logdir}"
        if ledger["final"] != final_before:
            final_before, last_progress = ledger["final"], now
        for name in fleet.dead():  # systemd's Restart=always would start it again
            restarts += 1
            print(f"{name} stopped: started again, as Restart=always would", flush=True)
            _restart(fleet, name)
        if killed_at is None and ledger["final"] >= KILL_AT * N and ledger["in_progress"]:
            writer.start()
            wait_for(lambda: len(writer.acknowledged) >= 1000, "stream writes under way")
            ha.kill_master()
            killed_at = time.monotonic()
            print(f"master SIGKILLed with {ledger['final']} outcomes", flush=True)
            ha.wait_promoted()
            promoted_at = time.monotonic()
            print(f"replica promoted {promoted_at - killed_at:.1f} s after the kill", flush=True)
            writer.halt.set()
            writer.join()
        elif now - last_reconcile > RECONCILE_EVERY:
            _reconcile(app, label_id, release_id, stuck=now - last_progress > STUCK)
            last_reconcile = time.monotonic()
        time.sleep(0.3)
    web.stop()
    took = time.monotonic() - started
    fleet.kill_workers()
    _check(app, release_id, track, web, writer, killed_at, promoted_at, restarts, took)


def _check(app, release_id, track, web, writer, killed_at, promoted_at, restarts, took):
    with app.app_context(), scoped(Scope.platform("test")):
        rows = db.session.execute(
            select(PreSave.state, PreSave.last_error, Authorization.platform_user_id)
            .join(Authorization, Authorization.id == PreSave.authorization_id)
            .where(PreSave.release_id == release_id)).all()
        sends = Counter(s["user"] for s in state.saves("spotify") if s["id"] == track)
        lost = writer.lost(redis_ha.connect(app.config))
        db.session.remove()
    outcomes = Counter(row.state for row in rows)
    statuses = Counter(status for _, _, status in web.answers)
    refused = Counter(path for _, path, status in web.answers if status != 200)
    window = web.refused_window(killed_at)
    print(f"\nrelease day for {N} pre-saves on {WORKERS} workers: {took:.0f} s; {dict(outcomes)}; "
          f"workers restarted: {restarts}")
    print(f"promotion: {promoted_at - killed_at:.1f} s after the SIGKILL")
    print(f"web: {len(web.answers)} answers, {dict(statuses)}; not 200: {dict(refused)}")
    if window:
        first, length, count = window
        print(f"503 window: first {first:.2f} s after the kill, lasting {length:.2f} s "
              f"({count} answers)")
    else:
        print("503 window: none (every answer 200)")
    acked_last_second = sum(1 for at, _ in writer.acknowledged if at > killed_at - 1)
    span = (max(at for at, _ in lost) - min(at for at, _ in lost)) * 1000 if lost else 0
    print(f"stream: {len(writer.acknowledged)} entries acknowledged before the kill "
          f"({acked_last_second} in its last second), {len(lost)} lost in the failover "
          f"(the last {span:.0f} ms of writes)")
    print(f"saves sent: {sum(sends.values())} to {len(sends)} fans, "
          f"twice: {sum(1 for c in sends.values() if c == 2)}")

    assert len(rows) == N
    assert set(outcomes) <= {DELIVERED, FAILED}
    assert all(row.last_error for row in rows if row.state == FAILED)
    assert max(sends.values()) <= 2
    assert not {row.platform_user_id for row in rows if row.state == DELIVERED} - set(sends) \
        or len(lost) > 0  # a save the platform got may be missing only from what Redis lost
    assert statuses[500] == 0 and statuses[0] == 0  # no 500, no refused connection
    assert set(statuses) <= {200, 503}


def _restart(fleet, name):
    proc = fleet.children.start(f"{name}-again", fleet.argv["worker"], fleet.env)
    old = fleet.children.procs.pop(name)
    fleet.workers = [proc if p is old else p for p in fleet.workers]


def _reconcile(app, label_id, release_id, stuck):
    """The minute cron's run; a Redis error fails this run only, as it would the cron's job.
    ``stuck``: the clock has passed the leases a worker lost; nothing else is due: the back-offs
    are over (as if the clock had jumped past them)."""
    with app.app_context(), scoped(Scope.platform("test")):
        try:
            if stuck:
                held = db.session.scalars(select(PreSave.leased_until).where(
                    PreSave.release_id == release_id, PreSave.state == IN_PROGRESS)).all()
                if held:
                    with frozen(max(held) + timedelta(seconds=1)):
                        print(f"{reconcile(label_id)['leases_recovered']} stranded leases returned",
                              flush=True)
            _skip_idle_waits(release_id)
            reconcile(label_id)
        except RedisError as exc:
            print(f"reconciler: {type(exc).__name__}, next run in {RECONCILE_EVERY} s", flush=True)
            db.session.rollback()
        finally:
            db.session.remove()


def _skip_idle_waits(release_id):
    now = now_utc()
    busy = db.session.scalar(select(func.count()).select_from(PreSave).where(
        PreSave.release_id == release_id,
        (PreSave.state == IN_PROGRESS) | ((PreSave.state == PENDING) & (PreSave.next_attempt_at <= now))))
    if not busy:
        db.session.execute(update(PreSave).where(PreSave.release_id == release_id,
                                                 PreSave.state == PENDING)
                           .values(next_attempt_at=now).execution_options(synchronize_session=False))
        db.session.commit()


def _artist_slug(release_id):
    with scoped(Scope.platform("test")):
        release = db.session.get(Release, release_id)
        return db.session.get(Artist, release.artist_id).slug


def _forget_label(label_id):
    with scoped(Scope.platform("test")):
        db.session.execute(delete(Label).where(Label.id == label_id))
        db.session.commit()
        db.session.remove()
