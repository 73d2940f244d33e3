"""What a delivery attempt ended in, and how each outcome is written to the ledger.

Outcomes are plain values made by the async executor; ``write_many`` applies them
under the rows' lease (app.jobs.leases.settle_many), one statement per distinct outcome
(a flush of delivered rows is one UPDATE), so a lost lease writes nothing.
Reasons are short phrases a person can read in the ledger.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.jobs import leases, throttle
from app.localtime import now_utc
from app.models import Authorization, PreSave
from app.models.authorization import ACTIVE, REVOKED
from app.models.presave import CANCELLED, DELIVERED, FAILED, PENDING, SAVE
from app.webhooks import events as webhook_events, payloads

REVOKED_REASON = "authorization_expired_or_revoked"


@dataclass(frozen=True)
class Delivered:
    presave_id: int
    saved_as: str = "track"  # what was saved: "track" or "album"


@dataclass(frozen=True)
class Retry:
    """Try again later: ``at`` when given (a platform pause), else after back-off.
    ``counts`` is False when the row was never tried (paused platform, lease running out)."""

    presave_id: int
    error: str
    at: datetime | None = None
    counts: bool = True


@dataclass(frozen=True)
class Failed:
    presave_id: int
    reason: str


@dataclass(frozen=True)
class Cancelled:
    """Nothing to do any more (a reminder the fan took back); no attempt counted."""

    presave_id: int
    reason: str


@dataclass(frozen=True)
class Revoked:
    presave_id: int
    authorization_id: int


def write(outcome, token, attempts):
    """Apply one outcome to a row leased under ``token`` that had ``attempts`` before;
    False when the lease was lost."""
    return "lease_lost" not in write_many([(outcome, attempts)], token)


def write_many(pairs, token):
    """Apply (outcome, attempts before) pairs of rows leased under ``token``: one UPDATE
    per distinct set of values. Counts by outcome kind, and lease_lost for rows no longer
    ours (their outcome is not written)."""
    now = now_utc()
    groups = {}
    for outcome, attempts in pairs:
        if isinstance(outcome, Revoked):
            revoke(outcome.authorization_id, now)
        values = _values(outcome, attempts, now)
        key = (type(outcome).__name__.lower(), tuple(sorted(values.items())))
        groups.setdefault(key, []).append(outcome.presave_id)
    counts = {}
    for (kind, values), ids in groups.items():
        written = leases.settle_many(ids, token, **dict(values))
        for name, count in ((kind, written), ("lease_lost", len(ids) - written)):
            if count:
                counts[name] = counts.get(name, 0) + count
    _announce([i for ids in groups.values() for i in ids], now)
    return counts


def _announce(presave_ids, now):
    """presave.delivered and presave.failed for the rows this write settled (the ones still
    ours: written at ``now``), where an endpoint of their label wants them. A release night
    writes thousands of outcomes and most labels have no endpoint: they pay one query."""
    for state, event_type in ((DELIVERED, "presave.delivered"), (FAILED, "presave.failed")):
        rows = None
        for label_id in webhook_events.labels_subscribed(event_type):
            if rows is None:
                rows = db.session.scalars(select(PreSave).where(
                    PreSave.id.in_(presave_ids), PreSave.state == state,
                    PreSave.updated_at == now).execution_options(populate_existing=True)).all()
            mine = [row for row in rows if row.label_id == label_id]
            webhook_events.emit_many(label_id, event_type,
                                     lambda mine=mine: [payloads.presave(r) for r in mine])


def _values(outcome, attempts, now):
    """The columns an outcome writes to its row."""
    if isinstance(outcome, Delivered):
        return dict(state=DELIVERED, delivered_at=now, attempts=attempts + 1, last_error=None,
                    saved_as=outcome.saved_as, updated_at=now)
    if isinstance(outcome, Failed):
        return dict(state=FAILED, attempts=attempts + 1, last_error=outcome.reason,
                    updated_at=now)
    if isinstance(outcome, Cancelled):
        return dict(state=CANCELLED, last_error=outcome.reason, updated_at=now)
    if isinstance(outcome, Revoked):
        return dict(state=FAILED, attempts=attempts + 1, last_error=REVOKED_REASON,
                    updated_at=now)
    return _retry(outcome, attempts, now)


def _retry(outcome, attempts, now):
    tried = attempts + (1 if outcome.counts else 0)
    if tried >= throttle.MAX_ATTEMPTS:
        return dict(state=FAILED, attempts=tried, updated_at=now,
                    last_error=f"gave up after {tried} attempts: {outcome.error}")
    at = outcome.at or now + timedelta(seconds=throttle.backoff(tried))
    return dict(state=PENDING, attempts=tried, next_attempt_at=at, last_error=outcome.error,
                updated_at=now)


def revoke(authorization_id, now=None):
    """The grant is gone: mark it revoked and fail every pending pre-save that needed it."""
    now = now or now_utc()
    db.session.execute(
        update(Authorization)
        .where(Authorization.id == authorization_id, Authorization.state == ACTIVE)
        .values(state=REVOKED, revoked_at=now)
        .execution_options(synchronize_session=False))
    db.session.execute(
        update(PreSave)
        .where(PreSave.authorization_id == authorization_id, PreSave.state == PENDING,
               PreSave.action == SAVE)
        .values(state=FAILED, last_error=REVOKED_REASON, updated_at=now)
        .execution_options(synchronize_session=False))
