"""Recording what fans do on the fan pages, cheaply: an XADD to a Redis stream per event.

``record(kind, release, platform)`` reads the request itself: the client
address (through ProxyFix when TRUSTED_PROXIES is set), the user agent, the
referrer and the utm_* parameters. Only derived values leave the request: the
visitor hash, the GeoIP place and the referrer's domain, never the address.
Bots and link-preview fetchers are not recorded. Events reach the stream through
the process's outbox (app.analytics.outbox), and the ingest job
(app.jobs.analytics) moves the stream into the database in batches.

A visit's source (the referrer's domain and UTM tags of the page view that
started it) is kept in a session cookie, so the later steps (the pre-save form,
the platform's sign-in callback) are credited to it too.
"""
import json
import logging
from collections import deque
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import current_app, g, request
from redis.exceptions import RedisError

from app import visitors
from app.analytics import ab_assign, outbox, useragents
from app.analytics.geoip import locate
from app.extensions import redis_connection
from app.localtime import now_utc

# One hash tag: both keys live on one node of a Redis Cluster, as the script needs.
STREAM = "{analytics}:events"
DRAIN_FLAG = "{analytics}:drain-queued"
DRAIN_FLAG_SECONDS = 30  # a lost drain job is replaced after this (the cron runs each minute)
DRAIN_JOB = "app.jobs.analytics.drain"
QUEUE = "analytics"
SOURCE_COOKIE = "presave_src"
UTM = ("utm_source", "utm_medium", "utm_campaign")
FIELD_LENGTH = 120
LINK_COOKIE = "presave_link"  # "<release id>.<short link id>": the short link of this visit
ONCE_KEY = "analytics:once:{kind}:{release_id}:{platform}:{link}:{visitor}"
ONCE_SECONDS = 2 * 86400  # past the end of the visitor hash's day, wherever it started
# Events kept in this process while Redis cannot be reached, sent with the next event.
FALLBACK_SIZE = 10000
_fallback = deque(maxlen=FALLBACK_SIZE)
# XADD each event, then set the drain flag if unset: one round trip, whatever the batch.
ADD_EVENTS = """
for i = 2, #ARGV do redis.call('XADD', KEYS[1], '*', 'e', ARGV[i]) end
return redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1])
"""
_script = None
log = logging.getLogger(__name__)


def record(kind, release, platform=None, once_a_day=False, link_id=None):
    """Record one event of ``release`` for the current request. Never raises. Returns
    whether it was recorded.

    ``once_a_day``: only the visitor's first such event of the UTC day for this release,
    platform and short link counts (a fan tapping "Listen" twice, or a script replaying the
    link). ``link_id``: the short link the event is about (else the visit's, if any)."""
    try:
        user_agent = request.user_agent.string
        if useragents.is_bot(user_agent):
            return False
        event = _event(kind, release, platform, user_agent)
        if link_id is not None:
            event["link"] = link_id
        if once_a_day and not _first_today(event):
            return False
        outbox.for_app(current_app._get_current_object(), send).add(json.dumps(event))
        return True
    except Exception:  # analytics must never break the fan's page
        log.exception("analytics event %s dropped", kind)
        return False


def _first_today(event):
    """Whether no such event of this visitor was recorded today (the visitor hash changes
    with the day). While Redis cannot say, the event counts: better twice than lost."""
    key = ONCE_KEY.format(**event)
    try:
        return bool(redis_connection().set(key, 1, nx=True, ex=ONCE_SECONDS))
    except RedisError:
        return True


def _event(kind, release, platform, user_agent):
    now = now_utc()
    place = request_place()
    referrer, utm = source(kind)
    return {
        "kind": kind, "release_id": release.id, "artist_id": release.artist_id,
        "label_id": release.label_id, "platform": platform, "at": now.isoformat(),
        "visitor": visitors.visitor_hash(request.remote_addr, user_agent, now.date()),
        "city": place.city, "region": place.region, "country": place.country,
        "lat": place.latitude, "lon": place.longitude, "tz": place.timezone,
        "referrer": referrer, **utm,
        "device": useragents.device_class(user_agent),
        "in_app": useragents.in_app(user_agent),
        "variant": ab_assign.shown_key(release),
        "link": visit_link(release),
    }


def visit_link(release):
    """The short link this visit to ``release`` came through (its cookie), or None. The
    ingest drops an id that is not one of the release's links."""
    raw = request.cookies.get(LINK_COOKIE, "")
    release_part, _, link_part = raw.partition(".")
    if release_part == str(release.id) and link_part.isdecimal() and len(link_part) < 10:
        return int(link_part)
    return None


def remember_link(response, release, link_id):
    """After a visit through a short link: credit the visit's later steps to it."""
    response.set_cookie(LINK_COOKIE, f"{release.id}.{link_id}", httponly=True, samesite="Lax",
                        path="/s/", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def request_place():
    """The GeoIP place of the client, looked up once per request (a request's events and its
    page share it; keyed by the address, as a nested in-process request shares ``g``)."""
    address = request.remote_addr
    cached = g.get("analytics_place")
    if cached is None or cached[0] != address:
        cached = g.analytics_place = (address, locate(address))
    return cached[1]


def send(events):
    """XADD the events, JSON each (and any kept back while Redis was down); queue a drain when
    none is. Needs an app context."""
    batch = _take_fallback() + list(events)
    try:
        conn = redis_connection()
        flag_set = _add_script(conn)(keys=[STREAM, DRAIN_FLAG],
                                     args=[DRAIN_FLAG_SECONDS, *batch], client=conn)
    except RedisError as exc:
        # Kept in memory and sent with this process's next event. Only a process that dies
        # before Redis is back (or falls more than FALLBACK_SIZE events behind) loses some:
        # analytics counts, never a pre-save, and the fan's page is not held up.
        _fallback.extend(batch)
        log.warning("analytics: Redis unavailable, %d events kept in memory (%s)",
                    len(_fallback), exc.__class__.__name__)
        return
    if flag_set:
        try:
            enqueue_drain()
        except RedisError as exc:  # the events are in the stream: the minute cron drains them
            log.warning("analytics: drain not queued (%s)", exc.__class__.__name__)


def _add_script(conn):
    global _script
    if _script is None:  # built once per process; each call names its connection
        _script = conn.register_script(ADD_EVENTS)
    return _script


def _take_fallback():
    taken = []
    while True:
        try:
            taken.append(_fallback.popleft())
        except IndexError:
            return taken


def enqueue_drain():
    from app.extensions import queue

    # One a second at most under load: keep their results only briefly.
    queue(QUEUE).enqueue(DRAIN_JOB, None, description="analytics: drain the event stream",
                         result_ttl=60)


def source(kind):
    """(referrer domain, {utm_*}) credited to this event.

    A page view that arrives from another site or with UTM tags starts a source; every
    other event takes the source its visit started with (the cookie), else its own."""
    own_referrer, own_utm, started = _request_sources()
    if kind != "page_view" and started is not None:
        return started
    if own_referrer or own_utm or started is None:
        return own_referrer, own_utm
    return started


def _request_sources():
    """(this request's referrer domain, its UTM tags, the source its cookie holds), read once
    per request (keyed by its environ, as a nested in-process request shares ``g``)."""
    cached = g.get("analytics_sources")
    if cached is None or cached[0] is not request.environ:
        cached = g.analytics_sources = (request.environ, external_referrer(),
                                        _utm(request.args) if request.args else {},
                                        _from_cookie())
    return cached[1:]


def external_referrer():
    """The referring site's host (without "www."), or None for none or this site itself."""
    host = urlsplit(request.referrer or "").hostname
    if not host or host == request.host.split(":")[0]:
        return None
    return host.removeprefix("www.")[:255]


def _clip(value):
    return value.strip()[:FIELD_LENGTH] or None


def _utm(values):
    utm = {key: _clip(values.get(key) or "") for key in UTM}
    return {key: value for key, value in utm.items() if value}


def _from_cookie():
    raw = request.cookies.get(SOURCE_COOKIE)
    if raw is None:
        return None
    values = dict(parse_qsl(raw[:2048]))
    return (values.get("referrer") or None), _utm(values)


def remember_source(response):
    """After a page view that started a source, keep it for the visit's later steps."""
    referrer, utm = source("page_view")
    if referrer is None and not utm:
        return response
    value = urlencode({"referrer": referrer or "", **utm})
    if request.cookies.get(SOURCE_COOKIE) != value:
        response.set_cookie(SOURCE_COOKIE, value, httponly=True, samesite="Lax", path="/s/",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
