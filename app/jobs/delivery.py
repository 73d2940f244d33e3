"""The async part of a release-day batch: save leased rows concurrently, record outcomes.

Rows arrive already leased (app.jobs.leases); this module only talks to the
platform over aiohttp (app.platforms.aio) and hands outcomes to a writer that
commits them in small groups from a thread with its own app context, so a
worker that dies mid-batch loses at most a few outcomes (their rows come back
when the lease runs out, and a repeated library save is harmless).
"""
import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from app.extensions import db
from app.jobs import outcomes, throttle
from app.jobs.outcomes import REVOKED_REASON, Delivered, Failed, Retry, Revoked
from app.jobs.token_refresh import DOUBT_SECONDS, TokenKeeper
from app.platforms.aio import AsyncHttp, session
from app.platforms.errors import (GrantRevoked, ItemsRejected, PlatformError, QuotaExceeded,
                                  RateLimited, TokenRejected, TransientError)
from app.tenants.context import Scope, scoped

log = logging.getLogger(__name__)

CONCURRENCY = 32
MAX_INLINE_WAIT = 5.0  # a shorter platform pause is waited out inside the batch
FLUSH_EVERY, FLUSH_SECONDS = 25, 1.0


@dataclass(frozen=True)
class Row:
    presave_id: int
    attempts: int
    authorization_id: int | None
    item_id: str


class Writer:
    """Outcomes committed in small groups, one group at a time, off the event loop."""

    def __init__(self, app, label_id, lease_token):
        self.app, self.label_id, self.lease_token = app, label_id, lease_token
        self.pending, self.counts = [], {}
        self.lock, self.flushed_at = asyncio.Lock(), time.monotonic()

    async def add(self, row, outcome):
        self.pending.append((row, outcome))
        if len(self.pending) >= FLUSH_EVERY or time.monotonic() - self.flushed_at > FLUSH_SECONDS:
            await self.flush()

    async def flush(self):
        async with self.lock:
            group, self.pending = self.pending, []
            if group:
                await asyncio.to_thread(self._write, group)
            self.flushed_at = time.monotonic()

    def _write(self, group):
        with self.app.app_context(), scoped(Scope.label(self.label_id, actor="job:deliver_batch")):
            try:
                for row, outcome in group:
                    written = outcomes.write(outcome, self.lease_token, row.attempts)
                    kind = type(outcome).__name__.lower() if written else "lease_lost"
                    self.counts[kind] = self.counts.get(kind, 0) + 1
                db.session.commit()
            finally:
                db.session.remove()


class Batch:
    """One platform's leased rows for one label; ``run()`` returns outcome counts."""

    def __init__(self, app, label_id, platform, client, grants, lease_token, deadline,
                 concurrency=CONCURRENCY):
        self.app, self.label_id, self.client = app, label_id, client
        self.grants, self.deadline, self.concurrency = grants, deadline, concurrency
        self.keeper = TokenKeeper(app, label_id, platform)
        self.writer = Writer(app, label_id, lease_token)
        self.pause_key = throttle.pause_key(platform, client.credentials.client_id)
        self.http = None

    async def run(self, rows):
        limit = asyncio.Semaphore(self.concurrency)
        async with session(self.concurrency) as http_session:
            self.http = AsyncHttp(http_session)

            async def one(row):
                async with limit:
                    outcome = await self.attempt(row)
                await self.writer.add(row, outcome)

            await asyncio.gather(*(one(row) for row in rows))
        await self.writer.flush()
        return self.writer.counts

    async def attempt(self, row):
        try:
            return await self._attempt(row)
        except Exception as exc:  # never leave a row in progress; no message (may hold a URL)
            log.warning("pre-save %s: unexpected %s", row.presave_id, type(exc).__name__)
            return Retry(row.presave_id, f"unexpected error ({type(exc).__name__})")

    async def _attempt(self, row):
        grant = self.grants.get(row.authorization_id)
        if grant is None:
            return Failed(row.presave_id, REVOKED_REASON)
        rejected = None
        for second_go in (False, True):
            paused = await self.wait_for_platform(row)
            if paused:
                return paused
            try:
                token = await self.keeper.token(grant, rejected)
            except GrantRevoked:
                grant.active = False
                return Revoked(row.presave_id, grant.id)
            except PlatformError as exc:  # the token endpoint is busy, throttled or down
                return self.failure(row, exc)
            try:
                await self.http.save_tracks(self.client, token, [row.item_id])
                return Delivered(row.presave_id)
            except (TokenRejected, GrantRevoked) as exc:
                if second_go:
                    return self.refused_twice(row, grant, exc)
                rejected = token  # refresh it (or, without refresh, doubt once and try again)
                if exc.revoked:
                    await asyncio.sleep(DOUBT_SECONDS)
            except PlatformError as exc:
                return self.failure(row, exc)

    def refused_twice(self, row, grant, exc):
        if exc.revoked:
            grant.active = False
            return Revoked(row.presave_id, grant.id)
        return Retry(row.presave_id, f"token refused after refresh ({exc.message})")

    def failure(self, row, exc):
        if isinstance(exc, RateLimited):
            resume = throttle.pause(self.pause_key, exc.retry_after)
            kind = "quota_exceeded" if isinstance(exc, QuotaExceeded) else "rate_limited"
            return Retry(row.presave_id, f"{kind}: {exc.message}", at=_utc(resume), counts=False)
        if isinstance(exc, TransientError):
            return Retry(row.presave_id, exc.message)
        if isinstance(exc, ItemsRejected):
            return Failed(row.presave_id, f"item not available: {exc.message}")
        return Failed(row.presave_id, f"refused by the platform: {exc.message}")

    async def wait_for_platform(self, row):
        """None when calls may go ahead; else the Retry that puts the row back untried."""
        while True:
            if time.monotonic() > self.deadline:
                return Retry(row.presave_id, "batch ran out of time", at=_utc(time.time()),
                             counts=False)
            resume = throttle.resume_at(self.pause_key)
            if resume is None:
                return None
            wait = resume - time.time()
            if wait > MAX_INLINE_WAIT or time.monotonic() + wait > self.deadline:
                return Retry(row.presave_id, "platform paused (Retry-After)", at=_utc(resume),
                             counts=False)
            await asyncio.sleep(wait)


def _utc(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc)
