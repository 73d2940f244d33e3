"""City look-ups: one GeoIP2 reader per process, never the raw IP stored."""
from dataclasses import dataclass
from functools import lru_cache

import geoip2.database
import geoip2.errors
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
    return geoip2.database.Reader(path)


def database_path():
    path = current_app.config.get("GEOIP_DB_PATH")
    if path:
        return path
    from _maxminddb_geolite2 import geolite2_database

    return geolite2_database()


def locate(ip):
    """The place of an address, or an empty Place when unknown or private."""
    try:
        found = _reader(database_path()).city(ip)
    except (geoip2.errors.AddressNotFoundError, ValueError, TypeError):
        return Place()
    return Place(city=found.city.name, region=found.subdivisions.most_specific.name,
                 country=found.country.iso_code, latitude=found.location.latitude,
                 longitude=found.location.longitude, timezone=found.location.time_zone)
