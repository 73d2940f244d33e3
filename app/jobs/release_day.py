"""Release day: mark the release released, fan its due pre-saves out to batch jobs.

- start_release_day (job): idempotent; marks the release released when the
  clock says so, finds each platform's item (app.jobs.items), parks pre-saves
  whose item is not on the platform yet, and enqueues batches.
- deliver_batch (job): leases N due rows of one release and platform at a time
  and saves them concurrently over aiohttp (app.jobs.delivery), leasing more while
  rows are due, for up to LEASE_MORE_SECONDS: one work horse, its database
  connection and its HTTP connections serve many chunks. The jobs enqueued after
  it find fewer rows, or none, and end at once. A platform paused past what a
  batch waits out (a 429's Retry-After) leases nothing; a batch that stops or puts
  rows back for a pause schedules resume_delivery at the resume time in RQ (once
  per release, platform and second), which enqueues batches for the rows due again.
- recover_stale_leases() and deliver_due(): called by the minute reconciler, so
  a lost job, a dead worker or a retry time that passed is picked up within a
  minute; the database ledger, not RQ, is the truth.

Every pre-saver whose instant has come is put on the release's "It's out" message
(app.jobs.its_out, a job of its own enqueued after the save batches): remind pre-saves (action "remind") get that message instead of a save,
whatever the platform's item, and take its outcome (app.jobs.messages).
"""
import logging
import math
import time
from datetime import datetime, timezone

from sqlalchemy import func, select, update

from app.releases import rules as release_rules
from app.crypto import DecryptError, keyring
from app.extensions import db
from app.jobs import items, its_out, schedule
from app.jobs.delivery import Batch, Row
from app.jobs.leases import due, lease, recover_stale_leases  # noqa: F401  (for the reconciler)
from app.jobs.runtime import job_app, job_context, tenant_job
from app.jobs.token_refresh import Grant
from app.localtime import now_utc
from app.models import Authorization, PreSave, Release
from app.models.authorization import ACTIVE
from app.models.presave import PENDING, SAVE
from app.models.release import DRAFT
from app.platform_table import APPLE_MUSIC
from app.platforms import aio
from app.platforms.errors import PlatformError, RateLimited
from app.platforms.registry import platform_for

log = logging.getLogger(__name__)

DELIVERY_QUEUE = "delivery"
BATCH_SIZE = 200
BATCH_TIMEOUT = 240  # RQ kills a batch before its lease (LEASE_SECONDS) runs out
BATCH_DEADLINE = 200  # no call starts after this many seconds into a batch
LEASE_MORE_SECONDS = 120  # a batch job leases more rows until this many seconds in


@tenant_job
def start_release_day(label_id, release_id):
    release = db.session.get(Release, release_id)
    if release is None or release.status == DRAFT:
        return {"batches": 0}
    release_rules.advance(release, "release-day")
    _fill_attempt_times(release)
    items_found = {platform: _item_or_park(release, platform)
                   for platform in _due_platforms(release_id)}
    db.session.commit()  # batches read the links and rows committed here
    batches = sum(enqueue_batches(release, platform)
                  for platform, item in items_found.items() if item)
    its_out.enqueue(release)  # after the saves: they start first
    return {"batches": batches}


@tenant_job
def deliver_batch(label_id, release_id, platform, batch_size=BATCH_SIZE):
    """Lease ``batch_size`` due rows at a time and save them, until none is due or the
    job has leased for LEASE_MORE_SECONDS (then the next batch job goes on)."""
    item = items.stored_item(release_id, platform)
    db.session.commit()  # no transaction stays open while the batch runs
    if item is None:
        return {"leased": 0}
    started = time.monotonic()
    chunks = _Chunks(job_app(), label_id, release_id, platform, item, batch_size,
                     until=started + LEASE_MORE_SECONDS)
    with platform_for(label_id, platform) as client:
        batch = Batch(job_app(), label_id, platform, client, started + BATCH_DEADLINE)
        # Paused past what a batch waits out: lease nothing (the rows would come back untried)
        counts = {} if batch.paused_for_long() else aio.run(batch.run(chunks.lease))
    if batch.leased:
        log.info("release %s %s: %s", release_id, platform, counts)
    if batch.paused_until is not None:
        counts["resume_scheduled"] = schedule_resume(label_id, release_id, platform,
                                                     batch.paused_until)
    return {"leased": batch.leased, **counts}


def schedule_resume(label_id, release_id, platform, resume):
    """resume_delivery at the platform's resume time (epoch seconds), scheduled in RQ once
    per release, platform and second however many batches pause at once; 1 if newly
    scheduled. Without it the rows put back would wait for the reconciler's next minute."""
    second, at = _whole_second(resume)
    return _enqueue(resume_delivery, label_id, release_id, platform, at=at,
                    job_id=schedule.resume_id(release_id, platform, second))


@tenant_job
def resume_delivery(label_id, release_id, platform):
    """A pause is over: batches for the rows due again (one batch leases for at most
    LEASE_MORE_SECONDS, so several share a long queue, as on release day)."""
    release = db.session.get(Release, release_id)
    if release is None or release.status == DRAFT:
        return {"batches": 0}
    return {"batches": enqueue_batches(release, platform)}


def _whole_second(epoch):
    """RQ schedules to the second: the next whole one (never before the rows are due),
    and that instant as an aware UTC datetime."""
    second = math.ceil(epoch)
    return second, datetime.fromtimestamp(second, timezone.utc)


class _Chunks:
    """lease(): the next ``size`` due rows leased and loaded, in an app context of its own
    (it runs in a thread beside the batch's event loop); ([], {}) when done."""

    def __init__(self, app, label_id, release_id, platform, item, size, until):
        self.app, self.label_id, self.release_id = app, label_id, release_id
        self.platform, self.item, self.size, self.until = platform, item, size, until
        self.per_storefront = self._storefronts if platform == APPLE_MUSIC else None

    def _storefronts(self, stores):
        """(the release, {storefront: its item}) for the Apple fans of a chunk."""
        release = db.session.get(Release, self.release_id)
        return release, items.storefront_items(release, stores)

    def lease(self):
        if time.monotonic() > self.until:
            return [], {}
        with job_context(self.label_id, "job:deliver_batch", self.app):
            token, ids, _ = lease(self.release_id, self.platform, self.size)
            db.session.commit()
            loaded = _load(ids, self.item, token, self.per_storefront) if ids else ([], {})
            db.session.commit()
            return loaded


def deliver_due(now=None):
    """Start release-day work for every release with due pre-saves; the jobs enqueued."""
    now = now or now_utc()
    pairs = db.session.execute(
        select(PreSave.label_id, PreSave.release_id).distinct()
        .join(Release, Release.id == PreSave.release_id)
        .where(due(now), Release.status != DRAFT)).all()
    minute = schedule.minute_of(now)
    return sum(_enqueue(start_release_day, label_id, release_id,
                        job_id=schedule.release_day_due_id(release_id, minute))
               for label_id, release_id in pairs)


def enqueue_batches(release, platform, now=None):
    """Enough batch jobs for the due saves now; ids are deterministic per minute."""
    now = now or now_utc()
    count = db.session.scalar(select(func.count()).select_from(PreSave).where(
        PreSave.release_id == release.id, PreSave.platform == platform,
        PreSave.action == SAVE, due(now)))
    minute = schedule.minute_of(now)
    return sum(_enqueue(deliver_batch, release.label_id, release.id, platform,
                        job_id=schedule.batch_id("deliver", release.id, platform, minute, n),
                        job_timeout=BATCH_TIMEOUT)
               for n in range(math.ceil(count / BATCH_SIZE)))


def _enqueue(func_, *args, **options):
    """1 when enqueued, 0 when its id is taken or Redis is away (deliver_due enqueues it again
    within a minute); result_ttl=0: a finished job is gone, its id free again."""
    return int(schedule.put(DELIVERY_QUEUE, func_, *args, result_ttl=0, **options) is not None)


def _item_or_park(release, platform):
    try:
        item = items.platform_item(release, platform)
    except PlatformError as exc:
        retry_at = items.park(release, platform, problem=exc)
        if isinstance(exc, RateLimited) and retry_at is not None:
            # the platform said when: look again then, not at the reconciler's next minute
            second, at = _whole_second(retry_at.timestamp())
            _enqueue(start_release_day, release.label_id, release.id, at=at,
                     job_id=schedule.item_lookup_id(release.id, second))
        return None
    if item is None:
        items.park(release, platform)
    return item


def _due_platforms(release_id):
    return db.session.scalars(select(PreSave.platform).distinct().where(
        PreSave.release_id == release_id, PreSave.action == SAVE, due(now_utc()))).all()


def _fill_attempt_times(release):
    """A pending save without a time is due at the release instant (a reminder without one
    waits for its It's out message: app.jobs.its_out)."""
    db.session.execute(
        update(PreSave)
        .where(PreSave.release_id == release.id, PreSave.state == PENDING,
               PreSave.action == SAVE, PreSave.next_attempt_at.is_(None))
        .values(next_attempt_at=release.release_at)
        .execution_options(synchronize_session=False))


def _load(ids, item, token, per_storefront=None):
    """The rows leased under ``token`` as plain values, and each authorization's tokens,
    opened. ``per_storefront(storefronts)``: (the release, the item of each fan's storefront)
    where the platform's ids differ per storefront (Apple's); a fan whose storefront has none
    yet waits without an attempt counted, and fails once the release is 72 hours out."""
    presaves = db.session.scalars(select(PreSave).where(PreSave.id.in_(ids))).all()
    auth_ids = {p.authorization_id for p in presaves if p.authorization_id}
    authorizations = db.session.scalars(select(Authorization).where(
        Authorization.id.in_(auth_ids))).all()
    grants = {a.id: _grant(a) for a in authorizations}
    stores = {a.id: a.storefront for a in authorizations}
    release, found = per_storefront(set(stores.values())) if per_storefront else (None, {})

    def row(p):
        store = stores.get(p.authorization_id)
        own = found.get(store)
        if release is None or p.authorization_id not in stores or own:
            return Row(p.id, p.attempts or 0, p.authorization_id, own or item.id, token,
                       kind=item.kind)
        missing, retry_at = items.storefront_wait(release, store)
        return Row(p.id, p.attempts or 0, p.authorization_id, item.id, token, kind=item.kind,
                   missing=missing, retry_at=retry_at)
    return [row(p) for p in presaves], grants


def _grant(authorization):
    try:
        token = authorization.access_token(keyring()) if authorization.access_token_sealed else None
    except DecryptError:
        token = None  # the refresh path tries the refresh token, or the row is retried
    return Grant(authorization.id, token, authorization.expires_at,
                 active=authorization.state == ACTIVE)
