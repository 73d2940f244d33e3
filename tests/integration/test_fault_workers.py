"""Release day under faults, on four real `rq worker` processes killed twice mid-run.

The production pieces, each in its own process: gunicorn serves the app and the
sandbox over HTTP (bench/fleet.py, the command lines of app.embedded.supervisor); four
`rq worker --worker-class app.jobs.worker.PresaveWorker` share 5000 pending
pre-saves. The sandbox answers 10 % of calls with 503 and every call of the first
second of each 10 with 429 and Retry-After; 5 % of the fans' access tokens have
expired and 1 % of the grants are revoked. Twice, every worker is killed with
SIGKILL (work horses included) while batches hold leases; the reconciler, run as
the cron runs it once the clock has passed those leases, returns the stranded rows,
and four new workers carry on.

The workers read the real clock, so the test stands in for the clock where the
engine would wait a long time: when every remaining row waits for its back-off and
none is in progress, those waits end now (as if the clock had jumped past them). PostgreSQL only (SKIP LOCKED leases shared by four processes); CI runs the
suite on PostgreSQL with a real Redis.
"""
import os
import random
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from app.crypto import keyring
from app.extensions import db
from app.jobs.lifecycle import reconcile
from app.jobs.outcomes import REVOKED_REASON
from app.localtime import frozen, now_utc
from app.models import Authorization, Label, PreSave
from app.models.presave import DELIVERED, FAILED, IN_PROGRESS, PENDING
from app.sandbox import state
from app.tenants.context import Scope, scoped
from bench.fleet import Fleet
from bench.harness import free_port
from bench.release_day import release_now, seed
from tests.release_day_runs import ledger_counts
from tests.support import claim_database_number

N, WORKERS = 5000, 4
EXPIRED_SHARE, REVOKED_SHARE = 0.05, 0.01
FAULTS = {"rate_5xx": 0.1, "burst_every_s": 10, "burst_for_s": 1}
KILL_AT = (0.2, 0.5)  # share of rows with an outcome when the workers are killed
RECONCILE_EVERY = 2.0  # seconds: the cron's minute, shortened
GIVE_UP = 600  # seconds: a guard against a hang, not a timing assertion

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"),
    reason="needs PostgreSQL and a Redis server (DATABASE_URL, REDIS_URL): four worker processes "
           "share the rows through FOR UPDATE SKIP LOCKED; CI's second run has both")


@pytest.fixture
def world(app, tmp_path):
    """An app of its own on a private Redis database (its queues hold nothing of other
    tests), the same database; gunicorn serving it; the seeded release. Cleaned up after."""
    from app import create_app

    redis_url, release_redis = claim_database_number(os.environ["REDIS_URL"], range(1, 16),
                                                     owner="fault-workers")
    port = free_port()
    fleet = Fleet(tmp_path, redis_url, port)
    ours = create_app("config.TestConfig", REDIS_URL=redis_url, SANDBOX_IN_PROCESS=False,
                      PUBLIC_BASE_URL=fleet.base_url)
    label_id = None
    try:
        label_id, release_id, tokens, isrc = seed(ours, N)
        fleet.serve()
        yield ours, fleet, label_id, release_id, tokens, isrc
    finally:
        fleet.stop()
        with ours.app_context():
            if label_id is not None:
                _forget_label(label_id)
            db.engine.dispose()
        release_redis()


def test_release_day_survives_faults_and_killed_workers(world):
    app, fleet, label_id, release_id, tokens, isrc = world
    track = uuid.uuid4().hex[:22]
    with app.app_context():
        state.add_catalog_item("spotify", isrc=isrc, id=track, title="Fault Single")
        expired, revoked = _spoil_grants(release_id, tokens)
        state.set_faults("spotify", **FAULTS)
    release_now(app, release_id)
    with app.app_context():
        assert reconcile(label_id)["released"] == 1  # the cron's minute hands over to release day

    fleet.start_workers(WORKERS)
    lost = _run_with_kills(app, fleet, label_id, release_id)
    fleet.kill_workers()

    with app.app_context(), scoped(Scope.platform("test")):
        rows = db.session.execute(
            select(PreSave.id, PreSave.state, PreSave.last_error, Authorization.platform_user_id,
                   Authorization.state.label("grant"))
            .join(Authorization, Authorization.id == PreSave.authorization_id)
            .where(PreSave.release_id == release_id)).all()
        sends = Counter(s["user"] for s in state.saves("spotify") if s["id"] == track)
        injected = state.injected("spotify")
        refreshes = state.token_calls("spotify")

    assert len(rows) == N
    assert Counter(row.state for row in rows).keys() <= {DELIVERED, FAILED}
    assert all(row.last_error for row in rows if row.state == FAILED)
    delivered = {row.platform_user_id for row in rows if row.state == DELIVERED}
    assert set(sends) == delivered  # the platform holds exactly the delivered ones
    # A save is repeated only when its outcome went with a killed worker, once per lease lost.
    losses = Counter(row.platform_user_id for row in rows for held in lost if row.id in held)
    assert all(count <= 1 + losses[user] for user, count in sends.items())
    assert max(sends.values()) <= 2
    failed = {row.platform_user_id: row for row in rows if row.state == FAILED}
    assert set(failed) == revoked
    assert {(row.last_error, row.grant) for row in failed.values()} == {
        (REVOKED_REASON, "revoked")}
    # The faults and kills really happened.
    assert len(lost) == 2 and all(lost)
    assert injected.get("rate_5xx", 0) > 0 and injected.get("burst_429", 0) > 0
    assert refreshes >= len(expired)  # each expired token was refreshed


def _spoil_grants(release_id, tokens):
    """Expire 5 % of the fans' access tokens and revoke 1 % of the grants, in the sandbox
    only (the database still believes them good); the platform user ids of each."""
    with scoped(Scope.platform("test")):
        grants = db.session.scalars(
            select(Authorization).join(PreSave, PreSave.authorization_id == Authorization.id)
            .where(PreSave.release_id == release_id).order_by(Authorization.id)).all()
        rng = random.Random(20261125)
        chosen = rng.sample(range(N), int(N * (EXPIRED_SHARE + REVOKED_SHARE)))
        revoked, expired = chosen[:int(N * REVOKED_SHARE)], chosen[int(N * REVOKED_SHARE):]
        for n in expired:  # seed() made the tokens in the order of the grants
            state.expire_tokens("spotify", access_token=tokens[n])
        for n in revoked:  # the fan removed the app: the whole grant, refresh token included
            state.revoke_tokens("spotify", refresh_token=grants[n].refresh_token(keyring()))
        users = {n: grants[n].platform_user_id for n in chosen}
        db.session.remove()
    return {users[n] for n in expired}, {users[n] for n in revoked}


def _run_with_kills(app, fleet, label_id, release_id):
    """Drive the run to its end as the cron and the clock would, killing the workers twice;
    the ids of the rows each kill stranded.

    Rows stranded by a kill wait (as in a back-off) until the last kill is over, so no fan
    loses two leases: each save is repeated at most once."""
    lost, parked = [], set()
    started = time.monotonic()
    deadline = started + GIVE_UP
    last_reconcile = last_said = 0.0
    while True:
        ledger = ledger_counts(app, release_id)
        if time.monotonic() - last_said > 5:  # shown when the test fails
            print(f"{time.monotonic() - started:5.0f} s  {ledger}", flush=True)
            last_said = time.monotonic()
        if ledger["open"] == 0:
            return lost
        assert time.monotonic() < deadline, f"no end in sight: {ledger}"
        assert not fleet.dead(), f"{fleet.dead()} stopped; logs in {fleet.children.logdir}"
        if len(lost) < len(KILL_AT) and ledger["final"] >= KILL_AT[len(lost)] * N \
                and ledger["in_progress"] and _none_in_flight(app, lost):
            lost.append(_kill_and_recover(app, fleet, label_id, release_id))
            print(f"killed every worker; {len(lost[-1])} rows returned to pending", flush=True)
            parked |= lost[-1]
            if len(lost) == len(KILL_AT) or not ledger["in_progress"]:
                _due_now(app, parked)
                parked = set()
            else:
                _due_later(app, parked)
        elif time.monotonic() - last_reconcile > RECONCILE_EVERY:
            if _skip_idle_waits(app, release_id, parked) and parked:
                _due_now(app, parked)  # nothing else left to kill in: let them go
                parked = set()
            with app.app_context():
                reconcile(label_id)
            last_reconcile = time.monotonic()
        time.sleep(0.3)


def _due_later(app, ids):
    _set_next_attempt(app, ids, now_utc() + timedelta(days=1))


def _due_now(app, ids):
    _set_next_attempt(app, ids, now_utc())


def _set_next_attempt(app, ids, when):
    with app.app_context(), scoped(Scope.platform("test")):
        db.session.execute(update(PreSave).where(PreSave.id.in_(ids), PreSave.state == PENDING)
                           .values(next_attempt_at=when)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        db.session.remove()


def _kill_and_recover(app, fleet, label_id, release_id):
    """SIGKILL every worker mid-batch; once the clock has passed their leases, the
    reconciler returns the rows; new workers start. The ids it returned."""
    fleet.kill_workers()
    with app.app_context(), scoped(Scope.platform("test")):
        held = dict(db.session.execute(
            select(PreSave.id, PreSave.leased_until)
            .where(PreSave.release_id == release_id, PreSave.state == IN_PROGRESS)).all())
        db.session.remove()
    if held:
        with app.app_context(), frozen(max(held.values()) + timedelta(seconds=1)):
            assert reconcile(label_id)["leases_recovered"] >= len(held)
    fleet.start_workers(WORKERS)
    return set(held)


def _none_in_flight(app, lost):
    """No row stranded by an earlier kill is in progress now: so a fan loses at most one
    lease (and its save is repeated at most once)."""
    earlier = set().union(*lost)
    if not earlier:
        return True
    with app.app_context(), scoped(Scope.platform("test")):
        busy = db.session.scalar(select(func.count()).select_from(PreSave).where(
            PreSave.id.in_(earlier), PreSave.state == IN_PROGRESS))
        db.session.remove()
    return busy == 0


def _skip_idle_waits(app, release_id, parked):
    """Nothing in progress and nothing due: the clock jumps past every back-off still to
    run (the parked rows' aside), so every waiting row is due now. True when it jumped."""
    with app.app_context(), scoped(Scope.platform("test")):
        now = now_utc()
        busy = db.session.scalar(select(func.count()).select_from(PreSave).where(
            PreSave.release_id == release_id,
            (PreSave.state == IN_PROGRESS)
            | ((PreSave.state == PENDING) & (PreSave.next_attempt_at <= now))))
        if not busy:
            db.session.execute(
                update(PreSave).where(PreSave.release_id == release_id, PreSave.state == PENDING,
                                      PreSave.id.notin_(parked))
                .values(next_attempt_at=now).execution_options(synchronize_session=False))
            db.session.commit()
        db.session.remove()
    return not busy


def _forget_label(label_id):
    """The seeded label goes, and with it (ON DELETE CASCADE) its 5000 fans and their rows,
    so later tests see the database as before."""
    with scoped(Scope.platform("test")):
        db.session.execute(delete(Label).where(Label.id == label_id))
        db.session.commit()
        db.session.remove()
