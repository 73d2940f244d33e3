"""At a release's opening instant, the one message each fan asked for on its Coming Soon page.

send(release_id) goes through the release's pending notices, sends each (app.messaging) and
commits its outcome right after, so a worker that dies mid-batch sends at worst one message
twice. A channel that is not set up, or a server that does not answer, leaves the notice
pending with the reason and a time to try again; the reconciler's enqueue_due picks it up.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.jobs import schedule
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.messaging import NotConfigured, Refused, Unavailable, Withdrawn
from app.messaging.opening import opening_notice_for
from app.messaging.outbox import Outbox
from app.models import OpeningNotice, Release
from app.models.opening_notice import CANCELLED, FAILED, PENDING, SENT
from app.models.release import PRESAVE_ACTIVE
from app.releases.rules import fan_page_url

QUEUE = "default"
WAIT = {NotConfigured: timedelta(hours=1), Unavailable: timedelta(minutes=10)}
MAX_ATTEMPTS = 6
log = logging.getLogger(__name__)


def on_opened(release):
    """The release's pre-save just opened: send its notices now."""
    schedule.put(QUEUE, send, release.label_id, release.id,
                 job_id=f"release-{release.id}-opening-notices")


def enqueue_due(now):
    """Notices whose release is open and whose time has come (a lost job, a retry)."""
    due = db.session.execute(
        select(Release.label_id, Release.id).join(OpeningNotice,
                                                  OpeningNotice.release_id == Release.id)
        .where(OpeningNotice.state == PENDING, Release.status == PRESAVE_ACTIVE,
               (OpeningNotice.next_attempt_at.is_(None))
               | (OpeningNotice.next_attempt_at <= now))
        .distinct()).all()
    for label_id, release_id in due:
        schedule.put(QUEUE, send, label_id, release_id,
                     job_id=f"release-{release_id}-opening-notices-{schedule.minute_of(now)}")
    return len(due)


@tenant_job
def send(label_id, release_id):
    release = db.session.get(Release, release_id)
    if release is None or release.status != PRESAVE_ACTIVE:
        return {"sent": 0}
    now, counts = now_utc(), {}
    notices = db.session.scalars(select(OpeningNotice).where(
        OpeningNotice.release_id == release_id, OpeningNotice.state == PENDING,
        (OpeningNotice.next_attempt_at.is_(None)) | (OpeningNotice.next_attempt_at <= now))
        .order_by(OpeningNotice.id)).all()
    with Outbox(current_app.config) as outbox:
        for notice in notices:
            outcome = _send(notice, outbox, fan_page_url(release))
            db.session.commit()
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome == "not_configured":
                break  # the channel is down for every notice: try them all later
    if notices:
        log.info("release %s opening notices: %s", release_id, counts)
    return counts


def _send(notice, outbox, link):
    notice.attempts = (notice.attempts or 0) + 1
    try:
        outbox.send(opening_notice_for(notice, link))
    except Withdrawn as exc:
        notice.state, notice.last_error = CANCELLED, str(exc)
        return "cancelled"
    except Refused as exc:
        notice.state, notice.last_error = FAILED, str(exc)
        return "failed"
    except (NotConfigured, Unavailable) as exc:
        notice.last_error = str(exc)
        if notice.attempts >= MAX_ATTEMPTS and isinstance(exc, Unavailable):
            notice.state = FAILED
            return "failed"
        notice.next_attempt_at = now_utc() + WAIT[type(exc)]
        return "not_configured" if isinstance(exc, NotConfigured) else "retry"
    notice.state, notice.sent_at, notice.last_error = SENT, now_utc(), None
    return "sent"
