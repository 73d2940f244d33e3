from sqlalchemy import Boolean, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import ArtistOwned, Model, UTCDateTime, utcnow

KINDS = ["page_view", "platform_click", "authorization_started", "presave_completed",
         "reminder_signup", "stream_click", "delivered", "link_visit"]


class Event(ArtistOwned, Model):
    """One measured step of the funnel. Never holds a raw IP address."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_release_kind_time", "release_id", "kind", "occurred_at"),
                      Index("ix_event_link_kind", "link_id", "kind"),
                      # With the time: PostgreSQL's partitions by month need it in every
                      # unique key; an entry always gives the same time, so it still dedupes.
                      UniqueConstraint("stream_id", "occurred_at", name="uq_event_stream_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str | None] = mapped_column(String(32))
    occurred_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    visitor_hash: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str | None] = mapped_column(String(64))
    referrer: Mapped[str | None] = mapped_column(String(255))  # the referring site's domain
    utm_source: Mapped[str | None] = mapped_column(String(120))
    utm_medium: Mapped[str | None] = mapped_column(String(120))
    utm_campaign: Mapped[str | None] = mapped_column(String(120))
    device_class: Mapped[str | None] = mapped_column(String(20))
    in_app_browser: Mapped[bool] = mapped_column(Boolean, default=False)
    variant: Mapped[str | None] = mapped_column(String(1))  # of the page's A/B test, if one ran
    # The short link the visit came through, if any (app.releases.share_links).
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("short_link.id", ondelete="SET NULL", name="fk_event_link_id"))
    # Where the event came from, so it is stored once however often it is read: the Redis
    # stream entry id, or "presave:<id>" for a delivery taken from the ledger.
    stream_id: Mapped[str | None] = mapped_column(String(40))
