"""A platform sign-in that starts on a label's own domain.

The platforms know one callback address, the instance's own, but the sign-in is bound to the
browser's visitor id in the session where it started: the domain's. So the instance's callback
only relays what the platform said (code, state, error) to the fan's page on the domain, where
the sign-in is finished as on the instance: the state opens only for the browser that asked
for it, and the outcome and the fan cookie are the domain's own. What the relay needs (the
domain, the artist) is kept server-side under the state, so nobody can point it elsewhere.
"""
import hashlib
import json
from urllib.parse import urlencode

from flask import request
from redis.exceptions import RedisError

from app.extensions import redis_connection
from app.presaves import oauth_state

PREFIX = "presave:oauth-domain:"
RELAYED = ("code", "state", "error", "error_reason", "error_description")


def note(state, host, artist_slug):
    """The sign-in ``state`` began on ``host``: its callback goes back there."""
    redis_connection().set(_key(state), json.dumps({"host": host, "artist": artist_slug}),
                           ex=oauth_state.TTL_SECONDS)


def relay(platform):
    """Where the instance's callback sends the fan when their sign-in began on a domain (the
    same query, on the domain's page for it), else None."""
    state = request.args.get("state")
    if not state or len(state) > oauth_state.MAX_STATE_CHARACTERS:
        return None
    try:
        raw = redis_connection().getdel(_key(state))
    except RedisError:
        return None
    if raw is None:
        return None
    where = json.loads(raw)
    query = urlencode([(name, request.args[name]) for name in RELAYED if name in request.args])
    return f"https://{where['host']}/{where['artist']}/signed-in/{platform}?{query}"


def _key(state):
    return PREFIX + hashlib.sha256(state.encode()).hexdigest()
