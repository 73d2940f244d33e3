from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ArtistOwned, Model, UTCDateTime, utcnow

ACTIVE, REVOKED = "active", "revoked"


class Authorization(ArtistOwned, Model):
    """A fan's grant on one platform, reused for the artist's later releases.

    Tokens are sealed with the row's label, fan and platform as associated data.
    """

    __tablename__ = "authorization"
    __table_args__ = (
        UniqueConstraint("fan_id", "platform", name="uq_authorization_fan_platform"),
        UniqueConstraint("artist_id", "platform", "platform_user_id",
                         name="uq_authorization_artist_account"),
        Index("ix_authorization_platform_state", "platform", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fan.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    platform_user_id: Mapped[str | None] = mapped_column(String(200))
    access_token_sealed: Mapped[str | None] = mapped_column(Text)
    refresh_token_sealed: Mapped[str | None] = mapped_column(Text)
    expires_at = mapped_column(UTCDateTime)
    scopes: Mapped[str | None] = mapped_column(String(500))
    storefront: Mapped[str | None] = mapped_column(String(8))  # Apple Music: the fan's country
    state: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    granted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at = mapped_column(UTCDateTime)

    fan = relationship("Fan")

    def _context(self, field):
        if self.label_id is None or self.fan_id is None:
            raise ValueError("set label and fan before sealing tokens")
        return ("authorization", self.label_id, self.fan_id, self.platform, field)

    def set_tokens(self, ring, access_token, refresh_token=None):
        self.access_token_sealed = ring.seal(access_token, self._context("access"))
        if refresh_token is not None:
            self.refresh_token_sealed = ring.seal(refresh_token, self._context("refresh"))

    def access_token(self, ring):
        return ring.open(self.access_token_sealed, self._context("access"))

    def refresh_token(self, ring):
        return ring.open(self.refresh_token_sealed, self._context("refresh"))
