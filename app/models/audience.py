"""A label's email marketing tools (Mailchimp, Klaviyo): the connection with its sealed API key
and which audience (list) each artist's fans go to; and each fan's change on its way there
(a ledger row like a pre-save: pending → in_progress → done | failed)."""
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import OutboundRow, LabelOwned, Model, UTCDateTime, utcnow

PROVIDERS = {"mailchimp": "Mailchimp", "klaviyo": "Klaviyo"}
UPSERT, UNSUBSCRIBE, DELETE = "upsert", "unsubscribe", "delete"
PENDING, DONE, FAILED = "pending", "done", "failed"


class AudienceConnection(LabelOwned, Model):
    __tablename__ = "audience_connection"
    __table_args__ = (UniqueConstraint("label_id", "provider", name="uq_audience_label_provider"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    api_key_sealed: Mapped[str | None] = mapped_column(Text)
    lists: Mapped[dict] = mapped_column(JSON, default=dict)  # str(artist id) -> list id
    last_error: Mapped[str | None] = mapped_column(String(300))
    checked_at = mapped_column(UTCDateTime)
    reconciled_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    label = relationship("Label")

    @property
    def name(self):
        return PROVIDERS.get(self.provider, self.provider)

    def list_for(self, artist_id):
        return (self.lists or {}).get(str(artist_id)) or None

    def _context(self, field):
        return ("audience_connection", self.label_id, self.id, field)

    def set_key(self, ring, key):
        self.api_key_sealed = ring.seal(key, self._context("api_key")) if key else None

    def key(self, ring):
        return ring.open(self.api_key_sealed, self._context("api_key")) \
            if self.api_key_sealed else None


class AudienceChange(OutboundRow, LabelOwned, Model):
    """One fan's change for one connection. The fan's details are read when it is sent; only a
    deletion keeps the address (sealed), as the fan's own row is empty by then, and the row
    goes once the tool has deleted it."""

    __tablename__ = "audience_change"
    __table_args__ = (Index("ix_audience_change_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("audience_connection.id", ondelete="CASCADE"), index=True)
    artist_id: Mapped[int] = mapped_column(Integer, ForeignKey("artist.id", ondelete="CASCADE"))
    fan_id: Mapped[int | None] = mapped_column(ForeignKey("fan.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(12))
    email_sealed: Mapped[str | None] = mapped_column(Text)

    connection = relationship("AudienceConnection")

    def _context(self, field="email"):
        return ("audience_change", self.label_id, self.id, field)

    def seal_email(self, ring, email):
        self.email_sealed = ring.seal(email, self._context())

    def email(self, ring):
        return ring.open(self.email_sealed, self._context()) if self.email_sealed else None
