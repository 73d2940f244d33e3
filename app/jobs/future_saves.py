"""Future Save at a release's opening instant: the artist's fans who asked for it get a pending
pre-save of the new release (app.presaves.future_save), and those whose grant will have died
by the release instant (Spotify's six months) are asked to reconnect (app.jobs.reconsent).

on_opened(release) runs it in a job; the minute reconciler's enqueue_due catches up any open
release still without (Release.future_saves_at) whose artist has Future Save fans, so a lost
job delays it by a minute.
"""
import logging

from sqlalchemy import select

from app.extensions import db
from app.jobs import reconsent, schedule
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.models import Consent, Release
from app.models.fan import FUTURE_SAVE_PREFIX
from app.models.release import PRESAVE_ACTIVE
from app.presaves import future_save
from app.presaves.record import grant_outlives

QUEUE = "default"
WHAT = "future-saves"
log = logging.getLogger(__name__)


def on_opened(release):
    schedule.put(QUEUE, add_for_release, release.label_id, release.id,
                 job_id=schedule.opening_id(release.id, WHAT))


def enqueue_due(now):
    """Open releases not done yet whose artist has Future Save fans; the jobs asked for."""
    asked = select(Consent.id).where(
        Consent.artist_id == Release.artist_id, Consent.withdrawn_at.is_(None),
        Consent.purpose.startswith(FUTURE_SAVE_PREFIX, autoescape=True)).exists()
    due = db.session.execute(select(Release.label_id, Release.id).where(
        Release.status == PRESAVE_ACTIVE, Release.future_saves_at.is_(None), asked)).all()
    return schedule.catch_up(QUEUE, add_for_release, due, WHAT, now)


@tenant_job
def add_for_release(label_id, release_id):
    release = db.session.get(Release, release_id)
    if release is None or release.status != PRESAVE_ACTIVE or release.future_saves_at is not None:
        return {"added": 0, "asked_to_reconnect": 0}
    counts = add(release)
    release.future_saves_at = now_utc()
    db.session.commit()
    if counts["added"]:
        log.info("release %s future saves: %s", release_id, counts)
    return counts


def add(release, fan_ids=None):
    """The pending pre-saves, and the asks to reconnect where a grant dies first. Counts."""
    added = future_save.add_pending(release, fan_ids)
    doomed = [(presave, grant) for presave, grant in added
              if not grant_outlives(grant.platform, grant.granted_at, release)]
    for presave, grant in doomed:
        reconsent.ask(release, presave.fan, grant.platform)
    return {"added": len(added), "asked_to_reconnect": len(doomed)}
