"""Daily event counts, kept beside the raw events so dashboards read a few rows.

Each table counts events per (release, UTC day, kind) and one more breakdown.
The day is the UTC date of the event: a release's zone can change, its counts
should not move. Missing breakdown values are stored as "" (a primary key
column cannot be NULL, and NULLs would never conflict in an upsert).
"""
from sqlalchemy import Date, Float, ForeignKey, Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.models.base import ArtistOwned, Model

DAY_KEY = ("release_id", "day", "kind")


class DailyRollup(ArtistOwned):
    """Shared columns: release, UTC day and kind (the key's prefix) and the count."""

    KEY = DAY_KEY

    @declared_attr
    def release_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("release.id", ondelete="CASCADE"),
                             nullable=False)

    day = mapped_column(Date, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class EventDaily(DailyRollup, Model):
    """Events per release, day and kind: the funnel and the trends."""

    __tablename__ = "event_daily"
    __table_args__ = (PrimaryKeyConstraint(*DAY_KEY),
                      Index("ix_event_daily_artist_kind_day", "artist_id", "kind", "day"))


class EventDailyPlatform(DailyRollup, Model):
    """Events per release, day, kind and platform ("" when the event names none)."""

    __tablename__ = "event_daily_platform"
    KEY = DAY_KEY + ("platform",)
    __table_args__ = (PrimaryKeyConstraint(*KEY),)
    platform: Mapped[str] = mapped_column(String(32), nullable=False)


class EventDailyPlace(DailyRollup, Model):
    """Events per release, day, kind and place; the coordinates are the place's first seen."""

    __tablename__ = "event_daily_place"
    KEY = DAY_KEY + ("country", "region", "city")
    __table_args__ = (PrimaryKeyConstraint(*KEY),
                      Index("ix_event_daily_place_artist_kind", "artist_id", "kind"))
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    region: Mapped[str] = mapped_column(String(120), nullable=False)
    city: Mapped[str] = mapped_column(String(120), nullable=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class EventDailySource(DailyRollup, Model):
    """Events per release, day, kind, referring site (its host) and UTM campaign fields."""

    __tablename__ = "event_daily_source"
    KEY = DAY_KEY + ("referrer", "utm_source", "utm_medium", "utm_campaign")
    __table_args__ = (PrimaryKeyConstraint(*KEY),)
    referrer: Mapped[str] = mapped_column(String(255), nullable=False)
    utm_source: Mapped[str] = mapped_column(String(120), nullable=False)
    utm_medium: Mapped[str] = mapped_column(String(120), nullable=False)
    utm_campaign: Mapped[str] = mapped_column(String(120), nullable=False)


ROLLUPS = (EventDaily, EventDailyPlatform, EventDailyPlace, EventDailySource)
