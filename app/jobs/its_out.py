"""The "It's out" automation: at the release instant (in local mode at each fan's own
midnight), one message to every pre-saver with a contact and the consent, delivered or not;
and, when the artist turned it on, the follow-up some days later.

Release day (app.jobs.release_day) calls queue_due once the release is out and again whenever
pre-saves fall due. Each fan whose instant has come and who has no row yet is put on the
release's It's out message, due now. A fan who asked for a reminder (a remind pre-save) gets
it as this message: their remind pre-saves are handed over (pending, with no time of their
own) and take the message's outcome when it is written (app.jobs.messages). A reminder whose
fan cannot be written to any more ends here, with why. The reminders go out even when the
artist turned the automation off: the fan asked for them.
"""
from collections import defaultdict

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.localtime import now_utc
from app.messaging import automations
from app.messaging.reminder import withdrawn
from app.models import Fan, PreSave
from app.models.fan import RELEASE_REMINDER
from app.models.message import FOLLOW_UP, ITS_OUT
from app.models.presave import CANCELLED, PENDING, REMIND
from app.presaves.record import delivery_instant

CHUNK = 500
NO_CONTACT = "not sent: the fan left no email or phone"
WITHDRAWN = "not sent: the fan withdrew the reminder"


def queue_due(release, now=None):
    """Put every fan whose instant has come on the release's It's out message; the ids of
    the messages with new rows (due now)."""
    now = now or now_utc()
    on = automations.fans_on(ITS_OUT, release.id)
    fans = [fan_id for fan_id in _due_fans(release, now) if fan_id not in on]
    reminded = set(db.session.scalars(select(PreSave.fan_id).distinct().where(
        PreSave.release_id == release.id, PreSave.action == REMIND, PreSave.state == PENDING)))
    messages = set()
    for start in range(0, len(fans), CHUNK):
        chunk = db.session.scalars(select(Fan).where(Fan.id.in_(fans[start:start + CHUNK]))
                                   .options(selectinload(Fan.consents))).all()
        for fan in chunk:
            row = _queue(release, fan, fan.id in reminded, now)
            if row is not None:
                messages.add(row.message_id)
        db.session.flush()
    return messages


def _due_fans(release, now):
    """Fans with a pre-save of the release (not cancelled) whose delivery instant has come."""
    pairs = db.session.execute(
        select(PreSave.fan_id, Fan.timezone).distinct().join(Fan, Fan.id == PreSave.fan_id)
        .where(PreSave.release_id == release.id, PreSave.state != CANCELLED)).all()
    by_zone = defaultdict(list)
    for fan_id, zone in pairs:
        by_zone[zone].append(fan_id)
    return [fan_id for zone, ids in by_zone.items()
            if delivery_instant(release, zone) <= now for fan_id in ids]


def _queue(release, fan, reminded, now):
    platform = _platform_of(release, fan)
    automations.queue(FOLLOW_UP, release, fan, platform, after=now)  # when the artist has it on
    row = automations.queue(ITS_OUT, release, fan, platform, after=now, force=reminded)
    if reminded:
        if row is None:
            _end_reminders(release, fan, WITHDRAWN if withdrawn(fan, RELEASE_REMINDER)
                           else NO_CONTACT)
        else:
            _hand_over(release, fan)
    return row


def _platform_of(release, fan):
    """The platform the message names: the fan's first save, else their first reminder."""
    return db.session.scalar(
        select(PreSave.platform).where(PreSave.release_id == release.id,
                                       PreSave.fan_id == fan.id, PreSave.state != CANCELLED)
        .order_by((PreSave.action == REMIND), PreSave.id).limit(1))


def _reminders(release, fan):
    return (PreSave.release_id == release.id) & (PreSave.fan_id == fan.id) \
        & (PreSave.action == REMIND) & (PreSave.state == PENDING)


def _hand_over(release, fan):
    """The fan's reminders wait for the message: pending, never due on their own."""
    db.session.execute(update(PreSave).where(_reminders(release, fan))
                       .values(next_attempt_at=None, updated_at=now_utc())
                       .execution_options(synchronize_session=False))


def _end_reminders(release, fan, reason):
    db.session.execute(update(PreSave).where(_reminders(release, fan))
                       .values(state=CANCELLED, last_error=reason, next_attempt_at=None,
                               updated_at=now_utc())
                       .execution_options(synchronize_session=False))
