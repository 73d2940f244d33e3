"""At a release's opening instant, the one message each fan asked for on its Coming Soon page:
the "Pre-save opens" automation (app.messaging.automations), sent like every message
(app.jobs.messages).

on_opened(release) hands each pending ask (an OpeningNotice) to the release's Pre-save opens
message: a ledger row due now, sent even when the artist turned the automation off (the fan
asked for it). The ask takes the message's outcome when it is written: sent, failed or
cancelled with why, or pending with the reason it waits. An ask whose fan cannot be written to
any more (the consent withdrawn, no contact left) ends here. The minute reconciler's
enqueue_due hands over what a lost job did not.
"""
import logging

from sqlalchemy import select

from app.extensions import db
from app.jobs import messages as message_jobs, schedule
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.messaging import automations
from app.messaging.reminder import withdrawn
from app.models import Message, MessageRecipient, OpeningNotice, Release
from app.models.fan import PRESAVE_OPENS
from app.models.message import OPENS
from app.models.opening_notice import CANCELLED, PENDING
from app.models.release import PRESAVE_ACTIVE

QUEUE = "default"
WHAT = "opening-notices"
WITHDRAWN = "not sent: the fan withdrew the ask"
NO_CONTACT = "not sent: the fan left no email or phone"
log = logging.getLogger(__name__)


def on_opened(release):
    """The release's pre-save just opened: hand its asks to the message now."""
    schedule.put(QUEUE, hand_over, release.label_id, release.id,
                 job_id=schedule.opening_id(release.id, WHAT))


def enqueue_due(now):
    """Open releases with asks not handed over yet (a lost job); the jobs asked for."""
    handed = (select(MessageRecipient.fan_id).join(Message, Message.id == MessageRecipient.message_id)
              .where(Message.release_id == OpeningNotice.release_id, Message.kind == OPENS))
    due = db.session.execute(
        select(Release.label_id, Release.id).join(OpeningNotice,
                                                  OpeningNotice.release_id == Release.id)
        .where(OpeningNotice.state == PENDING, Release.status == PRESAVE_ACTIVE,
               OpeningNotice.fan_id.not_in(handed))
        .distinct()).all()
    return schedule.catch_up(QUEUE, hand_over, due, WHAT, now)


@tenant_job
def hand_over(label_id, release_id):
    release = db.session.get(Release, release_id)
    if release is None or release.status != PRESAVE_ACTIVE:
        return {"queued": 0}
    on = automations.fans_on(OPENS, release.id)
    notices = db.session.scalars(select(OpeningNotice).where(
        OpeningNotice.release_id == release_id, OpeningNotice.state == PENDING)
        .order_by(OpeningNotice.id)).all()
    counts, messages = {"queued": 0, "ended": 0}, set()
    for notice in notices:
        if notice.fan_id in on:
            continue
        row = automations.queue(OPENS, release, notice.fan, after=now_utc(), force=True)
        if row is None:
            notice.state = CANCELLED
            notice.last_error = WITHDRAWN if withdrawn(notice.fan, PRESAVE_OPENS) else NO_CONTACT
            counts["ended"] += 1
        else:
            messages.add(row.message_id)
            counts["queued"] += 1
    db.session.commit()
    for message_id in messages:
        message_jobs.put(label_id, message_id)
    if notices:
        log.info("release %s opening notices: %s", release_id, counts)
    return counts
