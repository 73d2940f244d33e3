"""Who is looking at a fan page: where from (GeoIP, looked up once per request)."""
from app.analytics.capture import request_place


def place():
    """The visitor's Place by their address; an empty Place when the address is unknown."""
    return request_place()


def zone():
    """The visitor's IANA time zone, or None (local mode then falls back to the release's)."""
    return place().timezone


def country():
    return place().country
