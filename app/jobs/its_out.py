"""The "It's out" automation: at the release instant (in local mode at each fan's own
midnight), one message to every pre-saver with a contact and the consent, delivered or not;
and, when the artist turned it on, the follow-up some days later.

Release day (app.jobs.release_day) enqueues queue_release (a job on the messages queue, so
the saves start first) once the release is out and again whenever pre-saves fall due. Each
fan whose instant has come and who has no row yet is put on the release's It's out message,
due now. A fan who asked for a reminder (a remind pre-save) gets it as this message: their
remind pre-saves are handed over (pending, with no time of their own) and take the message's
outcome when it is written (app.jobs.messages). A reminder whose fan cannot be written to any
more ends here, with why. The reminders go out even when the artist turned the automation
off: the fan asked for them.

Set-oriented, for release nights of 100,000 fans: a few queries per 500 fans, the rows
inserted together (a fan already on the message is skipped by the database, so two runs at
once add nobody twice).
"""
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.jobs import messages as message_jobs, schedule
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.messaging import automations
from app.messaging.reminder import withdrawn
from app.models import Fan, MessageRecipient, PreSave, Release
from app.models.fan import RELEASE_REMINDER
from app.models.message import FOLLOW_UP, ITS_OUT, QUEUED
from app.models.presave import CANCELLED, PENDING, REMIND, SAVE
from app.presaves.record import delivery_instant

CHUNK = 500
NO_CONTACT = "not sent: the fan left no email or phone"
WITHDRAWN = "not sent: the fan withdrew the reminder"


def enqueue(release, now=None):
    """queue_release for the release, once a minute at most."""
    schedule.put(message_jobs.QUEUE, queue_release, release.label_id, release.id, result_ttl=0,
                 job_id=f"release-{release.id}-its-out-{schedule.minute_of(now or now_utc())}")


@tenant_job
def queue_release(label_id, release_id):
    release = db.session.get(Release, release_id)
    if release is None:
        return {"queued": 0}
    counts = queue_due(release)
    db.session.commit()
    for message_id, due in counts.items():
        message_jobs.put(label_id, message_id, due=due)
    return {"queued": sum(counts.values())}


def queue_due(release, now=None):
    """Put every fan whose instant has come on the release's It's out message (and the
    follow-up, when on); {message id: rows due now}."""
    now = now or now_utc()
    on = automations.fans_on(ITS_OUT, release.id)
    fans = [fan_id for fan_id in _due_fans(release, now) if fan_id not in on]
    if not fans:
        return {}
    reminded = set(db.session.scalars(select(PreSave.fan_id).distinct().where(
        PreSave.release_id == release.id, PreSave.action == REMIND, PreSave.state == PENDING)))
    platforms = _platforms(release)
    its_out = automations.settings(release.artist_id, ITS_OUT)
    follow_up = automations.settings(release.artist_id, FOLLOW_UP)
    messages = _Messages(release)
    counts = defaultdict(int)
    for start in range(0, len(fans), CHUNK):
        chunk = db.session.scalars(select(Fan).where(Fan.id.in_(fans[start:start + CHUNK]))
                                   .options(selectinload(Fan.consents))).all()
        rows, handed, ended = [], [], defaultdict(list)
        for fan in chunk:
            asked = fan.id in reminded
            channel = automations.channel_for(fan, ITS_OUT)
            if channel is None:
                if asked:
                    ended[WITHDRAWN if withdrawn(fan, RELEASE_REMINDER) else NO_CONTACT].append(
                        fan.id)
                continue
            if its_out.enabled or asked:
                rows.append(_row(release, messages.of(ITS_OUT, its_out), its_out, fan, channel,
                                 platforms, now))
                if asked:
                    handed.append(fan.id)
            marketing = automations.channel_for(fan, FOLLOW_UP)
            if follow_up.enabled and marketing:
                rows.append(_row(release, messages.of(FOLLOW_UP, follow_up), follow_up, fan,
                                 marketing, platforms, now))
        for message_id, due in _insert(rows, now).items():
            counts[message_id] += due
        _reminders(release, handed, next_attempt_at=None)
        for reason, ids in ended.items():
            _reminders(release, ids, state=CANCELLED, last_error=reason, next_attempt_at=None)
        db.session.flush()
    return dict(counts)


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


def _platforms(release):
    """{fan id: the platform the message names}: the fan's first save, else first reminder."""
    found = {}
    for fan_id, platform, action in db.session.execute(
            select(PreSave.fan_id, PreSave.platform, PreSave.action)
            .where(PreSave.release_id == release.id, PreSave.state != CANCELLED)
            .order_by(PreSave.id)):
        if fan_id not in found or (action == SAVE and found[fan_id][1] != SAVE):
            found[fan_id] = (platform, action)
    return {fan_id: platform for fan_id, (platform, _) in found.items()}


class _Messages:
    """The release's messages by kind, each looked up (or made) once."""

    def __init__(self, release):
        self.release, self.ids = release, {}

    def of(self, kind, settings):
        if kind not in self.ids:
            self.ids[kind] = automations.message_for(kind, self.release, settings).id
        return self.ids[kind]


def _row(release, message_id, settings, fan, channel, platforms, now):
    due = now + timedelta(minutes=settings.delay_minutes)
    return {"message_id": message_id,
            "fan_id": fan.id, "label_id": release.label_id, "artist_id": release.artist_id,
            "release_id": release.id, "platform": platforms.get(fan.id), "channel": channel,
            "state": QUEUED, "attempts": 0, "clicks": 0, "next_attempt_at": due,
            "created_at": now, "updated_at": now}


def _insert(rows, now):
    """Insert the rows, skipping any already there (the unique message, fan and channel);
    {message id: rows due now}."""
    if not rows:
        return {}
    dialect = db.engine.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(MessageRecipient).on_conflict_do_nothing(
        index_elements=["message_id", "fan_id", "channel"])
    # The fans came from the release's own rows, read in the job's label scope.
    db.session.execute(statement.execution_options(all_tenants=True), rows)
    due = defaultdict(int)
    for row in rows:
        if row["next_attempt_at"] <= now:
            due[row["message_id"]] += 1
    return due


def _reminders(release, fan_ids, **values):
    """The given fans' pending reminders of the release: handed over, or ended."""
    if fan_ids:
        db.session.execute(update(PreSave).where(
            PreSave.release_id == release.id, PreSave.fan_id.in_(fan_ids),
            PreSave.action == REMIND, PreSave.state == PENDING)
            .values(updated_at=now_utc(), **values)
            .execution_options(synchronize_session=False))
