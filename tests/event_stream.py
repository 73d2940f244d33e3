"""Helpers for the analytics capture tests: visitors from known places, the drain on RQ."""
from rq import SimpleWorker
from sqlalchemy import select

from app.analytics import capture
from app.extensions import db, queue, redis_connection
from app.jobs import analytics
from app.models import Event, Release
from app.tenants.context import Scope, scoped

# Addresses the bundled GeoLite2-City database places in known cities.
AMSTERDAM = "193.0.6.139"
MINNEAPOLIS = "128.101.101.101"
SYDNEY = "203.2.218.214"
STOCKHOLM = "89.160.20.112"
OXFORD = "129.67.1.1"

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
DESKTOP = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0.0.0 Safari/537.36")
ANDROID_TABLET = ("Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/131.0.0.0 Safari/537.36")
INSTAGRAM = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Mobile/15E148 Instagram 300.0.0.0.0")
BOTS = {
    "Googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "facebookexternalhit": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot": "Twitterbot/1.0",
    "Slackbot-LinkExpanding": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "WhatsApp": "WhatsApp/2.23.20.0 A",
    "Discordbot": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "TelegramBot": "TelegramBot (like TwitterBot)",
    "curl": "curl/8.5.0",
    "python-requests": "python-requests/2.32.3",
    "no user agent": "",
}


def visitor(app, address, user_agent):
    """A test client that is one browser on one address."""
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=address, HTTP_USER_AGENT=user_agent)
    return client


def drain(app, claim_idle_ms=None, name=None):
    """Run the drain job on a real RQ worker (burst, in this process). Everything was sent
    before: it need not wait for more."""
    kwargs = {"linger_ms": 0} if claim_idle_ms is None else {"claim_idle_ms": claim_idle_ms,
                                                             "linger_ms": 0}
    with app.app_context():
        queue(capture.QUEUE).enqueue(analytics.drain, None, **kwargs)
        SimpleWorker([queue(capture.QUEUE)], connection=redis_connection(),
                     name=name).work(burst=True)


def events_of(app, slug):
    with app.app_context(), scoped(Scope.platform("test")):
        release_id = db.session.scalars(select(Release.id).where(Release.slug == slug)).one()
        return db.session.scalars(select(Event).where(Event.release_id == release_id)
                                  .order_by(Event.occurred_at, Event.id)).all()


def stream_state(app):
    """(entries in the stream, entries read but not acknowledged)."""
    with app.app_context():
        conn = redis_connection()
        analytics.ensure_group(conn)
        return conn.xlen(capture.STREAM), conn.xpending(capture.STREAM, analytics.GROUP)["pending"]
