"""A release's short links (/r/<code>): the fan page's own, and the named ones staff make for
a channel, each carrying its UTM tags to the page."""
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ArtistOwned, Model, UTCDateTime, utcnow

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")
UTM_MAX = 120
NAME_MAX = 80


class ShortLink(ArtistOwned, Model):
    """One short link. ``main`` marks the fan page's own (one per release, made when first
    asked for); the code is unguessable and unique on the instance, so it needs no host."""

    __tablename__ = "short_link"
    __table_args__ = (UniqueConstraint("code", name="uq_short_link_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"),
                                            index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    main: Mapped[bool] = mapped_column(default=False)
    preset: Mapped[str | None] = mapped_column(String(20))
    utm_source: Mapped[str | None] = mapped_column(String(UTM_MAX))
    utm_medium: Mapped[str | None] = mapped_column(String(UTM_MAX))
    utm_campaign: Mapped[str | None] = mapped_column(String(UTM_MAX))
    utm_content: Mapped[str | None] = mapped_column(String(UTM_MAX))
    created_by: Mapped[str | None] = mapped_column(String(120))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    release = relationship("Release")

    @property
    def utm(self):
        """The link's UTM tags that are set, in the usual order."""
        return {field: getattr(self, field) for field in UTM_FIELDS if getattr(self, field)}
