"""A fan's change for each of the label's connected tools that has an audience for the fan's
artist: joined (marketing email consent given), left (withdrawn, unsubscribed) or erased.
Written in the caller's transaction; its label's sync job is queued when that commits."""
from sqlalchemy import select

from app import after_commit
from app.crypto import keyring
from app.extensions import db
from app.localtime import now_utc
from app.models import AudienceChange, AudienceConnection
from app.models.audience import DELETE, PENDING, UNSUBSCRIBE, UPSERT
from app.models.fan import EMAIL_MARKETING

QUEUE = "webhooks"  # the label's outbound calls share one queue
SEND_JOB = "app.jobs.audience_sync.send"


def connections_for(fan):
    """The label's connections with an audience for the fan's artist."""
    found = db.session.scalars(select(AudienceConnection).where(
        AudienceConnection.label_id == fan.label_id,
        AudienceConnection.api_key_sealed.is_not(None))).all()
    return [c for c in found if c.list_for(fan.artist_id)]


def fan_changed(fan, action, address=None):
    """Queue ``action`` (upsert, unsubscribe, delete) for the fan at each connected tool. A
    deletion keeps the address sealed, as the fan's row is about to be emptied; so does an
    unsubscribe of an ``address`` the fan no longer has."""
    address = address or (fan.email if action == DELETE else None)
    if not (fan.email or address):
        return 0
    now = now_utc()
    made = 0
    for connection in connections_for(fan):
        change = AudienceChange(label_id=fan.label_id, connection_id=connection.id,
                                artist_id=fan.artist_id, fan_id=fan.id, action=action,
                                state=PENDING, attempts=0, next_attempt_at=now,
                                created_at=now, updated_at=now)
        db.session.add(change)
        if address:
            db.session.flush()  # the seal is bound to the row's id
            change.seal_email(keyring(), address)
        made += 1
    if made:
        after_commit.send_for(QUEUE, SEND_JOB, fan.label_id)
    return made


def address_changed(fan, old):
    """A consenting fan gave a new email: the old address leaves, the new one joins."""
    if old and fan.email and old.lower() != fan.email.lower() and any(
            c.purpose == EMAIL_MARKETING and c.withdrawn_at is None for c in fan.consents):
        fan_changed(fan, UNSUBSCRIBE, address=old)
        fan_changed(fan, UPSERT)
