"""The link job: look a release's streaming links up when its pre-save opens, again at the
release instant, then on a back-off schedule until every enabled platform is found or
72 hours have passed; then say what is still missing (app.releases.readiness shows it to staff).

The database is the truth: Release.links_next_check_at is the next look-up. Each one is
also an RQ job at that instant (enqueue_at, aware UTC, one deterministic id per instant,
so two runs that plan the same next look-up schedule it once); the minute reconciler
enqueues whatever is overdue, and any open or released release never looked at.
"""
import logging
from datetime import timedelta

from sqlalchemy import or_, select

from app.releases import links as streaming_links
from app.extensions import db
from app.jobs import schedule
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.models import Release
from app.models.release import PRESAVE_ACTIVE, RELEASED
from app.platform_table import name as platform_name

log = logging.getLogger(__name__)

LINKS_QUEUE = "links"
LOOKING = (PRESAVE_ACTIVE, RELEASED)
GIVE_UP_AFTER = streaming_links.GIVE_UP_AFTER
GRACE = timedelta(minutes=1)  # the exact job's own minute before the reconciler steps in
JOB_TIMEOUT = 300
# After the release instant: quickly at first (platforms ingest within minutes to hours),
# then every six hours, the last look exactly when the 72 hours are up.
AFTER_RELEASE = tuple(timedelta(minutes=m) for m in (5, 15, 30, 60, 120, 240, 480, 720)) + \
    tuple(timedelta(hours=h) for h in range(18, 73, 6))


@tenant_job
def resolve_links(label_id, release_id):
    """One look-up of the release's missing links, then the next one planned."""
    release = db.session.get(Release, release_id)
    if release is None:
        return {"looked": False}
    if release.status not in LOOKING:
        release.links_next_check_at = None
        return {"looked": False}
    outcomes = look(release)
    db.session.commit()
    schedule_planned(release)
    return {"looked": True, "found": sorted(p for p, o in outcomes.items() if o.link),
            "missing": streaming_links.missing(release)}


def look(release, progress=lambda platform: None, now=None):
    """Resolve now and record the attempt (also `flask release resolve-links`)."""
    outcomes = streaming_links.resolve(release, progress)
    record_attempt(release, now or now_utc())
    return outcomes


def record_attempt(release, now):
    release.links_attempts = (release.links_attempts or 0) + 1
    release.links_checked_at = now
    missing = streaming_links.missing(release)
    if missing and now >= release.release_at + GIVE_UP_AFTER:
        if release.links_gave_up_at is None:
            log.warning("release %s: gave up on %s after 72 h", release.id,
                        ", ".join(platform_name(p) for p in missing))
        release.links_gave_up_at = release.links_gave_up_at or now
        release.links_next_check_at = None
    elif missing and release.status in LOOKING:
        release.links_next_check_at = next_check(release, now)
    else:
        release.links_next_check_at = None


def next_check(release, now):
    """The next look-up: the release instant, then AFTER_RELEASE, by the release's clock
    (not the last run's), so the same plan comes out however often it is asked."""
    if now < release.release_at:
        return release.release_at
    return next((release.release_at + after for after in AFTER_RELEASE
                 if release.release_at + after > now), release.release_at + GIVE_UP_AFTER)


def look_now(release):
    """Lifecycle hook (the pre-save opened, the release is out): a look-up is due now.
    Call schedule_planned() once committed."""
    if release.links_gave_up_at is None:
        release.links_next_check_at = now_utc()


def at_release(release):
    """Lifecycle hook after release (also a surprise drop, which skips the clock): look now,
    unless the clock's own hook planned that already."""
    planned = release.links_next_check_at
    if planned is None or planned > now_utc():
        _enqueue(release, schedule.links_id(release.id, release.release_at))


def schedule_planned(release):
    """Put the planned look-up in RQ at its instant (now, when it is due already)."""
    at = release.links_next_check_at
    if at is None:
        return None
    return _enqueue(release, schedule.links_id(release.id, at), at=at if at > now_utc() else None)


def enqueue_due(now=None):
    """For the reconciler: look-ups overdue by more than GRACE, and open or released releases
    never looked at (created before the link job, or released through another path)."""
    now = now or now_utc()
    due = db.session.scalars(select(Release).where(
        Release.status.in_(LOOKING), Release.links_gave_up_at.is_(None),
        or_(Release.links_next_check_at <= now - GRACE,
            Release.links_checked_at.is_(None) & Release.links_next_check_at.is_(None)))).all()
    minute = schedule.minute_of(now)
    return sum(bool(_enqueue(release, schedule.links_due_id(release.id, minute)))
               for release in due)


def _enqueue(release, job_id, at=None):
    return schedule.put(LINKS_QUEUE, resolve_links, release.label_id, release.id, job_id=job_id,
                        at=at, result_ttl=0, job_timeout=JOB_TIMEOUT)
