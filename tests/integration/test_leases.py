"""A lease takes at most its limit of due rows, whatever the planner knows about the table;
outcomes are written together, and only to rows still under their lease."""
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.jobs import outcomes
from app.jobs.leases import lease
from app.jobs.outcomes import Delivered, Failed, Retry
from app.localtime import now_utc
from app.models import PreSave
from app.tenants.context import Scope, scoped
from tests.ledger_rows import add_row, release_of


def test_a_lease_claims_exactly_its_limit_of_due_rows(app, active_release):
    slug = active_release()
    with app.app_context(), scoped(Scope.platform("test")):
        release = release_of(slug)
        for n in range(120):
            add_row(release, f"Lease {n}", "spotify", "save", "pending", 0, None)
        db.session.commit()
        db.session.execute(PreSave.__table__.update().where(  # all due now
            PreSave.release_id == release.id).values(next_attempt_at=now_utc() - timedelta(minutes=1)))
        db.session.commit()
        token, first, _ = lease(release.id, "spotify", 50)
        _, second, _ = lease(release.id, "spotify", 50)
        db.session.commit()
        assert len(first) == 50 and len(second) == 50
        assert not set(first) & set(second)
        leased = db.session.query(PreSave).filter(PreSave.lease_token == token).count()
        assert leased == 50


def _due_rows(app, active_release, count):
    """A release with ``count`` pending rows due now; its id."""
    slug = active_release()
    with app.app_context(), scoped(Scope.platform("test")):
        release = release_of(slug)
        for n in range(count):
            add_row(release, f"Settle {n}", "spotify", "save", "pending", 0, None)
        db.session.commit()
        db.session.execute(PreSave.__table__.update().where(
            PreSave.release_id == release.id).values(next_attempt_at=now_utc() - timedelta(minutes=1)))
        db.session.commit()
        return release.id


def test_outcomes_are_written_together_and_only_under_their_lease(app, active_release):
    release_id = _due_rows(app, active_release, 6)
    with app.app_context(), scoped(Scope.platform("test")):
        token, ids, _ = lease(release_id, "spotify", 6)
        db.session.commit()
        # Two rows' lease ran out and another worker holds them now.
        recover = PreSave.__table__.update().where(PreSave.id.in_(ids[:2]))
        db.session.execute(recover.values(state="pending", lease_token=None))
        db.session.commit()
        other, taken, _ = lease(release_id, "spotify", 6)
        db.session.commit()
        assert sorted(taken) == ids[:2]
        pairs = [(Delivered(ids[0]), 0), (Delivered(ids[2]), 0), (Delivered(ids[3]), 0),
                 (Failed(ids[1], "refused"), 0), (Failed(ids[4], "refused"), 0),
                 (Retry(ids[5], "busy"), 0)]
        counts = outcomes.write_many(pairs, token)
        db.session.commit()
        assert counts == {"delivered": 2, "failed": 1, "retry": 1, "lease_lost": 2}
        found = dict(db.session.execute(select(PreSave.id, PreSave.state)
                                        .where(PreSave.id.in_(ids))).all())
        assert found == {ids[0]: "in_progress", ids[1]: "in_progress", ids[2]: "delivered",
                         ids[3]: "delivered", ids[4]: "failed", ids[5]: "pending"}
        assert outcomes.write_many([(Delivered(ids[0]), 0)], other) == {"delivered": 1}
        assert outcomes.write_many([(Delivered(ids[0]), 0)], other) == {"lease_lost": 1}
        db.session.commit()
        row = db.session.get(PreSave, ids[0])
        assert (row.state, row.attempts, row.lease_token) == ("delivered", 1, None)
