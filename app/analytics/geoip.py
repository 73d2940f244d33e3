"""City look-ups: one GeoIP2 reader per process, never the raw IP stored."""
from dataclasses import dataclass
from functools import lru_cache

import maxminddb
from flask import current_app


@dataclass(frozen=True)
class Place:
    city: str | None = None
    region: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    timezone: str | None = None


@lru_cache(maxsize=4)
def _reader(path):
    # The MaxMind DB reader itself: the plain record costs a third of geoip2's model objects.
    return maxminddb.open_database(path)


def database_path():
    return current_app.config.get("GEOIP_DB_PATH") or _bundled_path()


@lru_cache(maxsize=1)
def _bundled_path():
    from _maxminddb_geolite2 import geolite2_database

    return geolite2_database()


def locate(ip):
    """The place of an address, or an empty Place when unknown or private."""
    try:
        found = _reader(database_path()).get(ip)
    except (ValueError, TypeError):
        return Place()
    if not found:
        return Place()
    location = found.get("location", {})
    subdivisions = found.get("subdivisions") or [{}]
    return Place(city=_name(found.get("city")), region=_name(subdivisions[-1]),
                 country=found.get("country", {}).get("iso_code"),
                 latitude=location.get("latitude"), longitude=location.get("longitude"),
                 timezone=location.get("time_zone"))


def _name(record):
    return (record or {}).get("names", {}).get("en")
