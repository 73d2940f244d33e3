"""OAuth ``state`` and PKCE verifiers, kept server-side in Redis, sealed and used once.

Authlib would keep them in Flask's signed (not encrypted) session cookie; here the cookie
only carries a random visitor id. A state is stored under a key made from the state, the
visitor it was issued to and the platform it is for, so a state presented by anyone else,
or on another platform's callback, finds nothing and burns nothing: the rightful callback
still works. What it carries (the fan's name, email and consents until the callback) is
sealed with the keyring like every other secret at rest.
"""
import hashlib
import json
import secrets

from flask import session

from app.crypto import DecryptError, keyring
from app.extensions import redis_connection
from app.platforms import oauth as pkce

TTL_SECONDS = 15 * 60
PREFIX = "presave:oauth-state:"
MAX_STATE_CHARACTERS = 200


def visitor_id():
    """A random id for this browser session, created on first need."""
    if "visitor" not in session:
        session["visitor"] = secrets.token_urlsafe(16)
    return session["visitor"]


def _key(state, visitor, platform):
    bound = "\n".join((state, visitor, platform))
    return PREFIX + hashlib.sha256(bound.encode()).hexdigest()


def _context(platform):
    return ("oauth-state", platform)


def issue(platform, payload):
    """Store payload for one callback; returns (state, code_verifier, code_challenge)."""
    state, verifier = pkce.new_state(), pkce.new_code_verifier()
    record = json.dumps({"verifier": verifier, "payload": payload})
    redis_connection().set(_key(state, visitor_id(), platform),
                           keyring().seal(record, _context(platform)), ex=TTL_SECONDS)
    return state, verifier, pkce.code_challenge(verifier)


def consume(state, platform):
    """(payload, code_verifier) for a state issued to this visitor for ``platform``, or None.
    Single use: taken atomically (GETDEL), so two callbacks cannot both have it."""
    visitor = session.get("visitor")
    if not state or len(state) > MAX_STATE_CHARACTERS or not visitor:
        return None
    sealed = redis_connection().getdel(_key(state, visitor, platform))
    if sealed is None:
        return None
    try:
        record = json.loads(keyring().open(sealed.decode(), _context(platform)))
    except DecryptError:
        return None  # sealed with a key since removed: as good as expired
    return record["payload"], record["verifier"]
