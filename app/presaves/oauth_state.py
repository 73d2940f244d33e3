"""OAuth ``state`` and PKCE verifiers, kept server-side in Redis and used once.

Authlib would keep them in Flask's signed (not encrypted) session cookie; here
the cookie only carries a random visitor id, and a state is honoured only for
the visitor it was issued to, once, within its lifetime.
"""
import hashlib
import json
import secrets

from flask import session

from app.extensions import redis_connection
from app.platforms import oauth as pkce

TTL_SECONDS = 15 * 60
PREFIX = "presave:oauth-state:"


def visitor_id():
    """A random id for this browser session, created on first need."""
    if "visitor" not in session:
        session["visitor"] = secrets.token_urlsafe(16)
    return session["visitor"]


def _key(state):
    return PREFIX + hashlib.sha256(state.encode()).hexdigest()


def issue(payload):
    """Store payload for one callback; returns (state, code_verifier, code_challenge)."""
    state, verifier = pkce.new_state(), pkce.new_code_verifier()
    record = {"visitor": visitor_id(), "verifier": verifier, "payload": payload}
    redis_connection().set(_key(state), json.dumps(record), ex=TTL_SECONDS)
    return state, verifier, pkce.code_challenge(verifier)


def consume(state):
    """(payload, code_verifier) for a state issued to this visitor, or None. Single use."""
    if not state or len(state) > 200:
        return None
    raw = redis_connection().getdel(_key(state))
    if raw is None:
        return None
    record = json.loads(raw)
    if record["visitor"] != session.get("visitor"):
        return None
    return record["payload"], record["verifier"]
