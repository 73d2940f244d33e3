"""Fresh access tokens on release day: one refresh at a time per authorization.

Within a batch, coroutines needing the same grant share one refresh (a future
per authorization); across workers a Redis lock (SET NX with expiry) lets one
refresh while the others wait and then read the token it stored. A rotated
refresh token is committed at once (the old one is dead from that moment); when
the platform sends none back, the old one stays. An ``invalid_grant`` is tried
once more, after re-reading the row, before it is believed.

The database work runs in a thread with an app context of its own, so the
batch's event loop keeps saving while one grant refreshes. Tokens are never
logged.
"""
import asyncio
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from app import metrics
from app.crypto import keyring
from app.extensions import db, redis_connection
from app.jobs.runtime import job_context
from app.localtime import now_utc
from app.models import Authorization
from app.models.authorization import ACTIVE
from app.platforms.errors import GrantRevoked, NotSupported, PlatformError, TransientError
from app.platforms.registry import platform_for

REFRESH_MARGIN = timedelta(minutes=1)
LOCK_MS = 30_000  # longer than a token call may take
WAIT_SECONDS = 25.0  # how long a worker waits for another's refresh
POLL_SECONDS = 0.05
DOUBT_SECONDS = 0.5  # before believing an invalid_grant

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass
class Grant:
    """What the batch knows of an authorization; updated in place after a refresh."""

    id: int
    access_token: str | None
    expires_at: datetime | None
    active: bool = True

    def __repr__(self):
        return f"Grant(id={self.id}, expires_at={self.expires_at!r}, active={self.active})"


def expiring(expires_at, now=None):
    return expires_at is not None and expires_at <= (now or now_utc()) + REFRESH_MARGIN


def lock_key(authorization_id):
    return f"presave:lock:refresh:{authorization_id}"


class TokenKeeper:
    """Access tokens for one batch of one label and platform."""

    def __init__(self, app, label_id, platform):
        self.app, self.label_id, self.platform = app, label_id, platform
        self._refreshing = {}

    async def token(self, grant, rejected=None):
        """The grant's access token; refreshed first when expiring or when ``rejected``
        (the token the platform just refused) is still the stored one."""
        if not grant.active:
            raise GrantRevoked("authorization revoked", code="revoked")
        if rejected is None and grant.access_token and not expiring(grant.expires_at):
            return grant.access_token
        key = (grant.id, rejected)
        if key not in self._refreshing:
            self._refreshing[key] = asyncio.ensure_future(
                asyncio.to_thread(self._fresh, grant.id, rejected))
        grant.access_token, grant.expires_at = await self._refreshing[key]
        return grant.access_token

    def token_now(self, authorization_id):
        """The grant's access token, refreshed first when expiring, from the caller's own
        context (a fan's request); raises GrantRevoked when it cannot be had."""
        return self._fresh_in_context(authorization_id, None)[0]

    # -- in a thread, with an app context and session of its own -------------------

    def _fresh(self, authorization_id, rejected):
        with job_context(self.label_id, "job:token_refresh", self.app):
            return self._fresh_in_context(authorization_id, rejected)

    def _fresh_in_context(self, authorization_id, rejected):
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            grant = self._usable(authorization_id, rejected)
            if not isinstance(grant, Authorization):
                return grant
            owner = secrets.token_hex(8)
            if redis_connection().set(lock_key(authorization_id), owner, nx=True, px=LOCK_MS):
                try:
                    return self._refresh_locked(authorization_id, rejected)
                finally:
                    redis_connection().eval(_UNLOCK, 1, lock_key(authorization_id), owner)
            if time.monotonic() > deadline:
                raise TransientError("token refresh still running elsewhere", code="refresh_busy")
            time.sleep(POLL_SECONDS)

    def _usable(self, authorization_id, rejected):
        """(token, expires_at) when the stored token will do; else the row to refresh."""
        db.session.rollback()  # a new snapshot: another worker may have committed
        grant = db.session.get(Authorization, authorization_id)
        if grant is None or grant.state != ACTIVE:
            raise GrantRevoked("authorization revoked", code="revoked")
        token = grant.access_token(keyring()) if grant.access_token_sealed else None
        if token and token != rejected and not expiring(grant.expires_at):
            return token, grant.expires_at
        return grant

    def _refresh_locked(self, authorization_id, rejected):
        for doubt in (False, True):
            grant = self._usable(authorization_id, rejected)  # someone may have just refreshed
            if not isinstance(grant, Authorization):
                return grant
            try:
                return self._refresh(grant)
            except GrantRevoked:
                if doubt:
                    raise
                time.sleep(DOUBT_SECONDS)

    def _refresh(self, grant):
        ring = keyring()
        if not grant.refresh_token_sealed:
            return self._unrefreshable(grant, ring)
        with platform_for(self.label_id, self.platform) as client:
            try:
                tokens = client.refresh(grant.refresh_token(ring))
            except NotSupported:
                return self._unrefreshable(grant, ring)
            except PlatformError as exc:
                metrics.add(metrics.TOKEN_REFRESHES, 1, self.platform,
                            "revoked" if exc.revoked else "error")
                raise
        metrics.add(metrics.TOKEN_REFRESHES, 1, self.platform, "ok")
        grant.set_tokens(ring, tokens.access_token, tokens.refresh_token)  # None: keep the old
        grant.expires_at = tokens.expires_at
        grant.scopes = tokens.scope or grant.scopes
        db.session.commit()  # at once: a rotated refresh token replaces one now dead
        return tokens.access_token, tokens.expires_at

    @staticmethod
    def _unrefreshable(grant, ring):
        """No refresh possible (Deezer, Apple): an unexpired token is tried again as it is."""
        if expiring(grant.expires_at) or not grant.access_token_sealed:
            raise GrantRevoked("the access token expired and cannot be refreshed",
                               code="no_refresh")
        return grant.access_token(ring), grant.expires_at
