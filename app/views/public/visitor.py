"""Who is looking at a fan page: where from (GeoIP, looked up once per request)."""
from flask import g, request

from app.analytics.geoip import locate


def place():
    """The visitor's Place by their address; an empty Place when the address is unknown."""
    if "visitor_place" not in g:
        g.visitor_place = locate(request.remote_addr)
    return g.visitor_place


def zone():
    """The visitor's IANA time zone, or None (local mode then falls back to the release's)."""
    return place().timezone


def country():
    return place().country
