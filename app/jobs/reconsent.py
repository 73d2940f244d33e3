"""When the re-consent automation asks a fan to renew a platform permission that ends before
the release: on the day a fresh permission would last until the release (RENEW_MARGIN into
it), and again by that rule whenever the release's dates move.

ask(release, fan, platform) puts the fan on the release's Re-consent message, due then (the
fan page, at the pre-save). When the dates change, follow_dates (a job, shortly after the
change is stored) moves the waiting asks to the new day and asks the fans whose permission no
longer lasts until the release; an ask whose fan's permission now lasts is cancelled, with
why, when its time comes (app.jobs.messages).
"""
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.jobs import messages as message_jobs, schedule
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.messaging import automations
from app.models import Authorization, Fan, Message, MessageRecipient, PreSave, Release
from app.models.authorization import ACTIVE
from app.models.message import QUEUED, RECONSENT
from app.models.presave import PENDING, SAVE
from app.models.release import ARCHIVED, RELEASED
from app.platform_table import PLATFORM_KEYS, descriptor

QUEUE = "default"
RENEW_MARGIN = timedelta(days=1)  # a permission renewed this long after it could be still lasts
SETTLE = timedelta(seconds=15)  # the change of dates is committed by then
CHUNK = 500


def renew_from(release, platform):
    """The instant from which a permission given on ``platform`` lasts until the release."""
    return release.release_at - descriptor(platform).grant_lifetime + RENEW_MARGIN


def ask(release, fan, platform):
    """The fan's ask to renew, due from renew_from (now, when that has passed); the new
    ledger row, or None (off, no consent, asked already)."""
    row = automations.queue(RECONSENT, release, fan, platform,
                            after=max(renew_from(release, platform), now_utc()))
    if row is not None:
        db.session.flush()
        message_jobs.put_at(release.label_id, row.message_id, row.next_attempt_at)
    return row


def on_dates_changed(release, replacing=()):
    """The release's instants moved: its asks follow, in a job once the change is stored."""
    at = now_utc() + SETTLE
    schedule.put(QUEUE, follow_dates, release.label_id, release.id, at=at,
                 job_id=f"release-{release.id}-reconsent-{schedule.minute_of(at)}")


@tenant_job
def follow_dates(label_id, release_id):
    """Waiting asks to the new day; fans whose permission ends before the release now, asked.
    Counts."""
    release = db.session.get(Release, release_id)
    if release is None or release.status in (RELEASED, ARCHIVED):
        return {"moved": 0, "asked": 0}
    moved = asked = 0
    for platform in PLATFORM_KEYS:
        if descriptor(platform).grant_lifetime is None:
            continue
        moved += _move_asks(release, platform)
        asked += _ask_the_expiring(release, platform)
    db.session.commit()
    return {"moved": moved, "asked": asked}


def _move_asks(release, platform):
    asks = select(Message.id).where(Message.release_id == release.id, Message.kind == RECONSENT)
    return db.session.execute(
        update(MessageRecipient).where(
            MessageRecipient.release_id == release.id, MessageRecipient.platform == platform,
            MessageRecipient.state == QUEUED, MessageRecipient.message_id.in_(asks))
        .values(next_attempt_at=max(renew_from(release, platform), now_utc()),
                updated_at=now_utc())
        .execution_options(synchronize_session=False)).rowcount


def _ask_the_expiring(release, platform):
    """Fans with a pending save on ``platform`` whose permission ends before the release."""
    ends_before = release.release_at - descriptor(platform).grant_lifetime
    fan_ids = db.session.scalars(
        select(PreSave.fan_id).distinct()
        .join(Authorization, (Authorization.fan_id == PreSave.fan_id)
              & (Authorization.platform == PreSave.platform))
        .where(PreSave.release_id == release.id, PreSave.platform == platform,
               PreSave.action == SAVE, PreSave.state == PENDING,
               Authorization.state == ACTIVE, Authorization.granted_at <= ends_before)
        .where(PreSave.fan_id.not_in(automations.fans_on(RECONSENT, release.id)))).all()
    asked = 0
    for start in range(0, len(fan_ids), CHUNK):
        fans = db.session.scalars(select(Fan).where(Fan.id.in_(fan_ids[start:start + CHUNK]))
                                  .options(selectinload(Fan.consents))).all()
        asked += sum(ask(release, fan, platform) is not None for fan in fans)
    return asked
