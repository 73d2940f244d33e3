"""Shared column types and the tenant mixins every owned table uses."""
from datetime import timezone

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer, String, TypeDecorator
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.localtime import now_utc

__all__ = ["Model", "UTCDateTime", "LabelOwned", "ArtistOwned", "OutboundRow", "utcnow"]


def utcnow():
    return now_utc()


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in Python on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=timezone.utc)


class LabelOwned:
    """A row that belongs to one label (tenant). Scoped by app.tenants.scoping."""

    @declared_attr
    def label_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("label.id", ondelete="CASCADE"),
                             nullable=False, index=True)


class ArtistOwned(LabelOwned):
    """A row that belongs to one artist of a label (Artist users see only theirs)."""

    @declared_attr
    def artist_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("artist.id", ondelete="CASCADE"),
                             nullable=False, index=True)


class OutboundRow:
    """A row of an outbound ledger (a webhook delivery, a conversion, an email tool's change):
    waiting, leased by a worker, done or failed, with its attempts and why (app.jobs.leases)."""

    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at = mapped_column(UTCDateTime)
    leased_until = mapped_column(UTCDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
