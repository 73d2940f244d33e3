from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ArtistOwned, Model, UTCDateTime, utcnow

HEADLINE_MAX, DESCRIPTION_MAX = 120, 600  # the fan page's own words, in characters

DRAFT, ANNOUNCED, PRESAVE_ACTIVE, RELEASED, ARCHIVED = (
    "draft", "announced", "presave_active", "released", "archived")
STATUSES = [DRAFT, ANNOUNCED, PRESAVE_ACTIVE, RELEASED, ARCHIVED]
STATUS_LABELS = {DRAFT: "Draft", ANNOUNCED: "Announced", PRESAVE_ACTIVE: "Pre-save active",
                 RELEASED: "Released", ARCHIVED: "Archived"}
PUBLIC_STATUSES = [ANNOUNCED, PRESAVE_ACTIVE, RELEASED, ARCHIVED]
# What a release is: a single track, or an EP or album (found by its UPC, saved as an album
# where the platform can: app.platforms.catalogue)
SINGLE, EP, ALBUM = "single", "ep", "album"
KINDS = [(SINGLE, "Single"), (EP, "EP"), (ALBUM, "Album")]
RELEASE_MODES = [("global", "Global: local midnight in the release's zone"),
                 ("local", "Local: midnight in each fan's own zone")]


class Release(ArtistOwned, Model):
    """One release of an artist, with its local dates and derived UTC instants."""

    __tablename__ = "release"
    __table_args__ = (
        UniqueConstraint("artist_id", "slug", name="uq_release_artist_slug"),
        Index("ix_release_status_release_at", "status", "release_at"),
        Index("ix_release_status_presave_opens_at", "status", "presave_opens_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # The fan page's own words (plain text); none: the stock line
    headline: Mapped[str | None] = mapped_column(String(HEADLINE_MAX))
    description: Mapped[str | None] = mapped_column(String(DESCRIPTION_MAX))
    slug: Mapped[str] = mapped_column(String(80))
    artwork: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10), default=SINGLE, server_default=SINGLE)
    # A single's track; an EP's or album's focus track (saved where albums cannot be)
    isrc: Mapped[str | None] = mapped_column(String(12), index=True)
    upc: Mapped[str | None] = mapped_column(String(13))
    timezone: Mapped[str] = mapped_column(String(64))
    presave_opens_local = mapped_column(DateTime, nullable=False)
    release_local = mapped_column(DateTime, nullable=False)
    presave_opens_at = mapped_column(UTCDateTime, nullable=False)
    release_at = mapped_column(UTCDateTime, nullable=False)
    timing_notes: Mapped[str | None] = mapped_column(Text)
    platforms: Mapped[list] = mapped_column(JSON, default=list)
    release_mode: Mapped[str] = mapped_column(String(10), default="global")
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    # Streaming-link resolution (app.jobs.links): the next look-up the reconciler catches up,
    # the looks so far, the last one, and when it stopped with platforms still missing.
    links_next_check_at = mapped_column(UTCDateTime, index=True)
    links_checked_at = mapped_column(UTCDateTime)
    links_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    links_gave_up_at = mapped_column(UTCDateTime)
    # The A/B test running on its page (app.releases.ab_tests), so a page view knows without
    # a query whether there is one (no foreign key: the test refers to the release).
    ab_test_id: Mapped[int | None] = mapped_column(Integer)
    # When the pre-saves of the artist's Future Save fans were added (app.jobs.future_saves),
    # at the opening instant; the reconciler adds them for an open release still without.
    future_saves_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    artist = relationship("Artist", back_populates="releases")
    links = relationship("StreamingLink", back_populates="release", passive_deletes=True)
    # By time, then insertion: several changes can share one instant (one request, a frozen clock).
    history = relationship("ReleaseStatusChange", back_populates="release",
                           order_by=lambda: [ReleaseStatusChange.at, ReleaseStatusChange.id],
                           passive_deletes=True)

    @property
    def is_album(self):
        """An EP or album: pre-saves save the album where the platform can."""
        return self.kind in (EP, ALBUM)

    @property
    def kind_label(self):
        return dict(KINDS).get(self.kind, self.kind)

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    def __repr__(self):
        return self.title


class ReleaseStatusChange(ArtistOwned, Model):
    """Who or what moved a release from one status to another, and when."""

    __tablename__ = "release_status_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # What changed besides the status, in words (an A/B test's winner made the page); the
    # status stays the same then.
    note: Mapped[str | None] = mapped_column(String(300))

    release = relationship("Release", back_populates="history")


class StreamingLink(ArtistOwned, Model):
    """Where a release can be streamed on one platform."""

    __tablename__ = "streaming_link"
    __table_args__ = (UniqueConstraint("release_id", "platform", name="uq_link_release_platform"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(500))
    item_id: Mapped[str | None] = mapped_column(String(200))
    # What item_id names, and pre-saves save: "track", or "album" (an EP's or album's)
    item_kind: Mapped[str] = mapped_column(String(10), default="track", server_default="track")
    # Apple Music: the item's id in other storefronts than APPLE_STOREFRONT's ({"gb": "…"}),
    # found as the fans in them are saved for (app.jobs.items.storefront_items)
    storefront_ids: Mapped[dict | None] = mapped_column(JSON)
    # isrc | upc (catalogue code) | search (verified title and artist) | resolver | manual
    source: Mapped[str] = mapped_column(String(20), default="manual")
    note: Mapped[str | None] = mapped_column(String(300))  # why this item was chosen
    hidden: Mapped[bool] = mapped_column(default=False)
    found_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    release = relationship("Release", back_populates="links")
