"""A label's domain as a test makes and removes it: a row, through the session (so the
directory hears of it, as it does of the admin's changes)."""
import uuid

from sqlalchemy import select

from app.extensions import db
from app.models import CustomDomain
from app.tenants.context import Scope, scoped


def add_domain(app, label_id, host=None, state="active"):
    """(hostname, token) of a new domain of the label."""
    host = host or f"music-{uuid.uuid4().hex[:8]}.example.test"
    with app.app_context(), scoped(Scope.platform("test")):
        row = CustomDomain(label_id=label_id, hostname=host, token=uuid.uuid4().hex, state=state)
        db.session.add(row)
        db.session.commit()
        return host, row.token


def remove_domain(app, host):
    with app.app_context(), scoped(Scope.platform("test")):
        for row in db.session.scalars(select(CustomDomain).where(CustomDomain.hostname == host)):
            db.session.delete(row)
        db.session.commit()
