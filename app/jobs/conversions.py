"""Server-side conversions: each pre-save Lead of a visitor who accepted ad cookies, sent to
Meta's Conversions API and TikTok's Events API (app.integrations) with the browser pixel's
event id, so each platform counts it once. The fan's email and phone are read at sending time
and leave hashed only (an erased fan's conversion is not sent). A refusal that may pass
(a limit, a 5xx, no answer) is tried again after Retry-After or a growing wait, up to
MAX_ATTEMPTS; the ledger (app.models.ConversionEvent) keeps what was sent and answered."""
import logging
from datetime import timedelta

from sqlalchemy import select

from app import after_commit
from app.analytics import ad_pixels
from app.extensions import db
from app.integrations import meta_capi, tiktok_events
from app.integrations.conversions import Conversion, ConversionError
from app.jobs.leases import Leases
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.models import ConversionEvent, Fan, PreSave
from app.models.ad_pixels import FAILED, PENDING, SENT

QUEUE = "webhooks"  # outbound calls to a label's own services and partners share a queue
CLIENTS = {"meta": meta_capi, "tiktok": tiktok_events}
MAX_ATTEMPTS = 6
BACKOFF = [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
           timedelta(hours=1), timedelta(hours=4)]
BATCH = 50
LEASES = Leases(ConversionEvent, PENDING)
log = logging.getLogger(__name__)


SEND_JOB = "app.jobs.conversions.send"


def enqueue(label_id):
    """The label's sending job, now (the minute sweep is the safety net)."""
    after_commit.enqueue(QUEUE, SEND_JOB, label_id)


@tenant_job
def send(label_id):
    """Send the label's due conversions; how many were tried."""
    return LEASES.work_through(label_id, BATCH, _attempt)


def _attempt(row, token):
    now = now_utc()
    fan = db.session.scalar(select(Fan).join(PreSave, PreSave.fan_id == Fan.id)
                            .where(PreSave.id == row.presave_id)) if row.presave_id else None
    if fan is None or fan.erased_at is not None:
        LEASES.settle_many([row.id], token, state=FAILED, last_error="the fan's data was erased")
        return
    access = ad_pixels.conversion_access(row.label_id, row.artist_id).get(row.service)
    if access is None:
        LEASES.settle_many([row.id], token, state=FAILED,
                           last_error="no pixel id and token for this service any more")
        return
    conversion = Conversion(event_id=row.event_id, event_name=row.event_name,
                            event_time=row.event_time, event_source_url=row.source_url,
                            email=fan.email, phone=fan.phone,
                            client_user_agent=row.user_agent, country=fan.country)
    attempts = row.attempts + 1
    try:
        answer = CLIENTS[row.service].send(*access, [conversion])
    except ConversionError as exc:
        _refused(row, token, exc, attempts, now)
        return
    sent = ",".join(name for name, value in (("em", conversion.email_sha256),
                                              ("ph", conversion.phone_sha256),
                                              ("country", conversion.country_sha256)) if value)
    LEASES.settle_many([row.id], token, state=SENT, attempts=attempts, sent_at=now,
                       sent_fields=sent or None, last_error=None, next_attempt_at=None,
                       answer=str(answer)[:300])


def _refused(row, token, exc, attempts, now):
    reason = str(exc)[:300]
    if not exc.retryable or attempts >= MAX_ATTEMPTS:
        LEASES.settle_many([row.id], token, state=FAILED, attempts=attempts, last_error=reason,
                           answer=(exc.body_excerpt or None) and exc.body_excerpt[:300],
                           next_attempt_at=None)
        return
    wait = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    if exc.retry_after:
        wait = max(wait, timedelta(seconds=exc.retry_after))
    LEASES.settle_many([row.id], token, state=PENDING, attempts=attempts, last_error=reason,
                       next_attempt_at=now + wait)


@tenant_job
def sweep(label_id=None):
    """The minute cron: the sending job of every label with a due conversion; leases of dead
    workers returned."""
    return LEASES.sweep(QUEUE, SEND_JOB)
