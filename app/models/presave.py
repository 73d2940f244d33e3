from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ArtistOwned, Model, UTCDateTime, utcnow

SAVE, REMIND = "save", "remind"  # save into the library, or message the fan on release day
FUTURE_SAVE = "future_save"  # origin: added at the opening for a fan who asked on an earlier page
PENDING, IN_PROGRESS, DELIVERED, FAILED, CANCELLED = (
    "pending", "in_progress", "delivered", "failed", "cancelled")
STATES = [PENDING, IN_PROGRESS, DELIVERED, FAILED, CANCELLED]


class PreSave(ArtistOwned, Model):
    """One (release, fan, platform) save, from pending to its outcome."""

    __tablename__ = "presave"
    __table_args__ = (
        UniqueConstraint("release_id", "fan_id", "platform", name="uq_presave_release_fan_platform"),
        Index("ix_presave_due", "state", "next_attempt_at"),
        Index("ix_presave_release_state", "release_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    fan_id: Mapped[int] = mapped_column(ForeignKey("fan.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    authorization_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorization.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(10), default=SAVE, server_default=SAVE)
    origin: Mapped[str | None] = mapped_column(String(16))  # None: the fan, on this release's page
    saved_as: Mapped[str | None] = mapped_column(String(10))  # delivered: "track" or "album"
    state: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at = mapped_column(UTCDateTime)
    leased_until = mapped_column(UTCDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))  # the worker holding the lease
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    delivered_at = mapped_column(UTCDateTime)

    release = relationship("Release")
    fan = relationship("Fan")
    authorization = relationship("Authorization")

    @property
    def display_state(self):
        return "retrying" if self.state == PENDING and self.attempts else self.state
