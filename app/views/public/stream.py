"""The "Stream Now" buttons: one per platform, the visitor's likeliest first.

Order: the platforms this browser's fan pre-saved with (the artist's fan cookie),
then what visitors from the same country clicked most on this release (one
grouped query, kept briefly in Redis per release and country), then the
release's own platform order. A platform without a link yet still gets its
button: /go/ sends it to the platform's search.
"""
import json
import logging

import redis
from sqlalchemy import func, select

from app.extensions import db, redis_connection
from app.models import Event, PreSave
from app.views.public.fan_cookie import fan_from_cookie
from app.views.public.links import PLATFORMS, release_links

CLICK_KINDS = ("stream_click", "platform_click")
CLICKS_CACHE_SECONDS = 60
CLICKS_PREFIX = "fanpage:clicks:"
log = logging.getLogger(__name__)


def stream_platforms(release, artist, country):
    """[(platform, found)] for the release's buttons, in the order the visitor sees them."""
    links = release_links(release)
    offered = [key for key in release.platforms or [] if key in PLATFORMS]
    offered += sorted(key for key in links if key not in offered and key in PLATFORMS)
    shown = [key for key in offered if not (key in links and links[key].hidden)]
    own = fan_platforms(artist, release)
    clicks = country_clicks(release, country)

    def rank(key):
        mine = own.index(key) if key in own else len(own)
        return mine, -clicks.get(key, 0), offered.index(key)
    return [(key, key in links) for key in sorted(shown, key=rank)]


def fan_platforms(artist, release):
    """The platforms this browser's fan pre-saved with: this release's first, newest first."""
    fan = fan_from_cookie(artist)
    if fan is None:
        return []
    rows = db.session.scalars(select(PreSave.platform).where(PreSave.fan_id == fan.id).order_by(
        (PreSave.release_id == release.id).desc(), PreSave.created_at.desc(), PreSave.id.desc()))
    return list(dict.fromkeys(rows))


def country_clicks(release, country):
    """{platform: clicks} on the release by visitors from ``country`` (all visitors if unknown)."""
    key = f"{CLICKS_PREFIX}{release.id}:{country or '-'}"
    try:
        cached = redis_connection().get(key)
    except redis.RedisError:
        log.warning("click counts cache unavailable; counting afresh")
        cached = None
    if cached is not None:
        return json.loads(cached)
    counts = _count_clicks(release, country)
    try:
        redis_connection().set(key, json.dumps(counts), ex=CLICKS_CACHE_SECONDS)
    except redis.RedisError:
        pass
    return counts


def _count_clicks(release, country):
    stmt = select(Event.platform, func.count()).where(
        Event.release_id == release.id, Event.kind.in_(CLICK_KINDS), Event.platform.is_not(None))
    if country:
        stmt = stmt.where(Event.country == country)
    return dict(db.session.execute(stmt.group_by(Event.platform)).all())


def forget_clicks():
    """Drop the cached counts (tests; the short expiry covers everything else)."""
    conn = redis_connection()
    for key in conn.scan_iter(f"{CLICKS_PREFIX}*"):
        conn.delete(key)
