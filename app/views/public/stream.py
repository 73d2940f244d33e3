"""The "Stream Now" buttons: one per platform, the visitor's likeliest first.

Order: the platforms this browser's fan pre-saved with (the artist's fan cookie),
then what visitors from the same country clicked most on this release (one
grouped query of the click rollup for every country, kept a minute in Redis per
release), then the release's own platform order. A platform without a link yet
still gets its button: /go/ sends it to the platform's search.
"""
import json
import logging

import redis
from sqlalchemy import func, select

from app.extensions import db, redis_connection
from app.localtime import now_utc
from app.models import EventTotalPlatformCountry, PreSave
from app.views.public.visitor.fan_cookie import fan_from_cookie
from app.views.public.links import PLATFORMS, release_links

CLICK_KINDS = ("stream_click", "platform_click")
CLICKS_FRESH_SECONDS = 60  # counts are used this long, then recounted
CLICKS_KEEP_SECONDS = 600  # stale counts are kept this long, for visitors while one recounts
COUNTING_SECONDS = 30  # a recount that takes longer (a dead process) lets another one start
CLICKS_PREFIX = "fanpage:clicks:"
FRESH_UNTIL, ALL_COUNTRIES = "_", "*"  # hash fields beside the ISO country codes
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
    """{platform: clicks} on the release by visitors from ``country`` (all visitors if unknown).

    One grouped query counts every country at once, kept as a Redis hash per release: each
    visitor's read is one HMGET, and a release is counted at most once a minute however many
    countries its visitors come from. When the counts go stale one visitor recounts (a lock)
    while the others keep using the stale ones, so a busy release is never counted in a pile.
    """
    key, field = f"{CLICKS_PREFIX}{release.id}", country or ALL_COUNTRIES
    now = now_utc().timestamp()
    try:
        conn = redis_connection()
        fresh_until, counts = conn.hmget(key, FRESH_UNTIL, field)
        if fresh_until is not None and float(fresh_until) > now:
            return json.loads(counts) if counts else {}
        if not conn.set(f"{key}:counting", 1, nx=True, ex=COUNTING_SECONDS):
            return json.loads(counts) if counts else {}  # being counted: the last counts
    except redis.RedisError:
        log.warning("click counts cache unavailable; counting afresh")
        return _count_clicks(release).get(field, {})
    by_country = _count_clicks(release)
    try:
        pipe = conn.pipeline()
        pipe.delete(key)  # countries without clicks any more must not keep old ones
        pipe.hset(key, mapping={FRESH_UNTIL: now + CLICKS_FRESH_SECONDS,
                                **{c: json.dumps(n) for c, n in by_country.items()}})
        pipe.expire(key, CLICKS_KEEP_SECONDS)
        pipe.delete(f"{key}:counting")
        pipe.execute()
    except redis.RedisError:
        pass
    return by_country.get(field, {})


def _count_clicks(release):
    """{country: {platform: clicks}}, with every visitor's clicks under ALL_COUNTRIES.

    Read from the all-time rollup the ingest keeps, a row per kind, platform and country:
    a few hundred rows however many clicks the release has had."""
    totals = EventTotalPlatformCountry
    rows = db.session.execute(
        select(totals.country, totals.platform, func.sum(totals.count))
        .where(totals.release_id == release.id, totals.kind.in_(CLICK_KINDS),
               totals.platform != "")
        .group_by(totals.country, totals.platform))
    by_country, everyone = {}, {}
    for country, platform, count in rows:
        if country:
            by_country.setdefault(country, {})[platform] = count
        everyone[platform] = everyone.get(platform, 0) + count
    return {**by_country, ALL_COUNTRIES: everyone}


def forget_clicks():
    """Drop the cached counts (tests; the short expiry covers everything else)."""
    conn = redis_connection()
    for key in conn.scan_iter(f"{CLICKS_PREFIX}*"):
        conn.delete(key)
