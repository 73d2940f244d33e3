"""A label's webhook endpoints, each event sent to one (a delivery: a ledger row like a
pre-save) and every attempt at it, with what the receiver answered."""
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import OutboundRow, LabelOwned, Model, UTCDateTime, utcnow

PENDING, IN_PROGRESS, DELIVERED, FAILED = "pending", "in_progress", "delivered", "failed"
EXCERPT = 500  # characters of a receiver's answer kept per attempt


class WebhookEndpoint(LabelOwned, Model):
    """Where a label wants events sent: a URL, the event types, a signing secret (sealed).
    Disabled by itself after a day of failures, with the reason; staff enable it again."""

    __tablename__ = "webhook_endpoint"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(200))
    events: Mapped[list] = mapped_column(JSON, default=list)
    secret_sealed: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    disabled_at = mapped_column(UTCDateTime)
    # The first failure since the last success: a day of them disables the endpoint.
    failing_since = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(120))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    label = relationship("Label")

    def _context(self, field):
        return ("webhook_endpoint", self.label_id, self.id, field)

    def set_secret(self, ring, secret):
        self.secret_sealed = ring.seal(secret, self._context("secret"))

    def secret(self, ring):
        return ring.open(self.secret_sealed, self._context("secret"))

    def __repr__(self):
        return self.url


class WebhookDelivery(OutboundRow, LabelOwned, Model):
    """One event for one endpoint: the body as signed, its ``webhook-id`` (the same through
    retries and replays), and where it stands."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
                      Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    delivered_at = mapped_column(UTCDateTime)

    endpoint = relationship("WebhookEndpoint")
    tries = relationship("WebhookAttempt", order_by="WebhookAttempt.id",
                         cascade="all, delete-orphan", passive_deletes=True)


class WebhookAttempt(LabelOwned, Model):
    """One POST of a delivery: when, the status (None: no answer), how long the receiver
    took, and the start of what it said (or why there was no answer)."""

    __tablename__ = "webhook_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    status: Mapped[int | None] = mapped_column(Integer)
    answer_ms: Mapped[int | None] = mapped_column(Integer)
    excerpt: Mapped[str | None] = mapped_column(String(EXCERPT))
    error: Mapped[str | None] = mapped_column(String(300))
