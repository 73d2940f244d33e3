"""The events a label's endpoints may subscribe to, and their deliveries: one row per event
and endpoint, written in the transaction of what happened (so an event is sent if and only
if it happened) and sent once that transaction commits (app.jobs.webhooks)."""
import json
import secrets

from sqlalchemy import select

from app import after_commit
from app.extensions import db
from app.localtime import now_utc
from app.models import WebhookDelivery, WebhookEndpoint
from app.models.webhook import PENDING

TYPES = {
    "presave.created": "A fan pre-saved a release on a platform",
    "presave.delivered": "A pre-save was saved into the fan's library",
    "presave.failed": "A pre-save failed for good (the reason says why)",
    "release.released": "A release is out",
    "fan.unsubscribed": "A fan stopped a channel (email or SMS) of an artist",
    "fan.erased": "A fan's data was erased (their own request, staff on request, or retention)",
}
TEST = "webhook.test"  # sent by "Send test event"; no endpoint subscribes to it
QUEUE = "webhooks"
SEND_JOB = "app.jobs.webhooks.send"


def message_id():
    return "msg_" + secrets.token_urlsafe(18)


def body(event_type, data, at=None):
    """The JSON body as signed: type, timestamp and data, in a stable order."""
    return json.dumps({"type": event_type, "timestamp": (at or now_utc()).isoformat(),
                       "data": data}, sort_keys=True, separators=(",", ":"), default=str)


def emit(label_id, event_type, data):
    """Queue ``event_type`` for each of the label's active endpoints that subscribes to it;
    how many deliveries. ``data`` is a dict, or a function that makes it, called only when
    an endpoint wants the event. The caller commits."""
    return emit_many(label_id, event_type, lambda: [data() if callable(data) else data])


def emit_many(label_id, event_type, items):
    """The same for several events of one type (a release night's outcomes): one query for
    the endpoints, one row per event and endpoint. ``items``: a list of dicts, or a function
    that makes it."""
    endpoints = subscribed(label_id, event_type)
    if not endpoints:
        return 0
    now = now_utc()
    rows = [WebhookDelivery(label_id=label_id, endpoint_id=endpoint.id,
                            message_id=message_id(), event_type=event_type,
                            body=body(event_type, data, now), state=PENDING, attempts=0,
                            next_attempt_at=now, created_at=now, updated_at=now)
            for data in (items() if callable(items) else items) for endpoint in endpoints]
    _queue(rows)
    return len(rows)


def subscribed(label_id, event_type):
    """The label's active endpoints that want ``event_type``."""
    if event_type not in TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    return [e for e in _active_endpoints(label_id) if event_type in (e.events or [])]


def test_event(endpoint, actor):
    """A ``webhook.test`` delivery to this endpoint, whatever it subscribes to."""
    now = now_utc()
    row = WebhookDelivery(label_id=endpoint.label_id, endpoint_id=endpoint.id,
                          message_id=message_id(), event_type=TEST,
                          body=body(TEST, {"endpoint_id": endpoint.id, "sent_by": actor}, now),
                          state=PENDING, attempts=0, next_attempt_at=now, created_at=now,
                          updated_at=now)
    _queue([row])
    return row


def replay(delivery):
    """Send a delivery again now: the same ``webhook-id`` and body, a new timestamp (a
    receiver that de-duplicates by id sees it as the same event)."""
    now = now_utc()
    delivery.state, delivery.next_attempt_at, delivery.updated_at = PENDING, now, now
    delivery.leased_until = delivery.lease_token = None
    _queue([delivery])


def labels_subscribed(event_type):
    """The labels (in the session's scope) with an active endpoint for ``event_type``."""
    rows = db.session.execute(select(WebhookEndpoint.label_id, WebhookEndpoint.events)
                              .where(WebhookEndpoint.active.is_(True))).all()
    return sorted({label_id for label_id, wanted in rows if event_type in (wanted or [])})


def _active_endpoints(label_id):
    return db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.label_id == label_id, WebhookEndpoint.active.is_(True))).all()


def _queue(rows):
    """Add the rows; once the transaction commits, their label's sending job is queued."""
    db.session.add_all(rows)
    for label_id in {row.label_id for row in rows}:
        after_commit.send_for(QUEUE, SEND_JOB, label_id)
