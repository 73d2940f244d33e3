"""A/B tests of a release's fan page: up to four variants, each a combination of artwork,
headline and description (any left empty stays the release's own); variant A is the release
as it is, the control."""
from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ArtistOwned, Model, UTCDateTime, utcnow
from app.models.release import DESCRIPTION_MAX, HEADLINE_MAX

DRAFT, RUNNING, STOPPED, DECIDED = "draft", "running", "stopped", "winner_chosen"
STATES = (DRAFT, RUNNING, STOPPED, DECIDED)
OPEN = (DRAFT, RUNNING)  # a release has at most one test in these states
KEYS = ("A", "B", "C", "D")
CONTROL = "A"


class AbTest(ArtistOwned, Model):
    """One test of a release's page: its state, and whether it may stop by itself."""

    __tablename__ = "ab_test"
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"),
                                            index=True)
    state: Mapped[str] = mapped_column(String(20), default=DRAFT)
    # Stop by itself once a winner is clear and each variant has this many pre-saves.
    auto_stop: Mapped[bool] = mapped_column(default=False)
    min_presaves: Mapped[int] = mapped_column(Integer, default=100)
    winner: Mapped[str | None] = mapped_column(String(1))
    # The hourly looks (app.jobs.ab_looks): each variant's largest log Lambda against A so
    # far, and the variant whose win (or loss) was clear first, when it was.
    peaks: Mapped[dict | None] = mapped_column(JSON)
    looked_at = mapped_column(UTCDateTime)
    clear_at = mapped_column(UTCDateTime)
    started_at = mapped_column(UTCDateTime)
    stopped_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    release = relationship("Release")
    variants = relationship("AbVariant", back_populates="test", order_by="AbVariant.key",
                            cascade="all, delete-orphan", passive_deletes=True)


class AbVariant(ArtistOwned, Model):
    """One variant: its words and artwork (None: the release's own) and its share of
    visitors (a weight; equal weights split them evenly)."""

    __tablename__ = "ab_variant"
    __table_args__ = (UniqueConstraint("test_id", "key", name="uq_ab_variant_test_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("ab_test.id", ondelete="CASCADE"),
                                         index=True)
    key: Mapped[str] = mapped_column(String(1))
    name: Mapped[str] = mapped_column(String(80))
    artwork: Mapped[str | None] = mapped_column(String(80))
    headline: Mapped[str | None] = mapped_column(String(HEADLINE_MAX))
    description: Mapped[str | None] = mapped_column(String(DESCRIPTION_MAX))
    weight: Mapped[int] = mapped_column(Integer, default=1)

    test = relationship("AbTest", back_populates="variants")
