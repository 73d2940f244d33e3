"""A label's endpoints: made, changed, turned off and on, with the rules in one place (the
admin pages call these)."""
from flask import current_app
from sqlalchemy import select

from app import validation
from app.crypto import keyring
from app.extensions import db
from app.localtime import now_utc
from app.models import WebhookDelivery, WebhookEndpoint
from app.models.webhook import FAILED, PENDING
from app.webhooks import addresses, events, sending

ENDPOINTS_MAX = 20  # per label


class Refused(ValueError):
    """What staff typed cannot be an endpoint; the reason in words."""


def _checked(url, chosen, description):
    try:
        url = addresses.check_url(url, current_app.config)
    except addresses.Refused as exc:
        raise Refused(str(exc)) from None
    unknown = [e for e in chosen if e not in events.TYPES]
    if unknown or not chosen:
        raise Refused("Choose at least one event" if not chosen else
                      f"Unknown events: {', '.join(unknown)}")
    try:
        description = validation.plain_text(description, 200, "description")
    except ValueError as exc:
        raise Refused(str(exc)) from None
    ordered = [e for e in events.TYPES if e in chosen]
    return url, ordered, description


def create(label_id, url, chosen, description=None, actor=None):
    """A new active endpoint with a new signing secret."""
    url, chosen, description = _checked(url, chosen, description)
    count = len(db.session.scalars(select(WebhookEndpoint.id)
                                   .where(WebhookEndpoint.label_id == label_id)).all())
    if count >= ENDPOINTS_MAX:
        raise Refused(f"A label has at most {ENDPOINTS_MAX} endpoints")
    endpoint = WebhookEndpoint(label_id=label_id, url=url, events=chosen,
                               description=description, active=True, created_by=actor,
                               secret_sealed="")
    db.session.add(endpoint)
    db.session.flush()  # the seal is bound to the row's id
    endpoint.set_secret(keyring(), sending.new_secret())
    return endpoint


def change(endpoint, url, chosen, description=None):
    endpoint.url, endpoint.events, endpoint.description = _checked(url, chosen, description)


def turn_on(endpoint):
    """Active again: its failure streak starts over."""
    endpoint.active, endpoint.disabled_at, endpoint.disabled_reason = True, None, None
    endpoint.failing_since = None


def turn_off(endpoint, reason):
    """Inactive: nothing more is sent; what was waiting fails with the reason."""
    now = now_utc()
    endpoint.active, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason
    db.session.execute(
        WebhookDelivery.__table__.update()
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == PENDING)
        .values(state=FAILED, last_error="the endpoint was turned off", next_attempt_at=None,
                updated_at=now))


def log(endpoint, limit=50):
    """The endpoint's newest deliveries with their attempts."""
    return db.session.scalars(select(WebhookDelivery)
                              .where(WebhookDelivery.endpoint_id == endpoint.id)
                              .order_by(WebhookDelivery.id.desc()).limit(limit)).all()
