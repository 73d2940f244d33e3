"""Ad pixels: a label's Meta Pixel, TikTok Pixel and Google tag ids, and its tokens for the
server-side conversion APIs (sealed); an artist's own row overrides the label's field by
field. Each visitor's answer to the fan page's cookie question, with the words asked; and the
ledger of conversions sent to the ad platforms' APIs."""
from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import OutboundRow, ArtistOwned, LabelOwned, Model, UTCDateTime, utcnow

ACCEPTED, REFUSED = "accepted", "refused"
PENDING, SENT, FAILED = "pending", "sent", "failed"


class AdPixels(LabelOwned, Model):
    """One label's settings (artist_id None) or one artist's overrides."""

    __tablename__ = "ad_pixels"
    __table_args__ = (UniqueConstraint("label_id", "artist_id", name="uq_ad_pixels_owner"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    artist_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("artist.id", ondelete="CASCADE"), index=True)
    meta_pixel_id: Mapped[str | None] = mapped_column(String(20))
    tiktok_pixel_code: Mapped[str | None] = mapped_column(String(32))
    google_tag_id: Mapped[str | None] = mapped_column(String(32))
    meta_token_sealed: Mapped[str | None] = mapped_column(Text)
    tiktok_token_sealed: Mapped[str | None] = mapped_column(Text)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    artist = relationship("Artist")

    def _context(self, field):
        return ("ad_pixels", self.label_id, self.id, field)

    def set_token(self, ring, service, token):
        setattr(self, f"{service}_token_sealed",
                ring.seal(token, self._context(service)) if token else None)

    def token(self, ring, service):
        sealed = getattr(self, f"{service}_token_sealed")
        return ring.open(sealed, self._context(service)) if sealed else None


class CookieChoice(ArtistOwned, Model):
    """A visitor's answer to "may we use ad cookies?" on an artist's pages: kept with the
    words shown and the language, by visitor hash (never an address)."""

    __tablename__ = "cookie_choice"
    id: Mapped[int] = mapped_column(primary_key=True)
    visitor_hash: Mapped[str] = mapped_column(String(64))
    choice: Mapped[str] = mapped_column(String(10))
    wording: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(10))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ConversionEvent(OutboundRow, ArtistOwned, Model):
    """One server-side conversion (a pre-save's Lead) for one ad platform: the ledger of what
    was sent, retried like a pre-save (pending → in_progress → sent | failed)."""

    __tablename__ = "conversion_event"
    __table_args__ = (Index("ix_conversion_event_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    presave_id: Mapped[int | None] = mapped_column(
        ForeignKey("presave.id", ondelete="SET NULL"), index=True)
    service: Mapped[str] = mapped_column(String(10))
    event_id: Mapped[str] = mapped_column(String(40))
    event_name: Mapped[str] = mapped_column(String(20))
    event_time = mapped_column(UTCDateTime, nullable=False)
    source_url: Mapped[str] = mapped_column(String(500))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    sent_fields: Mapped[str | None] = mapped_column(String(60))  # e.g. "em,ph": hashed only
    answer: Mapped[str | None] = mapped_column(String(300))
    sent_at = mapped_column(UTCDateTime)
