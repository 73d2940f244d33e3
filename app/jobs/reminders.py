"""Release day for remind pre-saves: one message to the fan (app.messaging) instead of a save.

send_batch leases due remind rows of one release and platform (app.jobs.leases, action
"remind") and handles them one at a time: check the lease is still ours (and long enough to
send), send, write the outcome under the lease and commit. The row is marked sent right
after the send, so a worker that dies between the two leaves that one row in progress; its
lease runs out, it comes back and is sent again: a crash causes at worst one duplicate
message, never a lost one. A sent row is delivered and never leased again, so a re-run
sends nothing.
"""
import logging
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.jobs import leases, outcomes
from app.jobs.outcomes import Cancelled, Delivered, Failed, Retry
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.messaging import NotConfigured, Refused, Unavailable, Withdrawn
from app.messaging.outbox import Outbox
from app.messaging.reminder import reminder_for
from app.models import PreSave
from app.models.presave import IN_PROGRESS, REMIND
from app.releases.rules import fan_page_url

log = logging.getLogger(__name__)

BATCH_SIZE = 100
DEADLINE = 200  # seconds into a batch after which no message starts (the lease lasts longer)
SEND_MARGIN = timedelta(seconds=60)  # a lease with less left than this sends nothing more
NOT_CONFIGURED_WAIT = timedelta(hours=1)  # a channel not set up: look again after this


@tenant_job
def send_batch(label_id, release_id, platform, batch_size=BATCH_SIZE):
    token, ids, _ = leases.lease(release_id, platform, batch_size, action=REMIND)
    db.session.commit()
    counts, deadline = {}, time.monotonic() + DEADLINE
    with Outbox(current_app.config) as outbox:
        for presave_id in ids:
            kind = _remind(presave_id, token, outbox, deadline)
            db.session.commit()
            counts[kind] = counts.get(kind, 0) + 1
    if ids:
        log.info("release %s %s reminders: %s", release_id, platform, counts)
    return {"leased": len(ids), **counts}


def _remind(presave_id, token, outbox, deadline):
    """Send one leased row's message and write what happened; the outcome's name."""
    row = _still_ours(presave_id, token)
    if row is None:
        return "lease_lost"
    if time.monotonic() > deadline:
        outcome = Retry(presave_id, "batch ran out of time", at=now_utc(), counts=False)
    else:
        outcome = _send(row, outbox)
    written = outcomes.write(outcome, token, row.attempts or 0)
    return type(outcome).__name__.lower() if written else "lease_lost"


def _still_ours(presave_id, token):
    """The row, if it is still leased under ``token`` long enough to send (checked just
    before acting, so a row recovered and handed to another worker is left alone)."""
    return db.session.scalar(
        select(PreSave).where(PreSave.id == presave_id, PreSave.state == IN_PROGRESS,
                              PreSave.lease_token == token,
                              PreSave.leased_until > now_utc() + SEND_MARGIN)
        .execution_options(populate_existing=True))


def _send(row, outbox):
    try:
        outbox.send(reminder_for(row, fan_page_url(row.release)))
    except Withdrawn as exc:
        return Cancelled(row.id, str(exc))
    except NotConfigured as exc:
        return Retry(row.id, str(exc), at=now_utc() + NOT_CONFIGURED_WAIT, counts=False)
    except Refused as exc:
        return Failed(row.id, str(exc))
    except Unavailable as exc:
        return Retry(row.id, str(exc))
    return Delivered(row.id)
