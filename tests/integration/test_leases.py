"""A lease takes at most its limit of due rows, whatever the planner knows about the table."""
from datetime import timedelta

from app.extensions import db
from app.localtime import now_utc
from app.jobs.leases import lease
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
