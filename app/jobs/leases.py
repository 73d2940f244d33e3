"""Leases on ledger rows (pre-saves, message recipients): who may act on a row, until when,
and conditional outcomes.

A batch claims up to N due rows in one statement (PostgreSQL: the inner SELECT
takes FOR UPDATE SKIP LOCKED, so concurrent batches split the rows; SQLite
serialises writers, so the same UPDATE ... RETURNING is atomic there). Every
outcome is written only while the row is still in progress under the same
lease token, so a row whose lease was recovered and handed to another worker is
never counted twice.

Core statements bypass the tenant hook: every caller names the release or message (and so
the label) explicitly.
"""
import logging
import os
import secrets
import traceback
from datetime import timedelta

from sqlalchemy import bindparam, select, update

from app import after_commit
from app.extensions import db
from app.localtime import now_utc
from app.models import PreSave
from app.models.presave import IN_PROGRESS, PENDING, SAVE

LEASE_SECONDS = 300  # longer than a batch may run (its RQ job_timeout is shorter)
SET_ASIDE = timedelta(hours=1)  # how long a row whose attempt raised waits for another go
log = logging.getLogger(__name__)


class Leases:
    """The leases of one ledger table: a model with state, next_attempt_at, leased_until,
    lease_token and updated_at, whose waiting rows are in state ``waiting``."""

    def __init__(self, model, waiting):
        self.model, self.waiting = model, waiting

    def due(self, now):
        """Waiting rows whose next attempt has come (a row without a time is never due)."""
        return (self.model.state == self.waiting) & (self.model.next_attempt_at <= now)

    def claim(self, conditions, limit, seconds=LEASE_SECONDS):
        """(token, ids, leased_until) for up to ``limit`` due rows that meet ``conditions``,
        now in progress under ``token``, the longest due first."""
        model, now, token = self.model, now_utc(), secrets.token_hex(16)
        until = now + timedelta(seconds=seconds)
        chosen = (select(model.id).where(*conditions, self.due(now))
                  .order_by(model.next_attempt_at, model.id).limit(limit))
        if db.engine.dialect.name == "postgresql":
            chosen = chosen.with_for_update(skip_locked=True)
        # Choose the ids once, then claim them: as a subquery of the UPDATE, PostgreSQL may
        # re-run the LIMIT per outer row on a table without statistics and lease every due row.
        ids = db.session.execute(chosen).scalars().all()
        if not ids:
            return token, [], until
        claimed = db.session.execute(
            update(model)
            .where(model.id.in_(ids), model.state == self.waiting)
            .values(state=IN_PROGRESS, leased_until=until, lease_token=token, updated_at=now)
            .returning(model.id)
            .execution_options(synchronize_session=False)).scalars().all()
        return token, sorted(claimed), until

    def settle_many(self, ids, token, **values):
        """Write the same outcome to those rows that are still ours, in one statement; how
        many."""
        model = self.model
        values.setdefault("updated_at", now_utc())
        result = db.session.execute(
            update(model)
            .where(model.id.in_(ids), model.state == IN_PROGRESS, model.lease_token == token)
            .values(leased_until=None, lease_token=None, **values)
            .execution_options(synchronize_session=False))
        return result.rowcount

    def settle_each(self, token, changes):
        """Write each row's own outcome (dicts of the same columns and its ``id``) where the
        row is still ours under ``token``, in one executemany; how many rows were written."""
        if not changes:
            return 0
        table = self.model.__table__
        columns = [name for name in changes[0] if name != "id"]
        statement = (update(table)
                     .where(table.c.id == bindparam("row_id"), table.c.lease_token == token,
                            table.c.state == IN_PROGRESS)
                     .values(leased_until=None, lease_token=None,
                             **{name: bindparam(f"new_{name}") for name in columns}))
        result = db.session.connection().execute(statement, [
            {"row_id": change["id"], **{f"new_{name}": change[name] for name in columns}}
            for change in changes])
        return result.rowcount

    def claimed_batches(self, label_id, limit):
        """(token, ids) of the label's due rows, ``limit`` at a time, each batch committed
        as claimed, until none is left: a label's sending job works through them."""
        while True:
            token, ids, _ = self.claim([self.model.label_id == label_id], limit)
            db.session.commit()
            if not ids:
                return
            yield token, ids

    def work_through(self, label_id, limit, attempt):
        """``attempt(row, token)`` for each of the label's due rows, one commit each; how
        many."""
        done = 0
        for token, ids in self.claimed_batches(label_id, limit):
            for row_id in ids:
                self._attempt_one(row_id, token, attempt)
                done += 1
        return done

    def _attempt_one(self, row_id, token, attempt):
        """One row's attempt, committed. An attempt that raises (a bug, a row it cannot read)
        is undone and the row set aside, so it neither stops the label's other rows nor is
        retried at once, nor sits in progress until its lease runs out."""
        try:
            attempt(db.session.get(self.model, row_id), token)
        except Exception as exc:  # noqa: BLE001 (one row's failure, not the batch's)
            db.session.rollback()
            log.error("%s %s: attempt raised %s at %s", self.model.__tablename__, row_id,
                      type(exc).__name__, _where(exc))  # no message: it may quote a secret
            self.settle_many([row_id], token, state=self.waiting,
                             attempts=self.model.attempts + 1,
                             next_attempt_at=now_utc() + SET_ASIDE,
                             last_error=f"internal error: {type(exc).__name__}")
        db.session.commit()

    def sweep(self, queue_name, job_path):
        """The minute cron of an outbound ledger: leases of dead workers returned, and the
        sending job of every label with a due row queued; how many labels."""
        now = now_utc()
        self.recover(now)
        labels = db.session.scalars(select(self.model.label_id).where(self.due(now))
                                    .group_by(self.model.label_id)).all()
        db.session.commit()
        for label in labels:
            after_commit.enqueue(queue_name, job_path, label)
        return len(labels)

    def recover(self, now=None):
        """Rows in progress whose lease ran out (a dead worker) wait again; the count."""
        now, model = now or now_utc(), self.model
        result = db.session.execute(
            update(model)
            .where(model.state == IN_PROGRESS, model.leased_until < now)
            .values(state=self.waiting, leased_until=None, lease_token=None, updated_at=now,
                    **{_error_column(model): "lease_expired"})
            .execution_options(synchronize_session=False))
        return result.rowcount


def _where(exc):
    """file:line in function, where an exception was raised: enough to find the bug."""
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{os.path.basename(frame.filename)}:{frame.lineno} in {frame.name}"


def _error_column(model):
    return "last_error" if hasattr(model, "last_error") else "reason"


PRESAVES = Leases(PreSave, PENDING)


def due(now):
    """Pending pre-saves whose next attempt has come."""
    return PRESAVES.due(now)


def lease(release_id, platform, limit, action=SAVE, seconds=LEASE_SECONDS):
    """(token, ids, leased_until) for up to ``limit`` due pre-saves of one release, platform
    and action, now in progress under ``token``."""
    return PRESAVES.claim([PreSave.release_id == release_id, PreSave.platform == platform,
                           PreSave.action == action], limit, seconds)


def settle(presave_id, token, **values):
    """Write an outcome if the pre-save is still ours; False when the lease was lost."""
    return settle_many([presave_id], token, **values) == 1


def settle_many(presave_ids, token, **values):
    return PRESAVES.settle_many(presave_ids, token, **values)


def recover_stale_leases(now=None):
    """Pre-saves in progress whose lease ran out (a dead worker) go back to pending."""
    return PRESAVES.recover(now)
