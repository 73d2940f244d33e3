from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ArtistOwned, Model, UTCDateTime, utcnow

PENDING, SENT, FAILED, CANCELLED = "pending", "sent", "failed", "cancelled"


class OpeningNotice(ArtistOwned, Model):
    """A fan's ask on a Coming Soon page: one message when the release's pre-save opens."""

    __tablename__ = "opening_notice"
    __table_args__ = (
        UniqueConstraint("release_id", "fan_id", name="uq_opening_notice_release_fan"),
        Index("ix_opening_notice_due", "state", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"),
                                            index=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fan.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at = mapped_column(UTCDateTime)  # none: at the opening instant
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime)

    release = relationship("Release")
    fan = relationship("Fan")
