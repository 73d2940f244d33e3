"""Sending webhooks: each label's due deliveries, claimed under a lease, POSTed one by one
(app.webhooks.sending); a failure waits its turn in RETRY_AFTER (25 h 41 min in all, so one
event's retries outlast DISABLE_AFTER), then the delivery fails for good. An endpoint that has
failed for a whole day without a success is disabled, and the label's admins are told by
email. The minute sweep sends what no job was queued for (a lost enqueue, a retry that came
due)."""
import logging
import random
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from app.crypto import keyring
from app.extensions import db
from app.jobs.leases import Leases
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.messaging import MessagingError
from app.messaging.outbox import Outbox
from app.messaging.reminder import EMAIL, Message
from app.models import PresaveUser, WebhookAttempt, WebhookDelivery
from app.models.webhook import DELIVERED, FAILED, PENDING
from app.tenants.roles import ROLE_LABEL_ADMIN
from app.webhooks import endpoints, events, sending

# The waits before the 2nd, 3rd, ... attempt: 25 h 41 min in all, then it has failed.
RETRY_AFTER = [timedelta(seconds=5), timedelta(minutes=1), timedelta(minutes=5),
               timedelta(minutes=30), timedelta(hours=2), timedelta(hours=5),
               timedelta(hours=8), timedelta(hours=10)]
DISABLE_AFTER = timedelta(days=1)
BATCH = 50
LEASES = Leases(WebhookDelivery, PENDING)
log = logging.getLogger(__name__)


@tenant_job
def send(label_id):
    """Send the label's due deliveries until none is left; how many were attempted."""
    return LEASES.work_through(label_id, BATCH, _attempt)


def _attempt(delivery, token):
    endpoint = delivery.endpoint
    now = now_utc()
    if not endpoint.active:
        LEASES.settle_many([delivery.id], token, state=FAILED,
                           last_error="the endpoint is disabled")
        return
    answer = sending.post(endpoint.url, endpoint.secret(keyring()), delivery.message_id,
                          delivery.body, current_app.config)
    db.session.add(WebhookAttempt(label_id=delivery.label_id, delivery_id=delivery.id, at=now,
                                  status=answer.status, answer_ms=answer.answer_ms,
                                  excerpt=answer.excerpt, error=answer.error))
    attempts = delivery.attempts + 1
    if answer.ok:
        LEASES.settle_many([delivery.id], token, state=DELIVERED, attempts=attempts,
                           delivered_at=now, last_error=None, next_attempt_at=None)
        endpoint.failing_since = None
        return
    reason = answer.error or f"answered {answer.status}"
    if attempts > len(RETRY_AFTER):
        LEASES.settle_many([delivery.id], token, state=FAILED, attempts=attempts,
                           last_error=f"gave up after {attempts} attempts: {reason}"[:300],
                           next_attempt_at=None)
    else:
        wait = RETRY_AFTER[attempts - 1] * random.uniform(1.0, 1.2)  # only longer: a day is a day
        LEASES.settle_many([delivery.id], token, state=PENDING, attempts=attempts,
                           last_error=reason[:300], next_attempt_at=now + wait)
    endpoint.failing_since = _streak_start(endpoint, now)
    if now - endpoint.failing_since >= DISABLE_AFTER:
        _disable(endpoint, reason)


def _streak_start(endpoint, now):
    """When the endpoint's failures began, counting the one at ``now``. A streak whose last
    attempt is more than DISABLE_AFTER old is over (its deliveries gave up and nothing was
    sent since), so a failure days later starts a new one instead of disabling at once."""
    if endpoint.failing_since is None:
        return now
    previous = db.session.scalar(
        select(func.max(WebhookAttempt.at))
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookAttempt.at < now))
    if previous is None or now - previous > DISABLE_AFTER:
        return now
    return endpoint.failing_since


def _disable(endpoint, reason):
    since = f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC"
    endpoints.turn_off(endpoint, f"Failing since {since} (last: {reason})"[:300])
    log.warning("webhooks: endpoint %s of label %s disabled after a day of failures",
                endpoint.id, endpoint.label_id)
    _tell_admins(endpoint)


def _tell_admins(endpoint):
    admins = db.session.scalars(select(PresaveUser).where(
        PresaveUser.label_id == endpoint.label_id, PresaveUser.active.is_(True))).all()
    to = [user.email for user in admins if ROLE_LABEL_ADMIN in user.role_names]
    text = (f"Hi,\n\nThe webhook endpoint {endpoint.url} of {endpoint.label.name} has failed "
            f"every delivery for a day, so it was turned off.\n\n{endpoint.disabled_reason}."
            "\n\nWhen it is fixed, open Account → Webhooks, send a test event, and turn it on "
            "again; replay the deliveries it missed from its log.\n")
    with Outbox(current_app.config) as outbox:
        for address in to:
            try:
                outbox.send(Message(EMAIL, address, "A webhook endpoint was turned off", text))
            except MessagingError as exc:
                log.warning("webhooks: could not tell a label admin (%s)", exc)


@tenant_job
def sweep(label_id=None):
    """The minute cron: queue the sending job of every label with a due delivery, and put
    back deliveries whose lease ran out (a worker died mid-send)."""
    return LEASES.sweep(events.QUEUE, events.SEND_JOB)
