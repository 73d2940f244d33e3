"""Release lifecycle jobs: exact scheduling plus a reconciler that catches up."""
import logging
from datetime import timedelta, timezone

from flask import current_app
from sqlalchemy import select

from app import metrics
from app.releases import ab_tests, rules as release_rules, signals as release_signals
from app.releases.state import behind_the_clock
from app.extensions import db
from app.jobs import (future_saves, health, links as link_jobs, messages, opening_notices,
                      reconsent, release_day, schedule)
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.models import Release
from app.models.release import ANNOUNCED, PRESAVE_ACTIVE, RELEASED
from app.webhooks import events as webhook_events, payloads

LIFECYCLE_QUEUE = "release"
log = logging.getLogger(__name__)


@tenant_job
def reconcile(label_id=None):
    """Advance every release whose instant has passed, archive old ones, then hand over to
    release day. Returns counts."""
    now = now_utc()
    due = db.session.scalars(select(Release).where(behind_the_clock(now))).all()
    released = [release for release in due if _advance(release)]
    cutoff = now - timedelta(days=current_app.config["ARCHIVE_AFTER_DAYS"])
    stale = db.session.scalars(select(Release).where(
        Release.status == RELEASED, Release.release_at <= cutoff)).all()
    for release in stale:
        release_rules.archive(release, "clock")
    recovered = release_day.recover_stale_leases(now)
    messages_recovered = messages.RECIPIENTS.recover(now)
    db.session.commit()  # release-day jobs read the statuses and rows committed here
    metrics.add(metrics.STRANDED_LEASES, recovered, "presaves")
    metrics.add(metrics.STRANDED_LEASES, messages_recovered, "messages")
    for release in due:
        link_jobs.schedule_planned(release)
        if release.status == PRESAVE_ACTIVE:  # it was behind the clock: it just opened
            on_opened(release)
    for release in released:
        on_released(release)
    # Also what no job started: local-mode fans east of the release's zone, a lost job.
    started = release_day.deliver_due(now)
    health.note_reconciled(now)
    return {"advanced": len(due), "archived": len(stale), "released": len(released),
            "leases_recovered": recovered, "release_days_started": started,
            "link_lookups": link_jobs.enqueue_due(now),
            "opening_notices": opening_notices.enqueue_due(now),
            "future_saves": future_saves.enqueue_due(now),
            "message_leases_recovered": messages_recovered,
            "message_batches": messages.enqueue_due(now)}


@tenant_job
def advance_release(label_id, release_id):
    release = db.session.get(Release, release_id)
    if release is None:
        return
    before = release.status
    released = _advance(release)
    schedule_next_instant(release)
    db.session.commit()
    link_jobs.schedule_planned(release)
    if released:
        on_released(release)
    elif release.status == PRESAVE_ACTIVE and before != PRESAVE_ACTIVE:
        on_opened(release)


def on_opened(release):
    """The pre-save just opened: the fans who asked to hear, and the Future Save fans."""
    opening_notices.on_opened(release)
    future_saves.on_opened(release)


def _advance(release):
    """Advance by the clock; True when this is what made the release released."""
    before = release.status
    release_rules.advance(release, "clock")
    if release.status != before:  # the pre-save opened or the release is out: find the links
        link_jobs.look_now(release)
    return release.status == RELEASED and before != RELEASED


def on_released(release):
    """The release is out: hand it to release day (app.jobs.release_day), once; a test of its
    page still running stops (app.releases.ab_tests); the label's endpoints hear of it."""
    stopped = ab_tests.stop_at_release(release) is not None
    announced = webhook_events.emit(release.label_id, "release.released",
                                    lambda: payloads.released(release))
    if stopped or announced:
        db.session.commit()
    schedule.put(release_day.DELIVERY_QUEUE, release_day.start_release_day, release.label_id,
                 release.id, job_id=schedule.release_day_id(release.id))
    link_jobs.at_release(release)


def listen():
    """The release rules' announcements become jobs (create_app connects them once)."""
    release_signals.instants_changed.connect(reschedule)
    release_signals.instants_changed.connect(reconsent.on_dates_changed)
    release_signals.released_now.connect(on_released)


def reschedule(release, replacing=()):
    """Cancel the advance jobs of the instants ``replacing``; schedule the next instant."""
    for at in replacing:
        schedule.cancel(schedule.advance_id(release.id, at))
    return schedule_next_instant(release)


def schedule_next_instant(release):
    """Enqueue the release's next lifecycle step at its exact UTC instant."""
    upcoming = [at for at in (release.presave_opens_at, release.release_at) if at > now_utc()]
    if release.status not in (ANNOUNCED, PRESAVE_ACTIVE) or not upcoming:
        return None
    at = min(upcoming).astimezone(timezone.utc)
    # not unique: the same instant asked again replaces its job
    return schedule.put(LIFECYCLE_QUEUE, advance_release, release.label_id, release.id,
                        job_id=schedule.advance_id(release.id, at), at=at, unique=False)
