"""A blast under faults, on four real `rq worker` processes killed twice mid-send.

20,000 fans who agreed to an artist's emails, 1 % of them on its suppression list; a real SMTP
server (aiosmtpd) that refuses 1 % of the addresses for good (550) and 5 % once for now (451,
then accepts them); four `rq worker --worker-class app.jobs.worker.PresaveWorker` processes
share the blast's rows. Twice, every worker is killed with SIGKILL (work horses included)
while batches hold leases; the reconciler, run as the cron runs it once the clock has passed
those leases, returns the stranded rows, and four new workers carry on. Rows stranded by the
first kill wait until the second is over, so no fan loses two leases.

Afterwards every recipient is sent, bounced, suppressed or failed with a reason; nobody got
the message more than twice (a second copy only for a row whose lease went with a killed
worker); the suppressed and the bounced addresses got nothing. PostgreSQL only (SKIP LOCKED
leases shared by four processes); CI runs the suite on PostgreSQL with a real Redis.
"""
import hashlib
import os
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import StartedJobRegistry
from sqlalchemy import delete, func, insert, select, update

from app.extensions import db, queue, redis_connection
from app.jobs import messages as message_jobs
from app.localtime import frozen, now_utc
from app.messaging import blasts
from app.messaging.segments import Segment
from app.messaging.suppression import address_hash
from app.models import Consent, Fan, Label, MessageRecipient, Suppression
from app.models.message import (BOUNCED, FAILED, IN_PROGRESS, QUEUED, SENT, SUPPRESSED,
                                UNSUBSCRIBED)
from app.tenants.context import Scope, scoped
from bench.fleet import Fleet
from bench.harness import free_port, new_artist
from tests.support import claim_database_number

N, WORKERS = 20000, 4
BOUNCE, DEFER, LISTED = 1, 5, 1  # per cent of the addresses
KILL_AT = (0.2, 0.5)  # share of rows with an outcome when the workers are killed
RECONCILE_EVERY = 2.0  # seconds: the cron's minute, shortened
GIVE_UP = 900  # seconds: a guard against a hang, not a timing assertion

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"),
    reason="needs PostgreSQL and a Redis server (DATABASE_URL, REDIS_URL): four worker processes "
           "share the rows through FOR UPDATE SKIP LOCKED; CI's second run has both")


def share(address):
    """A stable number from 0 to 99 for an address: which fault it meets."""
    return int(hashlib.sha256(address.encode()).hexdigest(), 16) % 100


class FaultySmtp:
    """Refuses 1 % of the addresses for good and 5 % once for now; counts what it accepts."""

    def __init__(self):
        self.received, self.deferred = Counter(), set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        n = share(address)
        if n < BOUNCE:
            return "550 5.1.1 No such user here"
        if n < BOUNCE + DEFER and address not in self.deferred:
            self.deferred.add(address)
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            self.received[address] += 1
        return "250 OK"


@pytest.fixture
def world(app, tmp_path):
    """A private Redis database, the SMTP server, the fans, their blast; cleaned up after."""
    from app import create_app

    redis_url, release_redis = claim_database_number(os.environ["REDIS_URL"], range(1, 16),
                                                     owner="fault-messages")
    smtp, port = FaultySmtp(), free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=port)
    controller.start()
    mail = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false",
            "MAIL_FROM": "Fault Records <news@fault.example>"}
    fleet = Fleet(tmp_path, redis_url, free_port(), **mail)
    ours = create_app("config.TestConfig", REDIS_URL=redis_url,
                      **{**mail, "SMTP_PORT": port, "SMTP_STARTTLS": False})
    label_id = None
    try:
        label_id, message_id, emails, listed = _seed(ours)
        yield ours, fleet, smtp, label_id, message_id, emails, listed
    finally:
        fleet.stop()
        controller.stop()
        with ours.app_context():
            if label_id is not None:
                with scoped(Scope.platform("test")):
                    db.session.execute(delete(Label).where(Label.id == label_id))
                    db.session.commit()
            db.engine.dispose()
        release_redis()


def _seed(app):
    """N fans who agreed to the artist's emails (1 % of them suppressed) and a blast to all;
    (label, message, {fan id: email}, the suppressed emails)."""
    now = now_utc()
    with app.app_context(), scoped(Scope.platform("test")):
        artist = new_artist(db)
        db.session.commit()
        label_id, artist_id = artist.label_id, artist.id
        tag = uuid.uuid4().hex[:6]
        emails = {}
        for start in range(0, N, 5000):
            batch = [f"fan{n}-{tag}@fault.example" for n in range(start, min(N, start + 5000))]
            ids = db.session.execute(insert(Fan).returning(Fan.id), [
                {"label_id": label_id, "artist_id": artist_id, "email": email,
                 "created_at": now} for email in batch]).scalars().all()
            db.session.execute(insert(Consent), [
                {"label_id": label_id, "artist_id": artist_id, "fan_id": fan_id,
                 "purpose": "email_marketing", "wording": "News", "given_at": now}
                for fan_id in ids])
            emails.update(zip(ids, batch))
        listed = {email for email in emails.values() if share(email[::-1]) < LISTED}
        db.session.execute(insert(Suppression), [
            {"label_id": label_id, "artist_id": artist_id, "channel": "email",
             "address_hash": address_hash("email", email), "reason": UNSUBSCRIBED,
             "created_at": now} for email in listed])
        message, queued = blasts.create(label_id, Segment(artist_id=artist_id), "Fault blast",
                                        "News, {fan_first_name}", "Hello from the label.", None)
        db.session.commit()
        assert queued == N
        return label_id, message.id, emails, listed


def test_a_blast_survives_smtp_faults_and_killed_workers(world):
    app, fleet, smtp, label_id, message_id, emails, listed = world
    fleet.start_workers(WORKERS)
    lost = _run_with_kills(app, fleet, label_id, message_id)
    fleet.kill_workers()

    with app.app_context(), scoped(Scope.platform("test")):
        rows = db.session.execute(select(
            MessageRecipient.fan_id, MessageRecipient.id, MessageRecipient.state,
            MessageRecipient.reason).where(MessageRecipient.message_id == message_id)).all()
    assert len(rows) == N
    assert Counter(row.state for row in rows).keys() <= {SENT, BOUNCED, SUPPRESSED, FAILED}
    assert all(row.reason for row in rows if row.state != SENT)
    by_state = {state: {emails[row.fan_id] for row in rows if row.state == state}
                for state in (SENT, BOUNCED, SUPPRESSED, FAILED)}
    assert by_state[SUPPRESSED] == listed and not (listed & set(smtp.received))
    assert by_state[BOUNCED] == {e for e in emails.values() if share(e) < BOUNCE} - listed
    assert not (by_state[BOUNCED] & set(smtp.received))
    assert set(smtp.received) == by_state[SENT]  # the deferred ones went on their second try
    stranded = Counter(emails[row.fan_id] for row in rows for held in lost if row.id in held)
    assert all(count <= 1 + stranded[address] for address, count in smtp.received.items())
    assert max(smtp.received.values()) <= 2
    # The faults and the kills really happened.
    assert len(lost) == 2 and all(lost)
    assert smtp.deferred and by_state[BOUNCED]


def _ledger(app, message_id):
    with app.app_context(), scoped(Scope.platform("test")):
        found = dict(db.session.execute(
            select(MessageRecipient.state, func.count())
            .where(MessageRecipient.message_id == message_id)
            .group_by(MessageRecipient.state)).all())
        db.session.remove()
    found["final"] = N - found.get(QUEUED, 0) - found.get(IN_PROGRESS, 0)
    return found


def _run_with_kills(app, fleet, label_id, message_id):
    """Drive the blast to its end as the cron and the clock would, killing the workers twice;
    the ids of the rows each kill stranded."""
    lost, parked = [], set()
    started = time.monotonic()
    last_reconcile = last_said = 0.0
    while True:
        ledger = _ledger(app, message_id)
        if time.monotonic() - last_said > 5:  # shown when the test fails
            print(f"{time.monotonic() - started:5.0f} s  {ledger}", flush=True)
            last_said = time.monotonic()
        if ledger["final"] == N:
            return lost
        assert time.monotonic() < started + GIVE_UP, f"no end in sight: {ledger}"
        assert not fleet.dead(), f"{fleet.dead()} stopped; logs in {fleet.children.logdir}"
        if len(lost) < len(KILL_AT) and ledger["final"] >= KILL_AT[len(lost)] * N \
                and ledger.get(IN_PROGRESS) and _none_in_flight(app, lost):
            lost.append(_kill_and_recover(app, fleet, message_id))
            print(f"killed every worker; {len(lost[-1])} rows back in the queue", flush=True)
            parked |= lost[-1]
            if len(lost) == len(KILL_AT):
                _set_next_attempt(app, parked, now_utc())
                parked = set()
            else:
                _set_next_attempt(app, parked, now_utc() + timedelta(days=1))
        elif time.monotonic() - last_reconcile > RECONCILE_EVERY:
            _skip_idle_waits(app, message_id, parked)
            with app.app_context(), scoped(Scope.label(label_id, actor="test")):
                message_jobs.RECIPIENTS.recover()
                message_jobs.enqueue_due(now_utc())
                db.session.commit()
                db.session.remove()
            last_reconcile = time.monotonic()
        time.sleep(0.3)


def _kill_and_recover(app, fleet, message_id):
    """SIGKILL every worker mid-batch; once the clock has passed their leases, the rows
    return to the queue; new workers start. The ids returned."""
    fleet.kill_workers()
    with app.app_context(), scoped(Scope.platform("test")):
        held = dict(db.session.execute(
            select(MessageRecipient.id, MessageRecipient.leased_until)
            .where(MessageRecipient.message_id == message_id,
                   MessageRecipient.state == IN_PROGRESS)).all())
        if held:
            with frozen(max(held.values()) + timedelta(seconds=1)):
                assert message_jobs.RECIPIENTS.recover() >= len(held)
            db.session.commit()
        db.session.remove()
    with app.app_context():  # the killed workers' jobs go with them (their ids free again)
        started = StartedJobRegistry(queue=queue(message_jobs.QUEUE))
        for job_id in started.get_job_ids(cleanup=False):
            try:
                Job.fetch(job_id, connection=redis_connection()).delete()
            except NoSuchJobError:
                pass
    fleet.start_workers(WORKERS)
    return set(held)


def _none_in_flight(app, lost):
    earlier = set().union(*lost)
    if not earlier:
        return True
    with app.app_context(), scoped(Scope.platform("test")):
        busy = db.session.scalar(select(func.count()).select_from(MessageRecipient).where(
            MessageRecipient.id.in_(earlier), MessageRecipient.state == IN_PROGRESS))
        db.session.remove()
    return busy == 0


def _set_next_attempt(app, ids, when):
    if not ids:
        return
    with app.app_context(), scoped(Scope.platform("test")):
        db.session.execute(update(MessageRecipient)
                           .where(MessageRecipient.id.in_(ids), MessageRecipient.state == QUEUED)
                           .values(next_attempt_at=when)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        db.session.remove()


def _skip_idle_waits(app, message_id, parked):
    """Nothing in progress and nothing due: the clock jumps past every back-off still to run
    (the parked rows aside)."""
    with app.app_context(), scoped(Scope.platform("test")):
        now = now_utc()
        busy = db.session.scalar(select(func.count()).select_from(MessageRecipient).where(
            MessageRecipient.message_id == message_id,
            (MessageRecipient.state == IN_PROGRESS)
            | ((MessageRecipient.state == QUEUED) & (MessageRecipient.next_attempt_at <= now))))
        if not busy:
            db.session.execute(
                update(MessageRecipient)
                .where(MessageRecipient.message_id == message_id,
                       MessageRecipient.state == QUEUED, MessageRecipient.id.not_in(parked))
                .values(next_attempt_at=now)
                .execution_options(synchronize_session=False))
            db.session.commit()
        db.session.remove()
