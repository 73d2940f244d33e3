"""The audit trail: who did what, when, to which object. Rows are only ever added: the
application never changes or deletes one, and on PostgreSQL (and SQLite) a trigger refuses
UPDATE, and DELETE of any entry younger than a year (the shortest retention allowed)."""
from sqlalchemy import JSON, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import LabelOwned, Model, UTCDateTime, utcnow

KEEP_AT_LEAST_DAYS = 365  # the triggers' floor (migration 0032): nothing younger can be deleted


class AuditEntry(LabelOwned, Model):
    """One action. ``label_id`` is null for the operator's own actions (every label, or none);
    no foreign keys, so an entry outlives the label, user or object it names."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_label_at", "label_id", "at"),
        Index("ix_audit_entry_object", "object_type", "object_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    label_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # overrides LabelOwned's
    actor_kind: Mapped[str] = mapped_column(String(12))  # user, api, cli, system, fan
    actor_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(256))
    actor_role: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_name: Mapped[str | None] = mapped_column(String(256))
    changes: Mapped[dict | None] = mapped_column(JSON)  # {field: [before, after]}, masked
    detail: Mapped[dict | None] = mapped_column(JSON)   # counts, reasons, hashed client address


class AppendOnly(RuntimeError):
    """An audit entry was to be changed or deleted through the ORM."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse(mapper, connection, entry):
    raise AppendOnly("audit entries are never changed or deleted by the application")

