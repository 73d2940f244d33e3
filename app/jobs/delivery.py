"""The async part of a release-day batch: save leased rows concurrently, record outcomes.

Rows arrive already leased (app.jobs.leases), a chunk at a time; this module only
talks to the platform over aiohttp (app.platforms.aio) and hands outcomes to a writer
that commits them in small groups (one UPDATE per kind of outcome) from a thread with
its own app context, so a worker that dies mid-batch loses at most a few outcomes
(their rows come back when the lease runs out, and a repeated library save is harmless).
"""
import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from app import metrics
from app.extensions import db
from app.jobs import outcomes, throttle
from app.jobs.outcomes import REVOKED_REASON, Delivered, Failed, Retry, Revoked
from app.jobs.runtime import job_context
from app.jobs.token_refresh import DOUBT_SECONDS, TokenKeeper
from app.platforms.aio import AsyncHttp, http_session
from app.platforms.errors import (GrantRevoked, ItemsRejected, PlatformError, QuotaExceeded,
                                  RateLimited, TokenRejected, TransientError)

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
    lease_token: str
    kind: str = "track"  # what item_id names: "track" or "album"
    missing: str | None = None  # why there is no item to save for this fan (not tried)
    retry_at: datetime | None = None  # when to look again; None with missing: it failed


class Writer:
    """Outcomes committed in small groups, one group at a time, off the event loop. A
    group is written in the background: no save waits for a commit (the next group
    gathers meanwhile)."""

    def __init__(self, app, label_id, platform):
        self.app, self.label_id, self.platform = app, label_id, platform
        self.pending, self.counts = [], {}
        self.lock, self.flushed_at = asyncio.Lock(), time.monotonic()
        self.writing = None

    async def add(self, row, outcome):
        self.pending.append((row, outcome))
        due = len(self.pending) >= FLUSH_EVERY or time.monotonic() - self.flushed_at > FLUSH_SECONDS
        if due and (self.writing is None or self.writing.done()):
            if self.writing is not None:
                self.writing.result()  # a failed write stops the batch here
            self.writing = asyncio.ensure_future(self.flush())

    async def close(self):
        """Everything written; the counts."""
        if self.writing is not None:
            await self.writing
        await self.flush()
        return self.counts

    async def flush(self):
        async with self.lock:
            group, self.pending = self.pending, []
            if group:
                await asyncio.to_thread(self._write, group)
            self.flushed_at = time.monotonic()

    def _write(self, group):
        by_lease = {}
        for row, outcome in group:
            by_lease.setdefault(row.lease_token, []).append((outcome, row.attempts))
        with job_context(self.label_id, "job:deliver_batch", self.app):
            counts = [outcomes.write_many(pairs, token) for token, pairs in by_lease.items()]
            db.session.commit()
        for found in counts:
            metrics.presaves_settled(self.platform, found)
            for kind, count in found.items():
                self.counts[kind] = self.counts.get(kind, 0) + count


class Batch:
    """One platform's due rows for one label, leased a chunk at a time and saved
    ``concurrency`` at a time; ``run()`` returns outcome counts.

    ``lease_more()`` (called in a thread) leases the next chunk: (rows, grants), no rows
    when nothing more is due. It is called again whenever fewer than ``concurrency`` rows
    wait, so calls stay in flight while a chunk is leased, and the connections (one
    ClientSession per process, app.platforms.aio) serve every chunk."""

    def __init__(self, app, label_id, platform, client, deadline, concurrency=CONCURRENCY):
        self.app, self.label_id, self.client = app, label_id, client
        self.deadline, self.concurrency = deadline, concurrency
        self.grants, self.leased = {}, 0
        self.keeper = TokenKeeper(app, label_id, platform)
        self.writer = Writer(app, label_id, platform)
        self.pauses = throttle.PauseWatch(throttle.pause_key(platform, client.credentials.client_id))
        self.paused_until = None  # the latest resume time this batch stopped or put rows back for
        self.http = None

    async def run(self, lease_more):
        self.http = AsyncHttp(await http_session())
        waiting, hungry = asyncio.Queue(), asyncio.Event()

        async def feed():
            while not self.paused_for_long():
                rows, grants = await asyncio.to_thread(lease_more)
                if not rows:
                    break
                self.leased += len(rows)
                for grant_id, grant in grants.items():
                    self.grants.setdefault(grant_id, grant)  # a refreshed one stays
                for row in rows:
                    waiting.put_nowait(row)
                while waiting.qsize() >= self.concurrency:
                    hungry.clear()
                    await hungry.wait()

        async def save():
            while (row := await waiting.get()) is not None:
                if waiting.qsize() < self.concurrency:
                    hungry.set()
                await self.writer.add(row, await self.attempt(row))

        savers = [asyncio.ensure_future(save()) for _ in range(self.concurrency)]
        try:
            await feed()
        except asyncio.CancelledError:  # the job timed out: its rows come back with the lease
            for saver in savers:
                saver.cancel()
            if self.writer.writing is not None:
                self.writer.writing.cancel()
            raise
        except Exception:  # leasing failed: the rows already leased are still seen through
            await self.finish(waiting, savers)
            raise
        await self.finish(waiting, savers)
        return self.writer.counts

    async def finish(self, waiting, savers):
        for _ in savers:
            waiting.put_nowait(None)
        await asyncio.gather(*savers)
        await self.writer.close()

    def paused_for_long(self):
        """The platform is paused past what a batch waits out: lease nothing more."""
        resume = self.pauses.resume_at()
        if resume is None or resume - time.time() <= MAX_INLINE_WAIT:
            return False
        self.note_pause(resume)
        return True

    def note_pause(self, resume):
        self.paused_until = max(self.paused_until or 0.0, resume)

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
        if row.missing:
            return (Retry(row.presave_id, row.missing, at=row.retry_at, counts=False)
                    if row.retry_at else Failed(row.presave_id, row.missing))
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
                await self.http.save_items(self.client, token, [row.item_id], row.kind)
                return Delivered(row.presave_id, row.kind)
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
            resume = throttle.pause(self.pauses.key, exc.retry_after)
            self.pauses.note(resume)
            self.note_pause(resume)
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
            resume = self.pauses.resume_at()
            if resume is None:
                return None
            wait = resume - time.time()
            if wait > MAX_INLINE_WAIT or time.monotonic() + wait > self.deadline:
                self.note_pause(resume)
                return Retry(row.presave_id, "platform paused (Retry-After)", at=_utc(resume),
                             counts=False)
            await asyncio.sleep(wait)


def _utc(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc)
