"""Event counts kept beside the raw events, so dashboards read a few rows.

Daily tables count events per (release, UTC day, kind) and one more breakdown;
the total tables count the place and source breakdowns without the day, for the
all-time views (the busiest breakdowns: a row per city or source per day would be
most of a release's rows). The day is the UTC date of the event: a release's zone
can change, its counts should not move. Missing breakdown values are stored as ""
(a primary key column cannot be NULL, and NULLs would never conflict in an upsert).
"""
from sqlalchemy import Date, Float, ForeignKey, Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.models.base import ArtistOwned, Model

DAY_KEY = ("release_id", "day", "kind")
TOTAL_KEY = ("release_id", "kind")
PLACE = ("country", "region", "city")
SOURCE = ("referrer", "utm_source", "utm_medium", "utm_campaign")


class Rollup(ArtistOwned):
    """Shared columns: the release and kind counted, and the count."""

    KEY = TOTAL_KEY

    @declared_attr
    def release_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("release.id", ondelete="CASCADE"),
                             nullable=False)

    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class DailyRollup(Rollup):
    KEY = DAY_KEY
    day = mapped_column(Date, nullable=False)


class PlaceColumns:
    """A place; the coordinates are the first seen for it."""

    country: Mapped[str] = mapped_column(String(2), nullable=False)
    region: Mapped[str] = mapped_column(String(120), nullable=False)
    city: Mapped[str] = mapped_column(String(120), nullable=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class SourceColumns:
    """The referring site (its host) and the UTM campaign fields."""

    referrer: Mapped[str] = mapped_column(String(255), nullable=False)
    utm_source: Mapped[str] = mapped_column(String(120), nullable=False)
    utm_medium: Mapped[str] = mapped_column(String(120), nullable=False)
    utm_campaign: Mapped[str] = mapped_column(String(120), nullable=False)


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


class EventDailyPlace(DailyRollup, PlaceColumns, Model):
    """Events per release, day, kind and place."""

    __tablename__ = "event_daily_place"
    KEY = DAY_KEY + PLACE
    __table_args__ = (PrimaryKeyConstraint(*KEY),
                      Index("ix_event_daily_place_artist_kind", "artist_id", "kind"))


class EventDailySource(DailyRollup, SourceColumns, Model):
    """Events per release, day, kind and source."""

    __tablename__ = "event_daily_source"
    KEY = DAY_KEY + SOURCE
    __table_args__ = (PrimaryKeyConstraint(*KEY),)


class EventTotalPlace(Rollup, PlaceColumns, Model):
    """Events per release, kind and place, all time."""

    __tablename__ = "event_total_place"
    KEY = TOTAL_KEY + PLACE
    __table_args__ = (PrimaryKeyConstraint(*KEY),
                      Index("ix_event_total_place_label_kind", "label_id", "kind"))


class EventTotalSource(Rollup, SourceColumns, Model):
    """Events per release, kind and source, all time."""

    __tablename__ = "event_total_source"
    KEY = TOTAL_KEY + SOURCE
    __table_args__ = (PrimaryKeyConstraint(*KEY),)


class EventTotalPlatformCountry(Rollup, Model):
    """Events per release, kind, platform and country, all time: what orders the Stream Now
    buttons for a visitor's country ("" for an event without platform or country)."""

    __tablename__ = "event_total_platform_country"
    KEY = TOTAL_KEY + ("platform", "country")
    __table_args__ = (PrimaryKeyConstraint(*KEY),)
    platform: Mapped[str] = mapped_column(String(32), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)


ROLLUPS = (EventDaily, EventDailyPlatform, EventDailyPlace, EventDailySource, EventTotalPlace,
           EventTotalSource, EventTotalPlatformCountry)
