"""Where a fan first came from: the referring site and UTM tags of the visit that signed
them up. Kept apart from the fan's contact details; fan exports read it."""
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import ArtistOwned, Model, UTCDateTime, utcnow


class FanSource(ArtistOwned, Model):
    __tablename__ = "fan_source"
    fan_id: Mapped[int] = mapped_column(Integer, ForeignKey("fan.id", ondelete="CASCADE"),
                                        primary_key=True)
    referrer: Mapped[str | None] = mapped_column(String(255))
    utm_source: Mapped[str | None] = mapped_column(String(120))
    utm_medium: Mapped[str | None] = mapped_column(String(120))
    utm_campaign: Mapped[str | None] = mapped_column(String(120))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
