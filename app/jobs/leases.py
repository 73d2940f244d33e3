"""Leases on pre-save rows: who may act on a row, until when, and conditional outcomes.

A batch claims up to N due rows in one statement (PostgreSQL: the inner SELECT
takes FOR UPDATE SKIP LOCKED, so concurrent batches split the rows; SQLite
serialises writers, so the same UPDATE ... RETURNING is atomic there). Every
outcome is written only while the row is still in progress under the same
lease token, so a row whose lease was recovered and handed to another worker is
never counted twice.

Core statements bypass the tenant hook: every caller names the release (and so
the label) explicitly.
"""
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.localtime import now_utc
from app.models import PreSave
from app.models.presave import IN_PROGRESS, PENDING, SAVE

LEASE_SECONDS = 300  # longer than a batch may run (its RQ job_timeout is shorter)


def due(now):
    """Pending rows whose next attempt has come (a row without a time is never due)."""
    return (PreSave.state == PENDING) & (PreSave.next_attempt_at <= now)


def lease(release_id, platform, limit, action=SAVE, seconds=LEASE_SECONDS):
    """(token, ids, leased_until) for up to ``limit`` due rows now in progress under ``token``."""
    now, token = now_utc(), secrets.token_hex(16)
    until = now + timedelta(seconds=seconds)
    chosen = (select(PreSave.id)
              .where(PreSave.release_id == release_id, PreSave.platform == platform,
                     PreSave.action == action, due(now))
              .order_by(PreSave.next_attempt_at, PreSave.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    # Choose the ids once, then claim them: as a subquery of the UPDATE, PostgreSQL may
    # re-run the LIMIT per outer row on a table without statistics and lease every due row.
    ids = db.session.execute(chosen).scalars().all()
    if not ids:
        return token, [], until
    claimed = db.session.execute(
        update(PreSave)
        .where(PreSave.id.in_(ids), PreSave.state == PENDING)
        .values(state=IN_PROGRESS, leased_until=until, lease_token=token, updated_at=now)
        .returning(PreSave.id)
        .execution_options(synchronize_session=False)).scalars().all()
    return token, sorted(claimed), until


def settle(presave_id, token, **values):
    """Write an outcome if the row is still ours; False when the lease was lost."""
    return settle_many([presave_id], token, **values) == 1


def settle_many(presave_ids, token, **values):
    """Write the same outcome to those rows that are still ours, in one statement; how many."""
    values.setdefault("updated_at", now_utc())
    result = db.session.execute(
        update(PreSave)
        .where(PreSave.id.in_(presave_ids), PreSave.state == IN_PROGRESS,
               PreSave.lease_token == token)
        .values(leased_until=None, lease_token=None, **values)
        .execution_options(synchronize_session=False))
    return result.rowcount


def recover_stale_leases(now=None):
    """Rows in progress whose lease ran out (a dead worker) go back to pending; the count."""
    now = now or now_utc()
    result = db.session.execute(
        update(PreSave)
        .where(PreSave.state == IN_PROGRESS, PreSave.leased_until < now)
        .values(state=PENDING, leased_until=None, lease_token=None, updated_at=now,
                last_error="lease_expired")
        .execution_options(synchronize_session=False))
    return result.rowcount
