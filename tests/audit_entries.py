"""Reading the audit trail in tests: what was written since a point, and the ids tests compare
an entry's actor and label with."""
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Label, PresaveUser
from app.tenants.context import Scope, scoped


def entries_after(app, start, **where):
    """The entries after id ``start`` (with these column values), oldest first, detached."""
    with app.app_context(), scoped(Scope.platform("test")):
        stmt = select(AuditEntry).where(AuditEntry.id > start).order_by(AuditEntry.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, key) == value)
        found = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return found


def last_id(app):
    with app.app_context(), scoped(Scope.platform("test")):
        return db.session.scalar(select(db.func.max(AuditEntry.id))) or 0


def northwind(app):
    with app.app_context(), scoped(Scope.platform("test")):
        return db.session.scalars(select(Label.id).where(Label.slug == "northwind")).one()


def user_id(app, email):
    with app.app_context(), scoped(Scope.platform("test")):
        return db.session.scalars(select(PresaveUser.id).where(PresaveUser.email == email)).one()
